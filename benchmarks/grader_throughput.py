#!/usr/bin/env python3
"""Math grader throughput on real pairs, side by side with plain math-verify at equal worker counts.

    python benchmarks/grader_throughput.py [--workers 2] [--repeat 3] [--timeout 2] [--rounds 3]

Real pairs: NeMo-Skills' 150 graded MATH rows (expected_answer, predicted_answer) and its 60-pair
math_equal table, every pair labelled (symbolic_correct / the test's expectation); repeated
``--repeat`` times. Every mode runs with ``--workers`` processes and is warmed first (imports done,
one untimed pass over all pairs), then timed on the same pairs ``--rounds`` times in rotating order
(the machine is shared; the median round is reported):
  - floor                : our ``judge`` with no time guard in N processes (pool.map in chunks): the
                           same grading work with nothing around it -- the limit for ours
  - math-verify, no limit: plain parse/verify without any time limit in N processes (pool.map in chunks)
  - math-verify          : the same with its own timeouts (--timeout each for both parses and the
                           verify), the way NeMo-Skills calls it
  - ours                 : the ``evaluate`` path: ``judge`` with the process guard, N grader processes
                           fed by N threads, one hard limit per pair
Rates cover real pairs only; verdicts are compared with the labels and with math-verify's.
Hostile pairs (huge towers, factorials, deep nesting) run apart, one at a time per side: their
worst-case time is reported, not mixed into a rate (math-verify's are cut at 10x the limit).
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import re
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nemo_skills_lite.evaluation.math_grader import judge  # noqa: E402
from nemo_skills_lite.evaluation.timeout_guard import WorkerPool  # noqa: E402

DATA = ROOT / "tests" / "data" / "math"
HOSTILE = [("10^{10^{10}}", "1"), ("100000000!", "5"), ("7^{7^{7^{7}}}", "1"),
           ("(" * 1000 + "1" + ")" * 1000, "1"), ("(" * 1000 + "1" + ")" * 1000, "(" * 1000 + "2" + ")" * 1000)]
_LATEX_ENV_RE = re.compile(r"\$.*\$|\\\(.*\\\)|\\\[.*\\\]|\\boxed\{", re.DOTALL)


def load_pairs() -> list[tuple[object, object, bool]]:
    pairs = []
    for seed in range(3):
        for line in (DATA / f"nemo_skills_math_output_rs{seed}.jsonl").read_text().splitlines():
            row = json.loads(line)
            pairs.append((row["expected_answer"], row["predicted_answer"], row["symbolic_correct"]))
    peer = json.loads((DATA / "peer_grader_tests.json").read_text())
    pairs += [(r["gold"], r["prediction"], r["expected"]) for r in peer if r["source"] == "NVIDIA/NeMo-Skills"]
    return pairs


# ----------------------------------------------------------------------------- math-verify side
def _mv_init() -> None:
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    import math_verify  # noqa: F401
    mv_pair(("1/2", "0.5", 1.0))


def mv_pair(item: tuple) -> tuple[bool, float]:
    """Plain math-verify as NeMo-Skills calls it ($-wrapped, LatexExtractionConfig); limit None = none."""
    from math_verify import LatexExtractionConfig, parse, verify
    gt, pred, limit = item
    start = time.monotonic()
    if pred is None:
        return False, time.monotonic() - start
    gt, pred = str(gt), str(pred)
    gt = gt if _LATEX_ENV_RE.search(gt) else f"${gt}$"
    pred = pred if _LATEX_ENV_RE.search(pred) else f"${pred}$"
    t = None if limit is None else max(1, int(limit))
    try:
        g = parse(gt, [LatexExtractionConfig()], parsing_timeout=t)
        p = parse(pred, [LatexExtractionConfig()], parsing_timeout=t)
        ok = bool(verify(g, p, timeout_seconds=t))
    except Exception:  # noqa: BLE001
        ok = False
    return ok, time.monotonic() - start


def ours_unguarded(item: tuple) -> bool:
    return judge(item[0], item[1], guard="none").equal


def run_mapped(pool: Any, fn: Any, pairs: list, limit: float | None) -> tuple[float, list[bool]]:
    items = [(g, p, limit) for g, p, _ in pairs]
    start = time.monotonic()
    out = pool.map(fn, items, chunksize=8)
    wall = time.monotonic() - start
    return wall, [v[0] if isinstance(v, tuple) else v for v in out]


# ----------------------------------------------------------------------------- our side
def run_ours(pairs: list, ex: ThreadPoolExecutor, limit: float, pool: WorkerPool) -> tuple[float, list[bool]]:
    def one(pair: tuple) -> bool:
        return judge(pair[0], pair[1], timeout=limit, guard="process", pool=pool).equal

    start = time.monotonic()
    out = list(ex.map(one, pairs))
    return time.monotonic() - start, out


def hostile_times(limit: float) -> tuple[list[float], list[str]]:
    ours, theirs = [], []
    pool = WorkerPool(1)
    try:
        for gt, pred in HOSTILE:
            pool.warm(1) if not pool._idle else None  # a killed worker's replacement starts untimed
            start = time.monotonic()
            judge(gt, pred, timeout=limit, guard="process", pool=pool)
            ours.append(time.monotonic() - start)
    finally:
        pool.close()
    cap = 10 * limit
    for gt, pred in HOSTILE:
        mvp = mp.get_context("fork").Pool(1, initializer=_mv_init)
        res = mvp.apply_async(mv_pair, ((gt, pred, limit),))
        start = time.monotonic()
        try:
            res.get(cap)
            theirs.append(f"{time.monotonic() - start:.2f}s")
        except mp.TimeoutError:
            theirs.append(f">{cap:.0f}s (killed)")
        mvp.terminate()
        mvp.join()
    return ours, theirs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--timeout", type=float, default=2.0, help="per-pair limit in seconds")
    ap.add_argument("--repeat", type=int, default=3, help="how many times the real pairs are repeated")
    ap.add_argument("--workers", type=int, default=2, help="processes for every mode")
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds per mode (median reported)")
    args = ap.parse_args()
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    base = load_pairs()
    pairs = base * args.repeat
    labels = [lab for _, _, lab in pairs]
    n, limit = args.workers, args.timeout

    ours_pool = WorkerPool(n)
    ours_pool.warm(n)
    mp_pool = mp.get_context("fork").Pool(n, initializer=_mv_init)
    ex = ThreadPoolExecutor(n)
    modes = {
        "floor": lambda: run_mapped(mp_pool, ours_unguarded, pairs, None),
        "mv_free": lambda: run_mapped(mp_pool, mv_pair, pairs, None),
        "mv": lambda: run_mapped(mp_pool, mv_pair, pairs, limit),
        "ours": lambda: run_ours(pairs, ex, limit, ours_pool),
    }
    walls: dict[str, list[float]] = {k: [] for k in modes}
    verdicts: dict[str, list[bool]] = {}
    try:
        for run in modes.values():  # warm pass: every process has imported and filled its caches
            run()
        order = list(modes)
        for r in range(args.rounds):
            for key in order[r % len(order):] + order[:r % len(order)]:
                wall, verdicts[key] = modes[key]()
                walls[key].append(wall)
    finally:
        ex.shutdown()
        ours_pool.close()
        mp_pool.terminate()
        mp_pool.join()

    rate = {k: len(pairs) / statistics.median(w) for k, w in walls.items()}
    right = {k: sum(a == b for a, b in zip(v, labels)) for k, v in verdicts.items()}
    print(f"{len(pairs)} real pairs ({len(base)} labelled x {args.repeat}), {n} processes per mode, "
          f"limit {limit:g}s per pair, every mode warmed, median of {args.rounds} rounds\n")
    print(f"{'mode':<24} | {'pairs/s':>8} | {'vs math-verify':>14} | {'vs floor':>8} | {'agrees with labels':>18}")
    print("-" * 88)
    for key, name in (("floor", "floor: ours, no guard"), ("mv_free", "math-verify, no limit"),
                      ("mv", "math-verify"), ("ours", "ours (evaluate path)")):
        print(f"{name:<24} | {rate[key]:8.1f} | {rate[key] / rate['mv']:13.2f}x | {rate[key] / rate['floor']:7.2f}x | "
              f"{right[key]:>10}/{len(pairs)}")
    ours, mv = verdicts["ours"], verdicts["mv"]
    diff = [i for i in range(len(base)) if ours[i] != mv[i]]
    print(f"\nverdicts differing from math-verify: {len(diff)} of {len(base)} distinct pairs; "
          f"ours right on {sum(ours[i] == labels[i] for i in diff)} of them, math-verify on "
          f"{sum(mv[i] == labels[i] for i in diff)}")
    for i in diff[:8]:
        print(f"  {str(base[i][0])[:30]!r} vs {str(base[i][1])[:30]!r}: label {labels[i]}, ours {ours[i]}, mv {mv[i]}")

    ours_h, mv_h = hostile_times(limit)
    print(f"\nhostile pairs, one at a time (limit {limit:g}s): worst case ours {max(ours_h):.2f}s")
    for (gt, pred), o, m in zip(HOSTILE, ours_h, mv_h):
        print(f"  {gt[:16]!r:<20} vs {pred[:16]!r:<20} ours {o:5.2f}s | math-verify {m}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
