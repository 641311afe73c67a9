"""Grading of the benchmark types that need no sandbox and no symbolic maths (in place, per row):

- ``multichoice``: ``predicted_answer`` = the option letter (last ``\\boxed{X}``, else the last
  "Answer: X"), ``symbolic_correct`` = it equals ``expected_answer`` (NeMo-Skills' key name, so
  multichoice metrics read like math ones).
- ``answer-judgement``: the generation is a judge's verdict; ``judgement`` = the generation (the
  metrics compare it with ``expected_judgement``).
- ``ifeval``: Google's instruction checkers (``ifeval.py``).
Empty rows (``{}``, an unfinished generation) are kept as they are.
"""

from __future__ import annotations

import re
from typing import Any

from nemo_skills_lite.utils.errors import NslError

_BOXED = re.compile(r"\\boxed\s*\{\s*(?:\\text(?:bf)?\s*\{)?\s*\(?\s*([A-Pa-p])\s*\)?\s*\}?\s*\}")
# "Answer: C", "answer is (d)": a lower-case letter only in parentheses ("the answer is a ..." is prose)
_ANSWER = re.compile(r"(?i:(?:final\s+)?answer)\s*(?:is)?\s*[:：]?\s*\**\s*(?:\(\s*([A-Pa-p])\s*\)|([A-P]))(?![A-Za-z])")


def extract_letter(text: str | None) -> str | None:
    """'... \\boxed{B}' -> 'B'; '... Answer: (C)' -> 'C'; the last one wins; else None."""
    if not text:
        return None
    boxed = _BOXED.findall(text)
    if boxed:
        return boxed[-1].upper()
    found = _ANSWER.findall(text)
    return "".join(found[-1]).upper() if found else None


def _need(row: dict, keys: tuple[str, ...], where: str) -> None:
    for key in keys:
        if key not in row:
            raise NslError(f"{where}: no '{key}' key; prepare the benchmark with "
                           "`python -m nemo_skills_lite.benchmarks.prepare NAME`")


def _grade_each(rows: list[dict[str, Any]], where: str, grade_one) -> int:  # type: ignore[no-untyped-def]
    """``grade_one(row, "where:line")`` on every non-empty row (in place); returns the sum of its results."""
    return sum(int(grade_one(row, f"{where}:{i + 1}")) for i, row in enumerate(rows) if row)


def _multichoice(row: dict[str, Any], where: str) -> bool:
    _need(row, ("generation", "expected_answer"), where)
    row["predicted_answer"] = extract_letter(row["generation"])
    row["symbolic_correct"] = row["predicted_answer"] == str(row["expected_answer"]).strip().upper()
    return row["symbolic_correct"]


def grade_multichoice_rows(rows: list[dict[str, Any]], where: str = "rows") -> int:
    return _grade_each(rows, where, _multichoice)


def grade_answer_judgement_rows(rows: list[dict[str, Any]], where: str = "rows") -> int:
    from nemo_skills_lite.evaluation.metrics import judgement_verdict

    def one(row: dict[str, Any], at: str) -> bool:
        _need(row, ("generation", "expected_judgement"), at)
        row["judgement"] = row["generation"]
        return judgement_verdict(row["judgement"]) == judgement_verdict(row["expected_judgement"])
    return _grade_each(rows, where, one)


def grade_ifeval_rows(rows: list[dict[str, Any]], where: str = "rows") -> int:
    from nemo_skills_lite.evaluation.ifeval import grade_row

    def one(row: dict[str, Any], at: str) -> bool:
        grade_row(row, at)
        return row["strict_eval"]["follow_all_instructions"]
    return _grade_each(rows, where, one)
