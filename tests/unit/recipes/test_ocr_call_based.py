"""Call-based (fn_name) TACO/APPS problems in the OCR recipe: hand-written rows in the real schemas
(tests/data/recipes/ocr/*_call_based.jsonl) -> prepare_problems -> assert rows; clean_problems gives them the
function prompt and leaves them out of the C++ input; right / wrong / crashing solutions (plain function and
class Solution) through the recipe's verify_code task in the real sandbox get the right is_correct."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nemo_skills_lite.code_execution.conventions import APPS_SETUP
from nemo_skills_lite.code_execution.verify_task import main as verify_code
from nemo_skills_lite.inference.prompts import Prompt, load_prompt_config
from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.io import read_jsonl
from tests.fixtures.common import require
from tests.fixtures.sandbox import sandbox_problem
from tests.unit.recipes.ocr_scripts import DATA, load

pp = load("prepare_problems")
clean_problems = load("clean_problems")

SOURCES = [("taco", str(DATA / "taco_call_based.jsonl")), ("apps", str(DATA / "apps_call_based.jsonl")),
           ("code_contests", str(DATA / "code_contests.jsonl"))]
CC = "code_contests-1559_A. Maximum of Three"


def _rows(path: Path) -> list[dict]:
    return list(read_jsonl(path))


@pytest.fixture
def clean_rows(tmp_path: Path) -> dict[str, dict]:
    problems = tmp_path / "problems.jsonl"
    table = pp.prepare(SOURCES, str(problems))
    assert table["taco"] == {"read": 2, "empty": 0, "duplicate": 0, "kept": 2, "with_tests": 2, "call_based": 2}
    assert table["total"] == {"read": 6, "empty": 0, "duplicate": 0, "kept": 6, "with_tests": 6, "call_based": 4}
    return {r["id"]: r for r in _rows(problems)}


def _ok(ns: dict, fn: str, args, expected) -> bool:
    return ns["_nsl_apps_ok"](fn, json.dumps(args), json.dumps(expected))


def test_comparison_rules_of_taco_and_apps() -> None:
    ns: dict = {}
    exec(APPS_SETUP, ns)  # the setup the sandbox runs, here with stand-in solutions in its namespace
    exec("def pair(a, b):\n    return a, b\ndef same(x):\n    return x\ndef keys(d):\n    return sorted(d)\n"
         "class Solution:\n    def add(self, a, b):\n        return a + b\n", ns)
    assert _ok(ns, "add", [2, 3], 5) and _ok(ns, "add", [2, 3], [5])  # Solution().add; one-element list accepted
    assert not _ok(ns, "add", [2, 3], [5, 6]) and not _ok(ns, "add", [2, 3], 6)
    assert _ok(ns, "pair", [1, 2], [1, 2]) and _ok(ns, "pair", [1, 2], [[1, 2]])  # tuple -> list
    assert _ok(ns, "same", [[[1, 2], [3, 4]]], [[1, 2], [3, 4]])
    assert _ok(ns, "same", [0], [0]) and not _ok(ns, "same", [0], [0, 1])  # APPS would accept 0 for [0, 1]
    assert _ok(ns, "same", [{"1": 2}], {"1": 2}) and _ok(ns, "same", [{"1": 2}], [{"1": 2}])  # int keys both ways
    assert _ok(ns, "keys", [{"2": 0, "10": 0}], [2, 10])  # a dict argument gets int keys back
    assert _ok(ns, "same", [7], 7) and _ok(ns, "same", ["a"], "a")
    with pytest.raises(NameError, match="neither missing"):
        _ok(ns, "missing", [1], 1)


def test_prepare_and_clean_give_assert_rows_and_the_function_prompt(tmp_path: Path, clean_rows) -> None:
    two_sum = clean_rows["taco-0"]
    assert two_sum["fn_name"] == "twoSum" and two_sum["test_setup_code"] == APPS_SETUP
    assert two_sum["test"][0] == "assert _nsl_apps_ok('twoSum', '[[2, 7, 11, 15], 9]', '[[0, 1]]')"
    assert two_sum["time_limit"] == 4.0 and "from typing import List" in two_sum["code_prefix"]
    assert len(two_sum["test"]) == 3 and "tests" not in two_sum
    assert two_sum["starter_code"].startswith("class Solution:") and two_sum["difficulty"] == "easy"
    assert clean_rows["apps-2401"]["test"][-1] == "assert _nsl_apps_ok('trailingZeroes', '[30]', '7')"
    assert "fn_name" not in clean_rows[CC] and clean_rows[CC]["tests"][0]["input"] == "1 5 3\n"  # stdin

    problems = tmp_path / "problems.jsonl"
    problems.write_text("".join(json.dumps(r) + "\n" for r in clean_rows.values()))
    counts = clean_problems.clean(str(problems), str(tmp_path / "py.jsonl"), max_problems=5,
                                  cpp_output=str(tmp_path / "cpp.jsonl"))
    assert (counts["read"], counts["call_based"], counts["kept"], counts["over_limit"], counts["kept_cpp"]) == (
        6, 4, 5, 1, 2)  # at most 5 problems per language; C++ gets only the two stdin ones
    py, cpp = _rows(tmp_path / "py.jsonl"), _rows(tmp_path / "cpp.jsonl")
    assert [r["id"] for r in cpp] == [CC, "code_contests-1554_F. Mr. Chanek and the prettiness"]
    assert [r["id"] for r in py] == ["taco-0", "taco-1", "apps-2401", "apps-3501", CC]
    prompt = Prompt(load_prompt_config("opencodereasoning/python-solution"))
    fn_text, stdin_text = (prompt.messages(r)[-1]["content"] for r in (py[0], py[4]))
    assert "define the function `twoSum`" in fn_text and "class Solution:\n    def twoSum(self" in fn_text
    assert "standard input" not in fn_text and fn_text.rstrip().endswith(py[0]["question"])
    assert "reads from standard input and writes to standard output" in stdin_text and "function" not in stdin_text


def test_bad_fn_name_is_one_clear_error(tmp_path: Path) -> None:
    bad = json.loads((DATA / "apps_call_based.jsonl").read_text().splitlines()[0])
    bad["input_output"] = json.dumps({"fn_name": "two sum", "inputs": [[1]], "outputs": [1]})
    (tmp_path / "bad.jsonl").write_text(json.dumps(bad) + "\n")
    with pytest.raises(NslError, match=r"apps \(.*bad.jsonl\) row 1: 'input_output' fn_name must be a Python identifier"):
        pp.prepare([("apps", str(tmp_path / "bad.jsonl"))], str(tmp_path / "p.jsonl"))


THINK = "<think>\nCall the function on the arguments and return the answer.\n</think>\n\n"
TWO_SUM = ("from typing import List\n\nclass Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n"
           "        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n"
           "                return [seen[target - x], i]\n            seen[x] = i\n")
TRAILING = "class Solution:\n    def trailingZeroes(self, n):\n        c = 0\n        while n:\n            n //= 5\n            c += n\n        return c\n"
SOLUTIONS = [  # (problem id, code, expected is_correct, expected verdict)
    ("taco-0", TWO_SUM, True, "accepted"),  # class Solution, expected outputs wrapped in a one-element list
    ("taco-0", TWO_SUM.replace("from typing import List\n\n", ""), True, "accepted"),  # List from code_prefix
    ("taco-0", TWO_SUM.replace("[seen[target - x], i]", "[i, seen[target - x]]"), False, "wrong_answer"),
    ("taco-1", "def min_max(numbers):\n    return min(numbers), max(numbers)\n", True, "accepted"),  # tuple
    ("taco-1", "def min_max(numbers):\n    return max(numbers), min(numbers)\n", False, "wrong_answer"),
    ("apps-2401", TRAILING, True, "accepted"),  # outputs not wrapped
    ("apps-2401", "def trailingZeroes(n):\n    return n // 5 + n // 25\n", True, "accepted"),  # plain function
    ("apps-2401", TRAILING.replace("n //= 5", "n //= 0"), False, "runtime_error"),  # crashes on n > 0
    ("apps-2401", "def trailing_zeroes(n):\n    return n // 5\n", False, "runtime_error"),  # wrong name
    ("apps-2401", "n = int(input())\nprint(n // 5)\n", False, "runtime_error"),  # a stdin program
    ("apps-3501", ("def digit_count(n):\n    d = {}\n    for c in str(n):\n        d[int(c)] = d.get(int(c), 0) + 1\n"
                   "    return d\n"), True, "accepted"),  # int keys, as APPS reads the JSON dict
    ("apps-3501", "def digit_count(n):\n    return {int(c): 1 for c in str(n)}\n", False, "wrong_answer"),
    (CC, "print(max(map(int, input().split())))\n", True, "accepted"),  # stdin rows as before
]


@pytest.mark.sandbox
def test_solutions_verified_in_the_real_sandbox(tmp_path: Path, clean_rows) -> None:
    require(sandbox_problem() is None, f"real sandbox: {sandbox_problem()}")
    rows = [{**clean_rows[pid], "generation": f"{THINK}```python\n{code}```", "finish_reason": "stop"}
            for pid, code, _, _ in SOLUTIONS]
    (tmp_path / "output-rs0.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "verified" / "output-rs0.jsonl"
    assert verify_code([f"++input_file={tmp_path}/output-rs0.jsonl", f"++output_file={out}", "++workers=2"]) == 0
    got = _rows(out)
    assert [(r["id"], r["is_correct"], r["verdict"]) for r in got] == [(p, c, v) for p, _, c, v in SOLUTIONS]
    assert [r["tests_passed"] for r in got][:7] == [3, 3, 0, 3, 0, 4, 4]
