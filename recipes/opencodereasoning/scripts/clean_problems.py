"""Drop contaminated problems and write the generation input.

    python recipes/opencodereasoning/scripts/clean_problems.py problems.jsonl OUT.jsonl \\
        [--contamination decontam/contamination.jsonl] [--max-problems N]

``contamination.jsonl`` is decontam_cli's output: one ``{problem, contaminated}`` row per problem, in the
same order. Kept rows get the problem text as ``question`` (the field the opencodereasoning prompts fill)
instead of ``problem``; every other field (id, source, tests, difficulty) is kept.
"""

from __future__ import annotations

import argparse
from collections import Counter
from itertools import zip_longest

from nemo_skills_lite.data.io import RowWriter, iter_inputs
from nemo_skills_lite.utils.errors import NslError, run_main


def clean(problems: str, output: str, contamination: str | None = None, max_problems: int | None = None) -> Counter:
    flags = iter_inputs(contamination) if contamination else None
    counts: Counter = Counter()
    with RowWriter(output) as w:
        pairs = zip_longest(iter_inputs(problems), flags) if flags is not None else ((r, None) for r in iter_inputs(problems))
        for i, (row, flag) in enumerate(pairs):
            if row is None or (flags is not None and flag is None):
                raise NslError(f"{contamination} and {problems} have different row counts (differ at row {i + 1}); "
                               "run decontamination on this problems file")
            if "problem" not in row:
                raise NslError(f"{problems}: row {i + 1} has no 'problem'; keys present: {sorted(row)}")
            if flag is not None and flag.get("problem") != row["problem"]:
                raise NslError(f"{contamination}: row {i + 1} is about another problem than {problems} row {i + 1}")
            counts["read"] += 1
            if flag is not None and flag.get("contaminated"):
                counts["contaminated"] += 1
                continue
            if max_problems is not None and counts["kept"] >= max_problems:
                counts["over_limit"] += 1
                continue
            out = {"question" if k == "problem" else k: v for k, v in row.items()}
            w.write(out)
            counts["kept"] += 1
    if counts["kept"] == 0:
        raise NslError(f"no problems left in {problems} after decontamination ({dict(counts)})")
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("problems")
    ap.add_argument("output")
    ap.add_argument("--contamination", default=None)
    ap.add_argument("--max-problems", type=int, default=None)
    args = ap.parse_args(argv)
    c = clean(args.problems, args.output, args.contamination, args.max_problems)
    print(f"clean_problems: read {c['read']}, contaminated {c['contaminated']}, over limit {c['over_limit']}, "
          f"kept {c['kept']} -> {args.output}")
    return 0


if __name__ == "__main__":
    run_main(main)
