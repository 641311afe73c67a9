"""Replace ``expected_answer`` with the majority answer where no generation matched.

    python recipes/openreasoning/scripts/use_majority_if_no_answer.py INPUT_DIR OUTPUT_DIR [--voting exact|semantic]

The seed recipe's step (OpenReasoning math): reads INPUT_DIR/output-rs*.jsonl (judged rows), writes
the same files to OUTPUT_DIR. ``semantic`` (default) groups answers equal under math_equal before
voting; ``exact`` votes on strings like NeMo-Skills. Logic: nemo_skills_lite.evaluation.majority.
"""

from __future__ import annotations

import argparse
import sys

from nemo_skills_lite.evaluation.majority import VOTING, use_majority_if_no_answer
from nemo_skills_lite.utils.errors import NslError


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input_folder", help="folder with output-rs*.jsonl")
    ap.add_argument("output_folder", help="folder to write the updated files to")
    ap.add_argument("--voting", choices=VOTING, default="semantic")
    args = ap.parse_args(argv)
    try:
        report = use_majority_if_no_answer(args.input_folder, args.output_folder, voting=args.voting)
    except NslError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(report.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
