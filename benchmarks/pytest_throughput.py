"""KodCode-style pytest trials per second: plain pytest vs the sandbox's old pytest path vs the warm
pytest worker, side by side in one run, the same trials and the same number of workers.

Trials: tests/data/code/kodcode_style_trials.jsonl without its two timeout trials (a solution module
and a pytest file with several tests each; a third use numpy/pandas/scipy/sympy/networkx/sklearn/
matplotlib), repeated ``--repeat`` times.

  1. plain pytest       a fresh ``python -m pytest`` per trial in a temp dir, as KodCode runs it; NO isolation
  2. nsl, old path      isolated sandbox workers that import pytest only; each trial is a forked run
                        that imports pytest's plugins and whatever the test imports
                        (IsolationConfig(pytest_warm=False): the path before the warm worker)
  3. nsl, warm worker   isolated sandbox workers with pytest, its plugins and the sandbox packages
                        imported and one pytest run done before the first trial; each trial is a fork

Columns: rows/s (wall clock, on a machine others may share: load average shown), CPU seconds per row
(everything the mode ran: our process, the workers and their runs, or the pytest processes), and
"rows/s on 2 free cores" = 2 / CPU per row, the rate the CPU work allows when nobody else runs. Verdicts
are compared with plain pytest row by row; the slowest trial relative to its own plain pytest time
(median over its repeats, wall clock and CPU) is shown.

    /opt/nsl/venv/bin/python benchmarks/pytest_throughput.py [--workers 2] [--repeat 4]

Needs root, bubblewrap and /opt/nsl/sandbox-venv (scripts/install.d/20-sandbox.sh).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration" / "code_execution"))

from nemo_skills_lite.code_execution import Pool, verify_rows  # noqa: E402
from nemo_skills_lite.code_execution.isolation import IsolationConfig  # noqa: E402
from plain_pytest import comparable, run_plain  # noqa: E402

TRIALS = ROOT / "tests" / "data" / "code" / "kodcode_style_trials.jsonl"


def load_trials() -> list[dict]:
    rows = [json.loads(line) for line in TRIALS.read_text().splitlines() if line.strip()]
    return [r for r in rows if not r.get("timeout")]


def _self_cpu() -> float:
    t = os.times()
    return t.user + t.system


def _uid_cpu(uids: set[int]) -> float:
    """CPU seconds of every live process of the sandbox uids, with their reaped children (the runs)."""
    total = 0.0
    for p in psutil.process_iter(["uids", "cpu_times"]):
        uids_, t = p.info["uids"], p.info["cpu_times"]
        if uids_ and t and uids_.real in uids:
            total += t.user + t.system + t.children_user + t.children_system
    return total


def bench_plain(rows: list[dict], workers: int) -> dict:
    t0, c0 = time.perf_counter(), _self_cpu()
    with ThreadPoolExecutor(workers) as ex:
        res = list(ex.map(lambda r: run_plain(r["code"], r["test_code"], stop=True, junit=False), rows))
    wall = time.perf_counter() - t0
    cpu = sum(r.cpu for r in res) + _self_cpu() - c0
    return {"wall": wall, "cpu": cpu, "verdicts": [r.verdict for r in res], "row_wall": [r.wall for r in res],
            "row_cpu": [r.cpu for r in res]}


def bench_nsl(rows: list[dict], workers: int, warm: bool) -> dict:
    with Pool(workers, IsolationConfig(pytest_warm=warm)) as pool:
        t0 = time.perf_counter()
        verify_rows(rows[:workers], pool=pool, cache=False)  # start (and warm) every worker, untimed
        start_up = time.perf_counter() - t0
        uids = {w.lease.uid for w in pool._all if w.lease is not None}
        u0, c0, t0 = _uid_cpu(uids), _self_cpu(), time.perf_counter()
        out = verify_rows(rows, pool=pool, cache=False, flaky_reruns=0)
        wall = time.perf_counter() - t0
        cpu = _uid_cpu(uids) - u0 + _self_cpu() - c0
    return {"wall": wall, "cpu": cpu, "start_up": start_up, "verdicts": [comparable(r["verdict"]) for r in out],
            "row_wall": [sum(t["wall"] for t in r["test_results"]) for r in out],
            "row_cpu": [sum(t["time"] for t in r["test_results"]) for r in out]}


def _per_trial(ids: list[str], ours: list[float], plain: list[float]) -> dict[str, float]:
    """Per trial: median of its repeats in this mode / median of its plain pytest repeats."""
    import statistics

    out = {}
    for tid in dict.fromkeys(ids):
        a = statistics.median(x for i, x in zip(ids, ours) if i == tid)
        b = statistics.median(x for i, x in zip(ids, plain) if i == tid)
        out[tid] = a / b if b > 0 else 0.0
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=2, help="parallel workers for every mode (default 2)")
    ap.add_argument("--repeat", type=int, default=4, help="repeat the trials K times")
    args = ap.parse_args()
    rows = load_trials() * args.repeat
    results = {"plain pytest, fresh process per trial (NO isolation)": bench_plain(rows, args.workers),
               "nsl sandbox, old path (pytest imported, nothing else)": bench_nsl(rows, args.workers, warm=False),
               "nsl sandbox, warm pytest worker": bench_nsl(rows, args.workers, warm=True)}
    plain = results["plain pytest, fresh process per trial (NO isolation)"]
    print(f"\npytest trials: {len(rows)} rows ({len(rows) // args.repeat} trials x {args.repeat}), {args.workers} "
          f"workers each, {os.cpu_count()} cores, load avg {os.getloadavg()[0]:.1f}\n")
    print("| mode | rows | seconds | rows/s | CPU s/row | rows/s on 2 free cores | x plain (2 free cores) "
          "| verdicts = plain | slowest trial vs its plain time (wall / CPU) | worker start-up s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    ids = [r["id"] for r in rows]
    worst_rows = []
    for name, r in results.items():
        cpr = r["cpu"] / len(rows)
        same = sum(a == b for a, b in zip(r["verdicts"], plain["verdicts"]))
        wall_ratio = _per_trial(ids, r["row_wall"], plain["row_wall"])
        cpu_ratio = _per_trial(ids, r["row_cpu"], plain["row_cpu"])
        worst = max(wall_ratio, key=wall_ratio.get)
        worst_rows.append(f"{name}: {worst} ({wall_ratio[worst]:.2f}x wall)")
        print(f"| {name} | {len(rows)} | {r['wall']:.1f} | {len(rows) / r['wall']:.1f} | {cpr:.3f} | {2 / cpr:.1f} "
              f"| {plain['cpu'] / r['cpu']:.1f} | {same}/{len(rows)} | {wall_ratio[worst]:.2f} / "
              f"{max(cpu_ratio.values()):.2f} | {r.get('start_up', 0):.1f} |")
    print("\nslowest trial relative to plain pytest (median of its repeats): " + "; ".join(worst_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
