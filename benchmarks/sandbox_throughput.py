"""Isolated test executions per second for a fixed mix, side by side in one run.

Mix: the 164 HumanEval canonical solutions with their ``check`` (one execution each) and a
CodeContests problem's Python solution against its 138 stdin/stdout tests (one execution each).

Compared on the same mix, same machine, same run:
  1. nsl sandbox            long-lived isolated workers, one forked run per test (this project)
  2. plain subprocess       ``python3 -c`` per test, no isolation at all
  3. fresh isolated process setpriv + rlimits + bubblewrap + python per test (the usual way)
  4. pytest per solution    a fresh ``python -m pytest`` per HumanEval solution, as KodCode runs
                            it (HumanEval part only), vs. the same pytest files as nsl pytest rows

    /opt/nsl/venv/bin/python benchmarks/sandbox_throughput.py [--workers N] [--repeat K]

Needs root, bubblewrap and /opt/nsl/sandbox-venv (scripts/install.d/20-sandbox.sh).
"""

from __future__ import annotations

import argparse
import gzip
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
sys.path.insert(0, str(ROOT / "tests" / "integration" / "code_execution"))

from nemo_skills_lite.code_execution import Pool, verify_rows  # noqa: E402
from nemo_skills_lite.code_execution.isolation import DEFAULT_PYTHON, IsolationConfig, UidLease, bwrap_args  # noqa: E402

DATA = ROOT / "tests" / "data" / "code"


def load_mix() -> tuple[list[dict], list[dict]]:
    from test_datasets import SQUARES_PY  # the solution used by the tests

    with gzip.open(DATA / "HumanEval.jsonl.gz", "rt") as f:
        he = [json.loads(line) for line in f]
    he_rows = [{"code": p["prompt"] + p["canonical_solution"], "test": p["test"], "entry_point": p["entry_point"]}
               for p in he]
    tests = json.loads((DATA / "codecontests_squares_and_cubes.json").read_text())["tests"]
    return he_rows, [{"code": SQUARES_PY, "tests": tests}]


def programs(he_rows: list[dict], stdin_rows: list[dict]) -> list[tuple[str, str, str | None]]:
    """(program, stdin, expected stdout or None) per execution, for the per-process baselines."""
    out = [(r["code"] + "\n" + r["test"] + f"\ncheck({r['entry_point']})\n", "", None) for r in he_rows]
    out += [(r["code"], t["input"], t["output"]) for r in stdin_rows for t in r["tests"]]
    return out


def _check(p: subprocess.CompletedProcess, expected: str | None) -> bool:
    return p.returncode == 0 and (expected is None or p.stdout.split() == expected.split())


def run_plain(progs, workers: int) -> tuple[int, int]:
    def one(item):
        prog, stdin, exp = item
        p = subprocess.run([DEFAULT_PYTHON, "-I", "-c", prog], input=stdin, capture_output=True, text=True, timeout=60)
        return _check(p, exp)
    with ThreadPoolExecutor(workers) as ex:
        ok = list(ex.map(one, progs))
    return len(ok), sum(ok)


def run_fresh_isolated(progs, workers: int) -> tuple[int, int]:
    import resource

    cfg = IsolationConfig()
    leases = [UidLease() for _ in range(workers)]
    free = list(leases)

    def limits() -> None:
        for what, val in ((resource.RLIMIT_NPROC, 64), (resource.RLIMIT_AS, 1 << 30), (resource.RLIMIT_CPU, 10)):
            resource.setrlimit(what, (val, val))

    def one(item):
        prog, stdin, exp = item
        lease = free.pop()
        try:
            with tempfile.TemporaryDirectory() as d:
                Path(d, "prog.py").write_text(prog)
                os.chmod(d, 0o755)
                os.chmod(Path(d, "prog.py"), 0o644)
                cmd = (["setpriv", f"--reuid={lease.uid}", f"--regid={lease.uid}", "--clear-groups",
                        "--no-new-privs", "--inh-caps=-all", "--"]
                       + bwrap_args(cfg, extra_ro_binds=((f"{d}/prog.py", "/prog/prog.py"),))
                       + [cfg.python, "-I", "/prog/prog.py"])
                p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60, preexec_fn=limits)
        finally:
            free.append(lease)
        return _check(p, exp)
    try:
        with ThreadPoolExecutor(workers) as ex:
            ok = list(ex.map(one, progs))
    finally:
        for lease in leases:
            lease.release()
    return len(ok), sum(ok)


def pytest_file(row: dict) -> str:
    return "from solution import *\n" + row["test"] + f"\n\ndef test_check():\n    check({row['entry_point']})\n"


def run_pytest_fresh(he_rows: list[dict], workers: int) -> tuple[int, int]:
    def one(row):
        with tempfile.TemporaryDirectory() as d:
            Path(d, "solution.py").write_text(row["code"])
            Path(d, "test_solution.py").write_text(pytest_file(row))
            p = subprocess.run([DEFAULT_PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_solution.py"],
                               cwd=d, capture_output=True, text=True, timeout=120)
        return p.returncode == 0
    with ThreadPoolExecutor(workers) as ex:
        ok = list(ex.map(one, he_rows))
    return len(ok), sum(ok)


def timed(fn, *args) -> tuple[int, int, float]:
    t0 = time.perf_counter()
    n, ok = fn(*args)
    return n, ok, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=None, help="parallel workers for every mode (default cores + 1)")
    ap.add_argument("--repeat", type=int, default=1, help="repeat the mix K times (longer, steadier numbers)")
    args = ap.parse_args()
    workers = args.workers or (os.cpu_count() or 1) + 1
    he_rows, stdin_rows = load_mix()
    he_rows, stdin_rows = he_rows * args.repeat, stdin_rows * args.repeat
    progs = programs(he_rows, stdin_rows)
    results: list[tuple[str, int, int, float]] = []

    with Pool(workers) as pool:
        verify_rows(he_rows[:4], pool=pool, cache=False)  # start the workers outside the timing

        def ours() -> tuple[int, int]:
            out = verify_rows(he_rows + stdin_rows, pool=pool, cache=False, stop_at_first_failure=False)
            return sum(r["tests_total"] for r in out), sum(r["tests_passed"] for r in out)

        def ours_pytest() -> tuple[int, int]:
            out = verify_rows([{"code": r["code"], "test_code": pytest_file(r)} for r in he_rows], pool=pool, cache=False)
            return len(out), sum(r["passed"] for r in out)

        results.append(("nsl sandbox (isolated, fork per test)", *timed(ours)))
        results.append(("plain subprocess per test (NO isolation)", *timed(run_plain, progs, workers)))
        results.append(("fresh isolated process per test", *timed(run_fresh_isolated, progs, workers)))
        results.append(("nsl sandbox, pytest rows (HumanEval part)", *timed(ours_pytest)))
        results.append(("pytest per solution, fresh process (KodCode)", *timed(run_pytest_fresh, he_rows, workers)))

    base = results[0][1] / results[0][3]
    print(f"\nsandbox throughput: {len(he_rows)} HumanEval checks + {sum(len(r['tests']) for r in stdin_rows)} "
          f"stdin tests, {workers} workers, {os.cpu_count()} cores, load avg {os.getloadavg()[0]:.1f}\n")
    print("| mode | executions | passed | seconds | executions/s | nsl sandbox is x faster |")
    print("|---|---|---|---|---|---|")
    for name, n, ok, sec in results:
        rate = n / sec
        ref = base if "pytest" not in name else results[3][1] / results[3][3]
        print(f"| {name} | {n} | {ok} | {sec:.1f} | {rate:.0f} | {ref / rate:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
