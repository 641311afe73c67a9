"""KodCode rows (``convention: kodcode``) get plain pytest's verdict, KodCode's judge.

The sample tests/data/code/kodcode_agreement_sample.jsonl holds KodCode-shaped trials built from MBPP and
HumanEval (benchmarks/kodcode_trials.py: references, one-operator mutants, parametrize, fixtures,
pytest.approx, numpy/pandas conversions, capsys, a solution that prints 2 MB, slow first calls) with the
verdict plain pytest gave each (``plain_passed``), recorded by benchmarks/kodcode_agreement.py."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from nemo_skills_lite.code_execution import verify_rows

pytestmark = pytest.mark.sandbox
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "code" / "kodcode_agreement_sample.jsonl"
KEYS = ("id", "convention", "code", "test_code")


def test_kodcode_rows_get_plain_pytest_verdicts(sandbox_pool):
    trials = [json.loads(line) for line in SAMPLE.read_text().splitlines() if line.strip()]
    shapes = collections.defaultdict(set)
    for t in trials:
        shapes[t["shape"]].add(t["plain_passed"])
    # the sample covers passes and failures of every shape that has both
    assert len(trials) >= 30 and sum(t["plain_passed"] for t in trials) >= 10
    assert {s for s, v in shapes.items() if v == {True, False}} >= {"asserts", "parametrize", "fixture", "approx",
                                                                    "numpy", "capsys"}
    ours = verify_rows([{k: t[k] for k in KEYS} for t in trials], pool=sandbox_pool, cache=False)
    wrong = [(t["id"], t["plain_passed"], row["verdict"], row.get("error"), row["test_results"][:1])
             for t, row in zip(trials, ours) if row["passed"] != t["plain_passed"]]
    assert not wrong, wrong


def test_kodcode_tests_see_every_name_of_the_solution(sandbox_pool):
    """KodCode's judge runs ``from solution import *`` + the row's tests (the dataset's ``test`` field imports
    only the function under test): helpers the tests use without importing them (a TreeNode class, an
    encoder next to the decoder) come from the solution, so a correct solution passes, a wrong one fails."""
    code = ("class TreeNode:\n    def __init__(self, val, left=None, right=None):\n"
            "        self.val, self.left, self.right = val, left, right\n\n\n"
            "def tree_sum(root):\n    return 0 if root is None else root.val + tree_sum(root.left) + tree_sum(root.right)\n")
    tests = ("from solution import tree_sum\n\n\ndef test_sum():\n"
             "    assert tree_sum(TreeNode(1, TreeNode(2), TreeNode(3))) == 6\n\n\n"
             "def test_empty():\n    assert tree_sum(None) == 0\n")
    wrong = code.replace("root.val + tree_sum", "root.val - tree_sum")
    rows = [{"convention": "kodcode", "code": c, "test_code": tests} for c in (code, wrong)]
    right, bad = verify_rows(rows, pool=sandbox_pool, cache=False)
    assert (right["verdict"], right["tests_passed"], right["tests_total"]) == ("accepted", 2, 2), right
    assert bad["verdict"] == "wrong_answer", bad
