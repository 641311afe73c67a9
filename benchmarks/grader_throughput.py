#!/usr/bin/env python3
"""Math grader throughput on a mix of real and pathological pairs, side by side with plain math-verify.

    python benchmarks/grader_throughput.py [--timeout 2] [--repeat 3] [--workers 2]

Pairs: the 150 (expected, predicted) pairs of NeMo-Skills' MATH seed files, the 60 NeMo-Skills
peer-table pairs, and 5 pathological pairs (huge towers, factorials, deep nesting on one or both
sides), so about 1% of pairs are hostile. Modes, each in this one process, one after the other:
  - math-verify : plain ``parse``/``verify`` with its own signal timeouts (``--timeout`` each for
                  parse gold, parse prediction, verify) — what you get without a wrapper
  - signal      : our ``math_equal`` with the in-process signal guard (main thread only)
  - process-1   : our ``math_equal`` with the process guard, one worker (works from any thread)
  - process-N   : the ``evaluate`` path: N grader processes fed by N threads
Prints pairs/s, ratio vs math-verify, the slowest pair, pairs over the limit (>5% over) and
timeouts (math-verify reports a timeout as "not equal", so its count is not visible: "silent").
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nemo_skills_lite.evaluation.math_grader import judge, warm_up  # noqa: E402
from nemo_skills_lite.evaluation.timeout_guard import WorkerPool  # noqa: E402

DATA = ROOT / "tests" / "data" / "math"
PATHOLOGICAL = [("10^{10^{10}}", "1"), ("100000000!", "5"), ("7^{7^{7^{7}}}", "1"),
                ("(" * 1000 + "1" + ")" * 1000, "1"), ("(" * 1000 + "1" + ")" * 1000, "(" * 1000 + "2" + ")" * 1000)]


def load_pairs(repeat: int) -> list[tuple[str, str]]:
    pairs = []
    for seed in range(3):
        for line in (DATA / f"nemo_skills_math_output_rs{seed}.jsonl").read_text().splitlines():
            row = json.loads(line)
            pairs.append((row["expected_answer"], row["predicted_answer"]))
    peer = json.loads((DATA / "peer_grader_tests.json").read_text())
    pairs += [(r["gold"], r["prediction"]) for r in peer if r["source"] == "NVIDIA/NeMo-Skills"]
    return pairs * repeat + PATHOLOGICAL


def plain_math_verify(gt: object, pred: object, timeout: float) -> tuple[bool, str]:
    from math_verify import LatexExtractionConfig, parse, verify
    if pred is None:
        return False, "empty"
    t = max(1, int(timeout))
    g = parse(f"${gt}$", [LatexExtractionConfig()], parsing_timeout=t)
    p = parse(f"${pred}$", [LatexExtractionConfig()], parsing_timeout=t)
    return bool(verify(g, p, timeout_seconds=t)), "ok"


def run_mode(name: str, pairs: list, timeout: float, workers: int) -> dict:
    times: list[float] = []
    statuses: list[str] = []
    pool = WorkerPool(workers) if name.startswith("process") else None
    if pool:
        pool.warm(workers)

    def one(pair: tuple) -> None:
        start = time.monotonic()
        if name == "math-verify":
            _, status = plain_math_verify(pair[0], pair[1], timeout)
        else:
            status = judge(pair[0], pair[1], timeout=timeout, guard="signal" if name == "signal" else "process",
                           pool=pool).status
        times.append(time.monotonic() - start)
        statuses.append(status)

    start = time.monotonic()
    if name == "process-N":
        with ThreadPoolExecutor(workers) as ex:
            list(ex.map(one, pairs))
    else:
        for pair in pairs:
            one(pair)
    wall = time.monotonic() - start
    if pool:
        pool.close()
    return {"mode": name, "pairs": len(pairs), "wall": wall, "rate": len(pairs) / wall, "max": max(times),
            "over": sum(t > timeout * 1.05 for t in times), "timeouts": statuses.count("timeout")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--timeout", type=float, default=2.0, help="per-pair limit in seconds")
    ap.add_argument("--repeat", type=int, default=3, help="how many times the normal pairs are repeated")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    import logging
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    pairs = load_pairs(args.repeat)
    warm_up()
    rows = [run_mode(m, pairs, args.timeout, args.workers) for m in ("math-verify", "signal", "process-1", "process-N")]
    base = rows[0]["rate"]
    print(f"{len(pairs)} pairs ({len(PATHOLOGICAL)} pathological), limit {args.timeout:g}s per pair, "
          f"{args.workers} workers for process-N\n")
    print(f"{'mode':<12} | {'pairs/s':>8} | {'vs math-verify':>14} | {'slowest pair':>12} | "
          f"{'over limit':>10} | {'timeouts':>8}")
    print("-" * 80)
    for r in rows:
        print(f"{r['mode']:<12} | {r['rate']:8.1f} | {r['rate'] / base:13.2f}x | {r['max']:11.2f}s | "
              f"{r['over']:10d} | {r['timeouts'] if r['mode'] != 'math-verify' else 'silent':>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
