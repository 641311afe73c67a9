"""The quality logic of the OCR recipe on hand-written R1-style solutions: the real sandbox decides pass/fail
(the recipe's verify_code stage task), prepare_data with exactly the recipe's overrides (ocr_commands.sft_overrides) applies the
OCR filters and keeps failing solutions, and the pattern step reads the verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nemo_skills_lite.code_execution.verify_task import main as verify_code
from nemo_skills_lite.training.prepare_data import main as prepare_data
from tests.fixtures.common import require
from tests.fixtures.sandbox import sandbox_problem
from tests.unit.recipes.ocr_scripts import load

pytestmark = [pytest.mark.sandbox]

@pytest.fixture(autouse=True)
def _real_sandbox() -> None:
    require(sandbox_problem() is None, f"real sandbox: {sandbox_problem()}")


commands = load("ocr_commands")
patterns = load("reasoning_patterns")

call_based = load("call_based")
clean_problems = load("clean_problems")

SUM = {"id": "taco-0", "question": "Read a and b and print a + b.", "difficulty": "easy",
       "tests": [{"input": "1 2\n", "output": "3\n"}, {"input": "10 20\n", "output": "30\n"}],
       "io_format": clean_problems.STDIN_FORMAT}
_CALL_IO = {"fn_name": "maxProduct", "inputs": [[[1, 5, 4]]], "outputs": [20]}
CALL = {"id": "taco-1", "question": "Return the largest product of two elements.", "difficulty": "medium",
        **call_based.call_rows(_CALL_IO, "taco-1"), "io_format": clean_problems.io_format(_CALL_IO)}
GUESS = {"id": "codeforces-1807E", "question": "Interactive: guess the hidden number.", "difficulty": "medium",
         "io_format": clean_problems.STDIN_FORMAT}  # interactive: no tests
THINK = "<think>\nRead two integers from one line, add them, print the result.\n</think>\n\n"
GOOD = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"


def _solution(problem: dict, generation: str, finish_reason: str = "stop") -> dict:
    return {**problem, "generation": generation, "finish_reason": finish_reason}


PYTHON = [  # (row, expected is_correct or None = unlabeled, expected drop reason or None = kept)
    (_solution(SUM, THINK + GOOD), True, None),
    (_solution(SUM, THINK + GOOD.replace("a + b", "a - b")), False, None),  # wrong, kept (as in the paper)
    (_solution(SUM, THINK + GOOD, "length"), True, "finish_reason_length"),
    (_solution(SUM, "Add the numbers.\n" + GOOD), True, "no_think_end_tag"),  # runs, but no reasoning
    (_solution(SUM, "<think>\nA draft:\n```python\nprint(1)\n```\nNo, add them.\n</think>\n" + GOOD), True, "code_in_reasoning"),
    (_solution(SUM, THINK + "Just add the two numbers."), False, "no_code_block"),
    (_solution(SUM, THINK + "```python\nprint(int(input().split()[0]) +\n```"), False, "syntax_error_python"),
    (_solution(SUM, THINK[len("<think>\n"):] + GOOD.replace("a + b", "b + a")), True, None),  # only </think>
    (_solution(CALL, THINK + "```python\ndef maxProduct(nums):\n    return max(nums)\n```"), False, None),  # call-based
    (_solution(GUESS, THINK + "```python\nprint(1)\n```"), None, None),  # no tests
]


def test_verdicts_filters_and_pattern_labels(tmp_path: Path) -> None:
    sols, ver = tmp_path / "solutions", tmp_path / "verified"
    sols.mkdir()
    rows = [r for r, _, _ in PYTHON]
    (sols / "output-rs0.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (sols / "output-rs1.jsonl").write_text(json.dumps(rows[0]) + "\n")  # the same solution again: deduplicated
    for seed in (0, 1):  # what the verify_code stage runs per seed file
        assert verify_code([f"++input_file={sols}/output-rs{seed}.jsonl", f"++output_file={ver}/output-rs{seed}.jsonl",
                            "++workers=2"]) == 0
    verified = [json.loads(x) for x in (ver / "output-rs0.jsonl").read_text().splitlines()]
    assert [r.get("is_correct") for r in verified] == [c for _, c, _ in PYTHON]
    assert verified[1]["verdict"] == "wrong_answer" and verified[0]["tests_passed"] == 2
    assert verified[8]["verdict"] == "wrong_answer" and verified[8]["tests_total"] == 1

    out, rejected = tmp_path / "sft.jsonl", tmp_path / "rejected.jsonl"
    assert prepare_data(commands.sft_overrides("python", f"{ver}/output-rs*.jsonl", str(out), str(rejected), None)) == 0
    kept = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(kept) == 5  # right, wrong, fixed think tag, call-based wrong, untested; the seed-1 copy is a duplicate
    assert sorted(r["output"].split("```python\n")[1].splitlines()[1] for r in kept if "a, b" in r["output"]) == [
        "print(a + b)", "print(a - b)", "print(b + a)"]
    assert all(r["output"].startswith("<think>") and "Read a and b" in r["input"] or "largest product" in r["input"]
               or "guess" in r["input"] for r in kept)
    assert [("`maxProduct`" in r["input"], "standard input" in r["input"]) for r in kept if "largest" in r["input"]] == [
        (True, False)]  # the call-based prompt
    drops = sorted(json.loads(x)["drop_reason"] for x in rejected.read_text().splitlines())
    assert drops == sorted(d for _, _, d in PYTHON if d)
    funnel = json.loads((tmp_path / "sft-report" / "funnel.json").read_text())
    assert {s["name"]: s["dropped"] for s in funnel["steps"]}["deduplicate"] == 1

    labels = tmp_path / "patterns-input.jsonl"
    patterns.prepare(str(ver), str(labels))
    got = [json.loads(x)["correctness"] for x in labels.read_text().splitlines()]
    # rows with a </think>: every one but the no_think_end_tag row; untested -> unknown
    assert got == ["correct", "incorrect", "correct", "correct", "incorrect", "incorrect", "correct", "incorrect",
                   "unknown", "correct"]


def test_cpp_solutions_use_the_cpp_block_and_grammar(tmp_path: Path) -> None:
    sols, ver = tmp_path / "solutions", tmp_path / "verified"
    sols.mkdir()
    good = "```cpp\n#include <iostream>\nint main() { long a, b; std::cin >> a >> b; std::cout << a + b << \"\\n\"; }\n```"
    rows = [_solution(SUM, THINK + good), _solution(SUM, THINK + good.replace("a + b <<", "a + <<")),
            _solution(SUM, THINK + GOOD)]  # a python block in the C++ run: no ```cpp block
    (sols / "output-rs0.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert verify_code([f"++input_file={sols}/output-rs0.jsonl", f"++output_file={ver}/output-rs0.jsonl"]) == 0
    assert [json.loads(x)["is_correct"] for x in (ver / "output-rs0.jsonl").read_text().splitlines()][:2] == [True, False]
    out, rejected = tmp_path / "sft-cpp.jsonl", tmp_path / "rej.jsonl"
    assert prepare_data(commands.sft_overrides("cpp", f"{ver}/output-rs*.jsonl", str(out), str(rejected), None)) == 0
    assert len(out.read_text().splitlines()) == 1
    assert sorted(json.loads(x)["drop_reason"] for x in rejected.read_text().splitlines()) == [
        "no_code_block", "syntax_error_cpp"]
