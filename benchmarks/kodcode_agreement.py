"""KodCode agreement: the sandbox's ``kodcode`` convention against plain pytest, as KodCode runs a trial.

Trials are built from tests/data/code (MBPP + HumanEval: references, one-operator mutants and KodCode's
usual test shapes; benchmarks/kodcode_trials.py). Each trial goes to

  plain pytest   a fresh ``python -m pytest`` of /opt/nsl/sandbox-venv (the sandbox's interpreter and packages)
                 in a temp dir holding solution.py + test_solution.py (``from solution import *`` + the
                 trial's tests, as KodCode writes it), NO isolation, killed after 30 s of wall
                 clock; pass = exit status 0. KodCode's judge: its run_test.sh runs
                 ``timeout 30 pytest --cov=solution --cov-report term`` and writes "Pass" iff pytest exits 0
                 (pytest-cov only adds the coverage report; the plain side runs without it).
  nsl            ``verify_rows`` with ``convention: kodcode`` (warm pytest worker, isolated), default limits and
                 options as the KodCode recipe's verify_code stage uses them; pass = ``passed``.

Both sides use the same number of workers, one after the other (plain first). Per-row time: plain = the
pytest process's wall clock; nsl = the sandbox runs' wall clock (``test_results[*].wall``). Every
disagreement is printed with both sides' details and re-run (plain 3 more times, nsl once) to tell a
flaky trial from a real difference.

    /opt/nsl/venv/bin/python benchmarks/kodcode_agreement.py [--workers 2] [--mbpp N] [--humaneval N] \\
        [--write-sample tests/data/code/kodcode_agreement_sample.jsonl] [--dump /tmp/kodcode_rows.jsonl]
    /opt/nsl/venv/bin/python benchmarks/kodcode_agreement.py --sample-from /tmp/kodcode_rows.jsonl \\
        --write-sample tests/data/code/kodcode_agreement_sample.jsonl     # the sample from a dump, nothing run

Only trials built by this project run unsandboxed (the plain side).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests" / "integration" / "code_execution"))

from kodcode_trials import KODCODE_PREFIX, all_trials, star_names  # noqa: E402
from nemo_skills_lite.code_execution import Pool, verify_rows  # noqa: E402
from nemo_skills_lite.code_execution.isolation import DEFAULT_PYTHON, SANDBOX_ENV, IsolationConfig  # noqa: E402
from plain_pytest import run_plain  # noqa: E402

KODCODE_TIMEOUT = 30.0  # KodCode's run_test.sh: TIME_LIMIT=30, `timeout $TIME_LIMIT pytest ...`
ROW_KEYS = ("id", "source", "shape", "variant", "convention", "code", "test_code")


def plain_side(rows: list[dict], workers: int, timeout: float) -> tuple[list, float]:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as ex:
        res = list(ex.map(lambda r: run_plain(r["code"], KODCODE_PREFIX + r["test_code"], timeout=timeout, junit=False),
                          rows))
    return res, time.perf_counter() - t0


def nsl_side(rows: list[dict], workers: int) -> tuple[list[dict], float, float]:
    with Pool(workers, IsolationConfig()) as pool:
        t0 = time.perf_counter()
        verify_rows(rows[:workers], pool=pool, cache=False)  # start and warm every worker, untimed
        start_up = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = verify_rows(rows, pool=pool, cache=False)
        return out, time.perf_counter() - t0, start_up


def row_wall(res: dict) -> float:
    return sum(t.get("wall", 0.0) for t in res.get("test_results", []))


def plain_output(row: dict, timeout: float) -> str:
    """The tail of plain pytest's report for one trial (disagreement details)."""
    with tempfile.TemporaryDirectory() as d:
        Path(d, "solution.py").write_text(row["code"])
        Path(d, "test_solution.py").write_text(KODCODE_PREFIX + row["test_code"])
        env = {"PATH": "/usr/bin:/bin", "HOME": d, "LANG": "C.UTF-8", **SANDBOX_ENV}
        try:
            p = subprocess.run([DEFAULT_PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_solution.py"],
                               cwd=d, env=env, capture_output=True, text=True, timeout=timeout)
            return f"rc={p.returncode}\n" + (p.stdout + p.stderr)[-1500:]
        except subprocess.TimeoutExpired:
            return "timed out"


def nsl_details(res: dict) -> str:
    tr = (res.get("test_results") or [{}])[0]
    failed = [f"{t['name']} ({t['when']}: {t['outcome']})" for t in tr.get("tests", []) if t["outcome"] != "passed"]
    return (f"verdict={res.get('verdict')} {tr.get('note', '')} error={res.get('error')} "
            f"missing={res.get('missing_module')} wall={row_wall(res):.2f}s failed={failed[:5]}")


def retime(rows: list[dict], timeout: float) -> None:
    """Rows nsl took > 2 s that plain pytest finished in < 2 s: both sides again, one row at a time,
    alternating (the two sides of the main run ran minutes apart, under whatever load others put on the
    machine then)."""
    print("\nre-timed side by side (1 worker, alternating): | trial | plain wall / CPU s | nsl wall / CPU s |")
    with Pool(1, IsolationConfig()) as pool:
        verify_rows(rows[:1], pool=pool, cache=False)
        for r in rows:
            p = run_plain(r["code"], KODCODE_PREFIX + r["test_code"], timeout=timeout, junit=False)
            t = verify_rows([{k: r[k] for k in ROW_KEYS}], pool=pool, cache=False)[0]["test_results"][0]
            print(f"| {r['id']} | {p.wall:.2f} / {p.cpu:.2f} | {t['wall']:.2f} / {t['time']:.2f} |")


def write_sample(path: Path, done: list[dict], per_group: int = 2) -> int:
    """Per shape, ``per_group`` trials plain pytest passes and ``per_group`` it fails, and the same for the
    trials whose tests need KodCode's ``from solution import *`` line (no timeout trials). ``done``: trials
    with ``plain_rc`` and ``plain_verdict``, as ``--dump`` writes them."""
    picked: dict[tuple, list] = collections.defaultdict(list)
    for t in sorted(done, key=lambda t: t["id"][::-1]):  # spread over problems
        star = bool(star_names(t["code"], t["test_code"]))
        key = ("star" if star else t["shape"], t["plain_rc"] == 0)
        if t["shape"] != "timeout" and t["plain_verdict"] != "time_limit" and len(picked[key]) < per_group:
            picked[key].append({**{k: t[k] for k in ROW_KEYS}, "plain_passed": t["plain_rc"] == 0,
                                "plain_rc": t["plain_rc"], "needs_star_import": star})
    out = [r for key in sorted(picked) for r in picked[key]]
    path.write_text("".join(json.dumps(r) + "\n" for r in out))
    return len(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=2, help="parallel workers on both sides (default 2)")
    ap.add_argument("--mbpp", type=int, default=None, help="first N MBPP problems (default all 974)")
    ap.add_argument("--mbpp-from", type=int, default=0, help="skip the first N MBPP problems (a run in parts)")
    ap.add_argument("--humaneval", type=int, default=None, help="first N HumanEval problems (default all 164)")
    ap.add_argument("--timeout", type=float, default=KODCODE_TIMEOUT, help="plain pytest wall-clock limit (KodCode: 30)")
    ap.add_argument("--write-sample", type=Path, default=None, help="store a sample with plain pytest's verdicts")
    ap.add_argument("--dump", type=Path, default=None, help="write every trial with both verdicts and times")
    ap.add_argument("--sample-from", type=Path, default=None, help="only write --write-sample from a --dump file")
    args = ap.parse_args()
    if args.sample_from and args.write_sample:
        done = [json.loads(line) for line in args.sample_from.read_text().splitlines() if line.strip()]
        print(f"wrote {write_sample(args.write_sample, done)} trials to {args.write_sample}")
        return 0
    rows = all_trials(args.mbpp, args.humaneval, args.mbpp_from)
    load0 = os.getloadavg()[0]
    print(f"{len(rows)} trials, {args.workers} workers, {os.cpu_count()} cores, load avg {load0:.1f}", flush=True)
    plain, plain_s = plain_side(rows, args.workers, args.timeout)
    print(f"plain pytest: {plain_s:.0f} s, load avg {os.getloadavg()[0]:.1f}", flush=True)
    ours, ours_s, start_up = nsl_side(rows, args.workers)
    print(f"nsl: {ours_s:.0f} s (+{start_up:.1f} s worker start-up), load avg {os.getloadavg()[0]:.1f}", flush=True)

    p_pass = [p.rc == 0 for p in plain]
    o_pass = [bool(o["passed"]) for o in ours]
    p_wall = [p.wall for p in plain]
    o_wall = [row_wall(o) for o in ours]
    n = len(rows)
    agree = sum(a == b for a, b in zip(p_pass, o_pass))
    correct_rejected = sum(a and not b for a, b in zip(p_pass, o_pass))
    wrong_accepted = sum(b and not a for a, b in zip(p_pass, o_pass))
    over15 = sum(w > 15 for w in o_wall)
    slow_vs_fast = sum(o > 2 and p < 2 for o, p in zip(o_wall, p_wall))
    ratios = [(o / p if p > 0 else 0.0, i) for i, (o, p) in enumerate(zip(o_wall, p_wall))]
    worst, wi = max(ratios)
    print("\n| trials | plain passed | nsl passed | agreement | correct rejected | wrong accepted | plain rows/s "
          "| nsl rows/s | nsl rows > 15 s | nsl > 2 s where plain < 2 s | slowest nsl / plain row |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {n} | {sum(p_pass)} | {sum(o_pass)} | {100 * agree / n:.2f}% ({agree}/{n}) | {correct_rejected} "
          f"| {wrong_accepted} | {n / plain_s:.1f} | {n / ours_s:.1f} | {over15} | {slow_vs_fast} "
          f"| {worst:.2f} ({rows[wi]['id']}: {o_wall[wi]:.2f} s vs {p_wall[wi]:.2f} s) |")
    print("\n| shape | trials | plain passed | nsl passed | agree | plain s/row (max) | nsl s/row (max) |")
    print("|---|---|---|---|---|---|---|")
    by = collections.defaultdict(list)
    for i, r in enumerate(rows):
        by[r["shape"]].append(i)
    for shape, idx in by.items():
        print(f"| {shape} | {len(idx)} | {sum(p_pass[i] for i in idx)} | {sum(o_pass[i] for i in idx)} "
              f"| {sum(p_pass[i] == o_pass[i] for i in idx)} | {sum(p_wall[i] for i in idx) / len(idx):.2f} "
              f"({max(p_wall[i] for i in idx):.1f}) | {sum(o_wall[i] for i in idx) / len(idx):.2f} "
              f"({max(o_wall[i] for i in idx):.1f}) |")

    slow_rows = [rows[i] for i in range(n) if o_wall[i] > 2 and p_wall[i] < 2]
    if slow_rows:
        retime(slow_rows, args.timeout)
    bad = [i for i in range(n) if p_pass[i] != o_pass[i]]
    if bad:
        again = verify_rows([{k: rows[i][k] for k in ROW_KEYS} for i in bad], workers=args.workers, cache=False)
    for j, i in enumerate(bad):
        reruns = [run_plain(rows[i]["code"], KODCODE_PREFIX + rows[i]["test_code"], timeout=args.timeout, junit=False).rc == 0
                  for _ in range(3)]
        print(f"\n### DISAGREEMENT {rows[i]['id']}: plain {'pass' if p_pass[i] else 'fail'} "
              f"(rc {plain[i].rc}, {p_wall[i]:.2f} s; 3 reruns pass: {reruns}), nsl {'pass' if o_pass[i] else 'fail'} "
              f"(rerun: {'pass' if again[j]['passed'] else 'fail'})")
        print("nsl:", nsl_details(ours[i]))
        print("plain:", plain_output(rows[i], args.timeout))
    done = [{**{k: r[k] for k in ROW_KEYS}, "star": r["star"], "plain_rc": p.rc, "plain_verdict": p.verdict,
             "plain_wall": p.wall, "nsl_verdict": o["verdict"], "nsl_passed": o["passed"], "nsl_wall": row_wall(o),
             "nsl_details": nsl_details(o)} for r, p, o in zip(rows, plain, ours)]
    if args.dump:
        args.dump.write_text("".join(json.dumps(t) + "\n" for t in done))
    if args.write_sample:
        print(f"\nwrote {write_sample(args.write_sample, done)} trials to {args.write_sample}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
