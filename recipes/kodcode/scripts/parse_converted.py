"""Style conversion outputs -> sandbox rows of the new style (to be verified again).

    python recipes/kodcode/scripts/parse_converted.py GEN.jsonl OUTPUT.jsonl [--direction to_stdin|to_function]

``to_stdin`` (prompt kodcode/style-to-stdin; input: selected function-call triplets): the answer holds
``<|Question Begin|>...<|Question End|>`` (the question rewritten for standard input/output), a ```python
program (preferably in ``<|Program Begin|>...<|Program End|>``) and the test cases as a JSON list of
``{"input", "output"}`` strings (``<|Tests Begin|>...<|Tests End|>`` or the last ```json block).
Output: ``{code, tests}`` stdin/stdout rows, plus ``solution`` and ``tests_json`` so they can be fed to the
reverse conversion.

``to_function`` (prompt kodcode/style-to-function; input rows with ``question``, ``solution``,
``tests_json``): a function-call question + solution + pytest tests, parsed like a trial
(parse_trials.py). Output: ``{code, test_code}`` pytest rows.

Every row keeps ``source_id``, ``subset``, ``difficulty`` and ``pass_rate`` of the triplet it came from; a
malformed answer gives a row with ``parse_error`` and no code (it cannot pass verification).
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter

from kodcode_io import (counts_line, finish, generation_of, marked_section, python_blocks, read_rows, require_keys,
                        section_code)
from parse_trials import TrialParseError, parse_solution_and_tests

from nemo_skills_lite.data.code_blocks import answer_part
from nemo_skills_lite.utils.errors import run_main

DIRECTIONS = ("to_stdin", "to_function")
_JSON_FENCE = re.compile(r"^[ \t]*```[ \t]*json[^\n]*\n(.*?)^[ \t]*```", re.DOTALL | re.MULTILINE)
CARRIED = ("subset", "difficulty", "pass_rate")


def _stdin_tests(generation: str) -> list[dict[str, str]]:
    sec = marked_section(generation, "Tests")
    if sec is not None:
        m = _JSON_FENCE.search(sec + "\n")
        text = m.group(1) if m else sec.strip("`\n ")
    else:
        hits = _JSON_FENCE.findall(answer_part(generation))
        if not hits:
            raise TrialParseError("no_tests")
        text = hits[-1]
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise TrialParseError("bad_tests_json") from None
    if not isinstance(data, list) or not data:
        raise TrialParseError("bad_tests")
    tests = []
    for t in data:
        if not isinstance(t, dict) or "input" not in t or "output" not in t:
            raise TrialParseError("bad_tests")
        if not all(isinstance(t[k], (str, int, float)) for k in ("input", "output")):
            raise TrialParseError("bad_tests")
        tests.append({"input": str(t["input"]), "output": str(t["output"])})
    return tests


def parse_to_stdin(generation: str) -> dict:
    question = marked_section(generation, "Question")
    if not question:
        raise TrialParseError("no_question_section")
    program = section_code(generation, "Program")
    if program is None:
        blocks = python_blocks(answer_part(generation))
        program = blocks[-1] if blocks else None
    if not program or not program.strip():
        raise TrialParseError("no_program_block")
    tests = _stdin_tests(generation)
    code = program.rstrip() + "\n"
    return {"style": "stdin", "question": question, "code": code, "solution": code, "tests": tests,
            "tests_json": json.dumps(tests, ensure_ascii=False)}


def parse_to_function(generation: str) -> dict:
    question = marked_section(generation, "Question")
    if not question:
        raise TrialParseError("no_question_section")
    code, test_code = parse_solution_and_tests(generation)
    return {"style": "instruct", "question": question, "code": code, "solution": code, "test_code": test_code}


def parse_converted(rows: list[dict], direction: str, where: str = "input") -> tuple[list[dict], dict]:
    parse = parse_to_stdin if direction == "to_stdin" else parse_to_function
    suffix = "stdin" if direction == "to_stdin" else "function"
    out, reasons = [], Counter()
    for i, row in enumerate(rows, start=1):
        require_keys(row, ("question",), f"{where}:{i}")
        source_id = str(row.get("id", i - 1))
        base = {"id": f"{source_id}-{suffix}", "source_id": source_id,
                **{k: row[k] for k in CARRIED if k in row}}
        try:
            out.append({**base, **parse(generation_of(row, f"{where}:{i}"))})
        except TrialParseError as e:
            reasons[e.reason] += 1
            out.append({**base, "style": suffix, "question": row["question"], "parse_error": e.reason})
    return out, {"direction": direction, "rows": len(rows), "parsed": len(rows) - sum(reasons.values()),
                 "malformed": dict(reasons)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("generations", help="output.jsonl of the style-conversion generate stage")
    ap.add_argument("output", help="rows of the new style for nsl verify-code")
    ap.add_argument("--direction", choices=DIRECTIONS, default="to_stdin")
    args = ap.parse_args(argv)
    rows = read_rows(args.generations, what="style-conversion generations")
    out, summary = parse_converted(rows, args.direction, where=args.generations)
    return finish(args.output, out, summary, f"[parse_converted] {summary['parsed']} of {summary['rows']} conversions "
                  f"parsed ({args.direction}); malformed: {counts_line(summary['malformed'])}")


if __name__ == "__main__":
    run_main(main)
