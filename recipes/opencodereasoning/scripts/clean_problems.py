"""Drop contaminated problems and write the generation input.

    python recipes/opencodereasoning/scripts/clean_problems.py problems.jsonl OUT.jsonl \\
        [--contamination decontam/contamination.jsonl] [--max-problems N] [--cpp-output OUT-cpp.jsonl]

``contamination.jsonl`` is decontam_cli's output: one ``{problem, contaminated}`` row per problem, in the
same order. Kept rows get the problem text as ``question`` (the field the opencodereasoning prompts fill)
instead of ``problem`` and an ``io_format`` sentence for the Python prompt: stdin/stdout, or for call-based
problems (``fn_name``) the function to write and the starter code; every other field (id, source, tests,
difficulty) is kept. ``--cpp-output`` gets the same rows without the call-based ones (they are tested by
calling a Python function, so they cannot be C++ programs); ``--max-problems`` applies to each output.
"""

from __future__ import annotations

import argparse
from collections import Counter
from contextlib import nullcontext
from itertools import zip_longest
from typing import Any

from nemo_skills_lite.data.io import RowWriter, iter_inputs
from nemo_skills_lite.utils.errors import NslError, run_main

STDIN_FORMAT = "The program reads from standard input and writes to standard output."


def io_format(row: dict[str, Any]) -> str:
    fn = row.get("fn_name")
    if not fn:
        return STDIN_FORMAT
    text = (f"The program does not read input or print: define the function `{fn}` (as a method of "
            f"`class Solution` if the starter code has that class); the tests call it with their arguments "
            f"and check the value it returns. Import what the code uses (such as `List` from `typing`).")
    starter = (row.get("starter_code") or "").rstrip()
    return f"{text} Starter code:\n```python\n{starter}\n```" if starter else text


def clean(problems: str, output: str, contamination: str | None = None, max_problems: int | None = None,
          cpp_output: str | None = None) -> Counter:
    flags = iter_inputs(contamination) if contamination else None
    counts: Counter = Counter()
    limit = float("inf") if max_problems is None else max_problems
    with RowWriter(output) as w, (RowWriter(cpp_output) if cpp_output else nullcontext()) as cpp:
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
            out = {"question" if k == "problem" else k: v for k, v in row.items()}
            out["io_format"] = io_format(row)
            counts["call_based"] += "fn_name" in row
            if counts["kept"] < limit:
                w.write(out)
                counts["kept"] += 1
            else:
                counts["over_limit"] += 1
            if cpp_output and "fn_name" not in row and counts["kept_cpp"] < limit:
                cpp.write(out)
                counts["kept_cpp"] += 1
    if counts["kept"] == 0:
        raise NslError(f"no problems left in {problems} after decontamination ({dict(counts)})")
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("problems")
    ap.add_argument("output")
    ap.add_argument("--contamination", default=None)
    ap.add_argument("--max-problems", type=int, default=None)
    ap.add_argument("--cpp-output", default=None, help="the C++ generation input: the rows without call-based ones")
    args = ap.parse_args(argv)
    c = clean(args.problems, args.output, args.contamination, args.max_problems, args.cpp_output)
    print(f"clean_problems: read {c['read']}, contaminated {c['contaminated']}, call-based {c['call_based']}, "
          f"over limit {c['over_limit']}, kept {c['kept']} -> {args.output}")
    if args.cpp_output:
        print(f"clean_problems: C++: {c['call_based']} call-based (fn_name) problems left out, kept {c['kept_cpp']} "
              f"-> {args.cpp_output}")
    return 0


if __name__ == "__main__":
    run_main(main)
