"""Majority answers across seed files, and the OpenReasoning "majority if no answer matched" step.

Two voting modes:
  - ``exact``: the most common answer string (like NeMo-Skills); ties go to the answer seen first.
  - ``semantic``: answers are grouped when ``math_equal`` says they are equal (``0.5`` and
    ``\\frac{1}{2}`` vote together); the winning group is named by its most common spelling.

``use_majority_if_no_answer(input_dir, output_dir)`` reads ``output-rs*.jsonl``; for every problem
where no generation is correct (``judgement`` says Yes, or ``symbolic_correct`` when there is no
judgement) it sets ``expected_answer`` to the majority ``predicted_answer`` in every seed file and
marks changed rows ``updated_answer_from_r1: true``. Files are written atomically to output_dir.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from nemo_skills_lite.evaluation.metrics import is_correct_judgement
from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.io import atomic_write_jsonl, read_jsonl

VOTING = ("exact", "semantic")


def exact_majority(answers: Sequence[str | None]) -> tuple[str | None, int]:
    """Most common non-empty answer and its count; (None, 0) when there is none."""
    counts = Counter(a for a in answers if a is not None)
    if not counts:
        return None, 0
    return counts.most_common(1)[0]


def semantic_groups(answers: Sequence[str | None],
                    equal: Callable[[str, str], bool] | None = None) -> list[list[str]]:
    """Partition the non-empty answers into groups of mutually equal answers (union-find on the
    distinct strings; each distinct pair is compared once)."""
    if equal is None:
        from nemo_skills_lite.evaluation.math_grader import math_equal
        equal = math_equal
    distinct = list(dict.fromkeys(a for a in answers if a is not None))
    parent = list(range(len(distinct)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(distinct)):
        for j in range(i + 1, len(distinct)):
            if find(i) != find(j) and equal(distinct[i], distinct[j]):
                parent[find(j)] = find(i)
    index = {a: find(i) for i, a in enumerate(distinct)}
    groups: dict[int, list[str]] = {}
    for a in answers:
        if a is not None:
            groups.setdefault(index[a], []).append(a)
    return list(groups.values())


def semantic_majority(answers: Sequence[str | None],
                      equal: Callable[[str, str], bool] | None = None) -> tuple[str | None, int]:
    """Most common spelling of the largest group of equal answers, and the group's size."""
    groups = semantic_groups(answers, equal)
    if not groups:
        return None, 0
    best = max(groups, key=len)  # first-seen group wins ties
    return Counter(best).most_common(1)[0][0], len(best)


def majority(answers: Sequence[str | None], voting: str = "semantic",
             equal: Callable[[str, str], bool] | None = None) -> tuple[str | None, int]:
    if voting not in VOTING:
        raise NslError(f"voting='{voting}' is not one of {', '.join(VOTING)}")
    return exact_majority(answers) if voting == "exact" else semantic_majority(answers, equal)


def row_is_correct(row: dict[str, Any], where: str) -> bool:
    if "judgement" in row:
        return is_correct_judgement(row["judgement"])
    if "symbolic_correct" in row:
        return bool(row["symbolic_correct"])
    raise NslError(f"{where}: row has neither 'judgement' nor 'symbolic_correct'; run the judge "
                   "(generation_type=math_judge) or `python -m nemo_skills_lite.evaluation.evaluate` first")


@dataclass
class MajorityReport:
    files: int
    problems: int
    no_correct: int
    no_answers: int
    rows_changed: int

    def line(self) -> str:
        return (f"{self.files} files x {self.problems} problems: {self.no_correct} without a correct "
                f"generation ({self.no_answers} of them with no answer at all, left unchanged); "
                f"expected_answer changed in {self.rows_changed} rows")


def use_majority_if_no_answer(input_dir: str | Path, output_dir: str | Path, *, voting: str = "semantic",
                              equal: Callable[[str, str], bool] | None = None) -> MajorityReport:
    input_dir, output_dir = Path(input_dir), Path(output_dir)
    files = sorted(input_dir.glob("output-rs*.jsonl"))
    if not files:
        raise NslError(f"{input_dir}: no output-rs*.jsonl files")
    if output_dir.resolve() == input_dir.resolve():
        raise NslError(f"output folder {output_dir} is the input folder; choose another so inputs are kept")
    data = [list(read_jsonl(f)) for f in files]
    counts = {f.name: len(d) for f, d in zip(files, data)}
    if len(set(counts.values())) > 1:
        raise NslError(f"{input_dir}: seed files have different row counts {counts}; "
                       "every file must hold the same problems in the same order")
    n = len(data[0])
    report = MajorityReport(len(files), n, 0, 0, 0)
    for i in range(n):
        rows = [d[i] for d in data]
        if any(row_is_correct(r, f"{f}:{i + 1}") for r, f in zip(rows, files)):
            continue
        report.no_correct += 1
        answer, _ = majority([r.get("predicted_answer") for r in rows], voting, equal)
        if answer is None:
            report.no_answers += 1
            continue
        for r in rows:
            if r.get("expected_answer") != answer:
                r["updated_answer_from_r1"] = True
                report.rows_changed += 1
            r["expected_answer"] = answer
    for f, rows in zip(files, data):
        atomic_write_jsonl(output_dir / f.name, rows)
    return report
