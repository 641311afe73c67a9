"""Read-stage selection and ordering helpers of prepare_data."""

from __future__ import annotations

from array import array

import pytest

from nemo_skills_lite.training.spill import fair_order, final_order
from nemo_skills_lite.training.steps import correctness, is_correct_judgement


@pytest.mark.parametrize("text,expected", [
    ("The answers match.\nJudgement: Yes", True),
    ("Judgement: No", False),
    ("**Judgement**: yes, they are equivalent", True),
    ("judgement:   NO.", False),
    ("I think they match", None),
    ("", None),
    (None, None),
])
def test_is_correct_judgement(text, expected):
    assert is_correct_judgement(text) is expected


def test_correctness_sources():
    assert correctness({"symbolic_correct": True}, use_judgement=False) is True
    assert correctness({"is_correct": False}, use_judgement=False) is False
    assert correctness({"symbolic_correct": False, "judgement": "Judgement: Yes"}, use_judgement=True) is True
    assert correctness({"judgement": "garbled"}, use_judgement=True) is False  # NeMo-Skills: unparseable = wrong
    assert correctness({"symbolic_correct": True}, use_judgement=True) is None  # unlabeled for the judge
    assert correctness({}, use_judgement=False) is None


def test_fair_order_round_robin_over_problems():
    groups = array("q", [1, 1, 1, 2, 3, 3])
    assert fair_order(groups, 4) == [0, 3, 4, 1]
    assert fair_order(groups, 10) == list(range(6))


def test_final_order():
    groups = array("q", [1, 2, 3, 4])
    assert final_order(4, groups, None, None, 0, shuffle=False) is None
    shuffled = final_order(4, groups, None, None, 0, shuffle=True)
    assert sorted(shuffled) == [0, 1, 2, 3]
    assert shuffled == final_order(4, groups, None, None, 0, shuffle=True)  # seeded
    assert final_order(4, groups, "random", 2, 0, shuffle=False) == [0, 1]
    assert len(final_order(4, groups, "random", 2, 0, shuffle=True)) == 2
    assert sorted(final_order(4, groups, "fair", 3, 0, shuffle=True)) == [0, 1, 2]
