"""Every shipped benchmark: data preparation offline (shipped data or a fixture in the hub's layout),
then grading of reference outputs (must score 100%) and wrong outputs (must score 0%) through the
real in-job grader (``evaluate``: math-verify workers, the bubblewrap sandbox for code, Google's
IFEval checkers) and ``summarize``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nemo_skills_lite.benchmarks import available, load
from nemo_skills_lite.benchmarks.prepare import prepare
from nemo_skills_lite.evaluation.evaluate import main as evaluate
from nemo_skills_lite.evaluation.summarize import summarize
from tests.fixtures.common import require

DATA = Path(__file__).resolve().parents[2] / "data"
ROWS = 6  # graded rows per benchmark (enough to see every layout; keeps the sandbox part quick)

# Solutions for code fixtures whose upstream data has none (CodeContests test split, synthetic LCB rows).
CODE_SOLUTIONS = {
    "Andi and Budi": "import sys\nd = sys.stdin.read().split()\nn = int(d[0])\ns = d[2:2 + n]\n"
                     "key = lambda t: [ord(c) if i % 2 == 0 else -ord(c) for i, c in enumerate(t)]\n"
                     "print(' '.join(str(i + 1) for i in sorted(range(n), key=lambda i: key(s[i]))) + ' ')\n",
    "Read two integers": "a, b = map(int, input().split())\nprint(a + b)\n",
    "Return the sum of a list": "from typing import List\nclass Solution:\n"
                                "    def total(self, nums: List[int]) -> int:\n        return sum(nums)\n",
}
IFEVAL_RESPONSES = {  # key -> (follows every instruction, breaks every instruction)
    "1": ("the sea is wide and blue. waves roll in and out all day long.", "The sea, wide and blue."),
    "2": ("* apple\n* banana\n* cherry\nIs there anything else I can help with?", "* apple\n* banana"),
    "3": ('"The cat has long whiskers and likes to purr softly when it sits on my lap."', "A cat."),
    "4": ("Rain falls softly on the roof and the garden turns green.\nP.S. I love rainy days.", "Rain. Rain. Rain. Rain."),
}
MAIN_SCORE = {"math": "symbolic_correct", "multichoice": "symbolic_correct", "code": "passing_base_tests",
              "ifeval": "prompt_strict_accuracy", "answer-judgement": "correct_judgements"}


def _source_dir(tmp_path: Path) -> Path:
    """The shipped test data (laid out like the project's shared data folder), copied so that a
    grading run can never write next to it."""
    src = tmp_path / "src"
    shutil.copytree(DATA / "benchmarks", src)
    return src


def _generation(name: str, row: dict, right: bool) -> str | None:
    kind = load(name)["eval_type"]
    if kind == "math":
        return f"Working... so the answer is $\\boxed{{{row['expected_answer'] if right else '-98765'}}}$."
    if kind == "multichoice":
        letters = "ABCDEFGHIJ"[:row["num_options"]]
        letter = row["expected_answer"] if right else letters[(letters.index(row["expected_answer"]) + 1) % len(letters)]
        return f"Option {letter} fits best.\nAnswer: \\boxed{{{letter}}}"
    if kind == "answer-judgement":
        verdict = row["expected_judgement"].split(":")[-1].strip()
        return "Reasoning: compared.\nJudgement: " + (verdict if right else {"Yes": "No", "No": "Yes"}[verdict])
    if kind == "ifeval":
        return IFEVAL_RESPONSES[str(row["key"])][0 if right else 1]
    code = row.get("reference_solution") or next((c for k, c in CODE_SOLUTIONS.items() if k in row["question"]), None)
    if code is None:
        return None  # no known solution: not graded
    return f"Here is my solution.\n```python\n{code if right else 'print(0)'}\n```\n"


def _grade_all(tmp_path: Path, names: list[str]) -> dict[str, dict[str, dict]]:
    src = _source_dir(tmp_path)
    scores: dict[str, dict[str, dict]] = {}
    for right in (True, False):
        root = tmp_path / ("right" if right else "wrong")
        by_type: dict[str, list[str]] = {}
        for name in names:
            out, n = prepare(name, source_dir=src, output_dir=tmp_path / "data", force=True)
            assert n > 0, name
            rows = []
            for row in (json.loads(x) for x in out.read_text().splitlines()):
                generation = _generation(name, row, right)
                if generation is not None:
                    rows.append({**row, "generation": generation})
            rows = rows[:ROWS]
            assert rows, f"{name}: no fixture row with a reference output"
            (root / name).mkdir(parents=True)
            (root / name / "output-rs0.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
            by_type.setdefault(load(name)["eval_type"], []).append(str(root / name / "output-rs0.jsonl"))
        for eval_type, files in by_type.items():
            assert evaluate([f"++input_files={','.join(files)}", f"++eval_type={eval_type}", "++workers=2"]) == 0
        metrics, _ = summarize(root)
        for name in names:
            scores.setdefault(name, {})["right" if right else "wrong"] = metrics[name]["pass@1"]
    return scores


def _check(scores: dict[str, dict[str, dict]]) -> None:
    bad = {}
    for name, by in scores.items():
        kind = load(name)["metric_type"]
        got = (by["right"][MAIN_SCORE[kind]], by["wrong"][MAIN_SCORE[kind]])
        if kind == "code" and "passing_plus_tests" in by["right"]:
            got += (by["right"]["passing_plus_tests"], by["wrong"]["passing_plus_tests"])
        if got != (100.0, 0.0) * (len(got) // 2):
            bad[name] = got
    assert not bad, f"(right, wrong[, plus right, plus wrong]) scores: {bad}"


NON_CODE = [n for n in available() if load(n)["eval_type"] != "code"]
CODE = [n for n in available() if load(n)["eval_type"] == "code"]


def test_at_least_25_benchmarks_of_five_types():
    assert len(available()) >= 25
    assert {load(n)["metric_type"] for n in available()} == set(MAIN_SCORE)
    for name in available():
        spec = load(name)
        assert spec.get("availability") in ("offline", "hub") and spec.get("license"), name


def test_non_code_benchmarks_prepare_and_grade(tmp_path):
    scores = _grade_all(tmp_path, NON_CODE)
    _check(scores)
    # answer-judge also reports the judge's confusion numbers
    assert scores["answer-judge"]["right"]["precision"] == 100.0 and scores["answer-judge"]["right"]["f1"] == 100.0
    assert scores["answer-judge"]["wrong"]["false_positives"] + scores["answer-judge"]["wrong"]["false_negatives"] == 100.0
    assert scores["ifeval"]["right"]["instruction_loose_accuracy"] == 100.0
    assert scores["ifeval"]["wrong"]["instruction_loose_accuracy"] == 0.0


def test_answer_judge_rows_skip_extraction_cases_and_hendrycks(tmp_path):
    out, n = prepare("answer-judge", source_dir=DATA / "benchmarks", output_dir=tmp_path)
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert n == 20 and {r["source"] for r in rows} == {"huggingface/Math-Verify", "NVIDIA/NeMo-Skills"}
    assert sum(r["expected_judgement"] == "Judgement: No" for r in rows) == 10


@pytest.mark.sandbox
def test_code_benchmarks_prepare_and_grade(tmp_path):
    require(shutil.which("bwrap") is not None, "bubblewrap for the code sandbox")
    scores = _grade_all(tmp_path, CODE)
    _check(scores)
    for name in ("human-eval+", "mbpp+"):
        assert scores[name]["right"]["passing_plus_tests"] == 100.0
