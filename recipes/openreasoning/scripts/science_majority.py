"""Majority vote over the solutions of each science question: there is no ground truth, the majority is it.

    python recipes/openreasoning/scripts/science_majority.py INPUT_DIR OUTPUT_DIR [--min-majority-share 0.5]

INPUT_DIR holds the solution stage's output-rs*.jsonl (every file the same questions in the same order).
Each solution's option letter is read by ``science_mcq.extract_choice`` (``\\boxed{X}`` / "Answer: X", after
``</think>``). Per question the most common letter wins; a tie for first place means no majority. Every
row gets ``predicted_answer`` (its letter or null), ``expected_answer`` (the majority letter or null),
``majority_votes``, ``total_votes`` (the number of solutions, so missing answers count against the
majority) and ``symbolic_correct`` (its letter is the majority), which prepare_data reads:
``add_correct`` keeps the agreeing solutions and ``filters.majority_filter`` with
``majority_filter.min_majority_percentage`` drops questions with a weak majority. An ``expected_answer``
the input already had is kept as ``provided_answer``. Writes OUTPUT_DIR/output-rs*.jsonl (atomically,
streaming: one question's solutions in memory at a time) and OUTPUT_DIR/majority-report.json;
--min-majority-share only sets which share the summary counts.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from contextlib import ExitStack
from itertools import zip_longest
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from science_mcq import extract_choice, seed_files  # noqa: E402

from nemo_skills_lite.data.io import RowWriter, iter_rows  # noqa: E402
from nemo_skills_lite.utils.errors import NslError, run_main  # noqa: E402
from nemo_skills_lite.utils.io import atomic_write_text  # noqa: E402
from nemo_skills_lite.utils.progress import Progress  # noqa: E402


def majority_letter(letters: list[str | None]) -> tuple[str | None, int]:
    """The most common letter and its votes; (None, 0) without answers or when the top two tie."""
    top = Counter(x for x in letters if x is not None).most_common(2)
    if not top or (len(top) == 2 and top[0][1] == top[1][1]):
        return None, 0
    return top[0]


def vote(rows: list[dict[str, Any]], where: str) -> tuple[str | None, int]:
    """Annotate the solutions of one question in place; returns (majority letter, votes)."""
    problem = rows[0].get("problem")
    if any(r.get("problem") != problem for r in rows):
        raise NslError(f"{where}: the seed files hold different questions at this line; every file must hold the "
                       "same questions in the same order")
    n_opt = rows[0].get("num_options") or 10
    letters = [extract_choice(r.get("generation"), n_opt) for r in rows]
    answer, votes = majority_letter(letters)
    for r, letter in zip(rows, letters):
        if "expected_answer" in r and "provided_answer" not in r:
            r["provided_answer"] = r["expected_answer"]
        r.update(predicted_answer=letter, expected_answer=answer, majority_votes=votes, total_votes=len(rows),
                 symbolic_correct=letter is not None and letter == answer)
    return answer, votes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input_dir", help="solution stage folder with output-rs*.jsonl")
    ap.add_argument("output_dir", help="where the annotated output-rs*.jsonl go")
    ap.add_argument("--min-majority-share", type=float, default=0.5, help="share counted as a strong majority")
    args = ap.parse_args(argv)
    if not 0.0 <= args.min_majority_share <= 1.0:
        raise NslError(f"--min-majority-share {args.min_majority_share}: must be between 0 and 1")
    out_dir = Path(args.output_dir)
    if out_dir.resolve() == Path(args.input_dir).resolve():
        raise NslError(f"output folder {out_dir} is the input folder; choose another so the inputs are kept")
    files = seed_files(args.input_dir)
    progress = Progress("science-majority", unit="questions")
    stats, n = Counter(), 0
    with ExitStack() as stack:  # streamed: one question's solutions in memory at a time; any error aborts all
        writers = [stack.enter_context(RowWriter(out_dir / f.name)) for f in files]
        for rows in zip_longest(*(iter_rows(f) for f in files)):
            if any(r is None for r in rows):
                short = ", ".join(f.name for f, r in zip(files, rows) if r is None)
                raise NslError(f"{args.input_dir}: {short} end(s) after {n} rows but other seed files go on; "
                               "each must hold every question once, in the same order")
            rows = list(rows)
            n += 1
            answer, votes = vote(rows, f"{args.input_dir}: line {n}")
            stats["with_majority"] += answer is not None
            stats["strong_majority"] += answer is not None and votes >= args.min_majority_share * len(files)
            stats["agreeing_solutions"] += votes
            stats["solutions_with_answer"] += sum(r["predicted_answer"] is not None for r in rows)
            for w, r in zip(writers, rows):
                w.write(r)
            progress.update(1)
    report = {"questions": n, "solutions": n * len(files), **stats, "min_majority_share": args.min_majority_share}
    atomic_write_text(out_dir / "majority-report.json", json.dumps(report, indent=2) + "\n")
    progress.close(f"{n} questions x {len(files)} solutions: {stats['solutions_with_answer']} solutions with an "
                   f"answer, {stats['with_majority']} questions with a majority, {stats['strong_majority']} with "
                   f">= {args.min_majority_share:.0%} of the votes, {stats['agreeing_solutions']} solutions agree")
    return 0


if __name__ == "__main__":
    run_main(main)
