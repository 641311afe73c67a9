"""Run every solution against its problem's stdin/stdout tests in the sandbox (pass/fail, no filtering).

    python recipes/opencodereasoning/scripts/verify_solutions.py SOLUTIONS_DIR OUTPUT_DIR [--workers N]
        [--time-limit S] [--batch 2000]

Reads ``SOLUTIONS_DIR/output-rs*.jsonl`` and writes the same files to OUTPUT_DIR with ``is_correct``,
``verdict``, ``tests_passed`` and ``tests_total`` added (nemo_skills_lite.evaluation.evaluate's code grading:
the last fenced block of ``generation``, bubblewrap sandbox). Rows of problems without tests (call-based,
interactive) are copied unlabeled. The OCR paper keeps failing solutions in the SFT data; the verdicts
feed the reasoning-pattern analysis (correct vs incorrect) and the funnel report.
"""

from __future__ import annotations

import argparse
import glob
import os
from collections import Counter
from pathlib import Path

from nemo_skills_lite.configs.evaluation import EvaluateConfig
from nemo_skills_lite.data.io import RowWriter, iter_rows
from nemo_skills_lite.evaluation.evaluate import grade_code_rows
from nemo_skills_lite.utils.errors import NslError, run_main


def verify_file(src: Path, dst: Path, cfg: EvaluateConfig, batch: int) -> Counter:
    counts: Counter = Counter()
    rows: list[dict] = []

    def flush(w: RowWriter) -> None:
        tested = [r for r in rows if r.get("tests")]
        if tested:
            counts["correct"] += grade_code_rows(tested, cfg, str(src))
        counts["tested"] += len(tested)
        counts["untested"] += len(rows) - len(tested)
        for r in rows:
            w.write(r)
        rows.clear()

    with RowWriter(dst) as w:
        for row in iter_rows(src):
            rows.append(row)
            if len(rows) >= batch:
                flush(w)
        flush(w)
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input_dir")
    ap.add_argument("output_dir")
    ap.add_argument("--workers", type=int, default=0, help="sandbox workers (0 = one per core)")
    ap.add_argument("--time-limit", type=float, default=None, help="seconds per test (default: the sandbox's)")
    ap.add_argument("--batch", type=int, default=2000)
    args = ap.parse_args(argv)
    files = sorted(glob.glob(os.path.join(args.input_dir, "output-rs*.jsonl")))
    if not files:
        raise NslError(f"no output-rs*.jsonl files in {args.input_dir}")
    if os.path.abspath(args.input_dir) == os.path.abspath(args.output_dir):
        raise NslError("output_dir must differ from input_dir")
    cfg = EvaluateConfig(input_files=",".join(files), eval_type="code", workers=args.workers,
                         code_time_limit=args.time_limit)
    total: Counter = Counter()
    for f in files:
        total += verify_file(Path(f), Path(args.output_dir) / Path(f).name, cfg, args.batch)
    print(f"verify_solutions: {len(files)} files, {total['tested']} solutions tested, {total['correct']} passed, "
          f"{total['untested']} without tests -> {args.output_dir}")
    return 0


if __name__ == "__main__":
    run_main(main)
