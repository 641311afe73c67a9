"""KodCode selection (best trial, difficulty from the pass rate) and export, on verified trial rows (pure)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "recipes" / "kodcode" / "scripts"))

from export_triplets import export_rows  # noqa: E402
from select_trials import best_trial, difficulty, select  # noqa: E402

from nemo_skills_lite.utils.errors import NslError  # noqa: E402


def trial(qid: str, t: int, verdict: str = "accepted", tests: int = 3, code: str = "def f():\n    return 1\n",
          **extra) -> dict:
    row = {"id": qid, "trial": t, "question": f"question {qid}", "subset": "zero_shot", "code": code,
           "test_code": "from solution import f\n", "verdict": verdict, "passed": verdict == "accepted",
           "tests_total": tests, **extra}
    return row


@pytest.mark.parametrize("rate, level", [(1.0, "easy"), (2 / 3, "easy"), (0.66, "medium"), (0.5, "medium"),
                                         (1 / 3, "medium"), (0.33, "hard"), (0.1, "hard"), (0.0, "hard")])
def test_difficulty_thresholds(rate: float, level: str) -> None:
    assert difficulty(rate) == level


def test_best_trial_most_tests_then_shortest_then_first() -> None:
    a, b, c = trial("q", 0, tests=3, code="x" * 50), trial("q", 1, tests=5, code="x" * 90), trial("q", 2, tests=5, code="x" * 80)
    assert best_trial([a, b, c])["trial"] == 2
    d, e = trial("q", 3, tests=5, code="  " + "x" * 80 + "\n\n"), trial("q", 4, tests=5, code="x" * 80)
    assert best_trial([e, d])["trial"] == 3  # same stripped length: lowest trial number


def test_select_keeps_questions_with_a_pass() -> None:
    rows = [trial("a", 0), trial("a", 1, "wrong_answer"), trial("a", 2), trial("a", 3, tests=4),
            trial("b", 1, "runtime_error"), trial("b", 0, "error", parse_error="no_test_block"),
            trial("c", 0), trial("c", 1, "time_limit"), trial("c", 2, "wrong_answer"),
            trial("d", 0, "accepted", tests=0)]  # pytest ran no test: not a pass
    kept, failed, summary = select(rows)
    by = {r["id"]: r for r in kept}
    assert set(by) == {"a", "c"} and sorted(r["id"] for r in failed) == ["b", "d"]
    assert by["a"]["pass_sequence"] == [1, 0, 1, 1] and by["a"]["difficulty"] == "easy"
    assert by["a"]["chosen_trial"] == 3 and by["a"]["tests_total"] == 4 and by["a"]["pass_rate"] == 0.75
    assert by["c"]["difficulty"] == "medium" and by["c"]["pass_rate"] == 0.333
    assert next(r for r in failed if r["id"] == "b")["verdicts"] == ["no_test_block", "runtime_error"]
    assert summary["trial_verdicts"]["malformed"] == 1 and summary["pass_at_k"] == {"1": 0.5, "2": 0.5, "3": 0.5, "4": 0.5}


def test_missing_trials_count_as_failed() -> None:
    kept, _, summary = select([trial("a", 0), trial("a", 1)], num_trials=10)
    assert kept[0]["pass_rate"] == 0.2 and kept[0]["difficulty"] == "hard" and kept[0]["num_trials"] == 10
    assert len(summary["pass_at_k"]) == 10


def test_select_refuses_unverified_rows() -> None:
    row = trial("a", 0)
    del row["verdict"]
    with pytest.raises(NslError, match="no 'verdict': run nsl verify-code"):
        select([row], where="v.jsonl")


def test_export_keeps_only_passing_conversions() -> None:
    selected = [{"id": "a", "subset": "docs", "style": "instruct", "question": "Q", "solution": "def f(): pass\n",
                 "test_code": "from solution import f\n", "difficulty": "hard", "pass_rate": 0.1}]
    conv = [{"id": "a-stdin", "style": "stdin", "question": "Q2", "code": "print(1)\n", "tests": [{"input": "", "output": "1"}],
             "difficulty": "hard", "verdict": "accepted", "passed": True},
            {"id": "b-stdin", "style": "stdin", "question": "Q3", "code": "print(2)\n", "tests": [{"input": "", "output": "1"}],
             "verdict": "wrong_answer", "passed": False},
            {"id": "c-stdin", "style": "stdin", "question": "Q4", "parse_error": "no_tests", "verdict": "error"}]
    sft, rl, summary = export_rows(selected, conv)
    assert [r["question"] for r in sft] == ["Q", "Q2"] and sft[1]["response"] == "```python\nprint(1)\n```"
    assert rl[0]["test_code"] == "from solution import f\n" and rl[1]["tests"] == [{"input": "", "output": "1"}]
    assert "solution" not in rl[0] and rl[0]["difficulty"] == "hard"
    assert summary["converted_dropped"] == {"failed_wrong_answer": 1, "malformed_no_tests": 1}
    with pytest.raises(NslError, match="run nsl verify-code on the converted rows"):
        export_rows(selected, [{"id": "x", "question": "q"}])
