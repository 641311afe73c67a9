"""The NeMo-Skills filters ported last: remove_no_code, split_arithmetic, add_code_execution_counts and
code_text_filter's per-problem rule (kept, modified and dropped rows, hand-written)."""

from __future__ import annotations

import pytest

from nemo_skills_lite.data import filters as F
from nemo_skills_lite.data.arithmetic import solve_steps, split_arithmetic
from nemo_skills_lite.utils.errors import NslError

TOOL_SOLUTION = ("Let me compute it.\n<tool_call>\nprint(17 * 23)\n</tool_call>\n```output\n391\n```\n"
                 "Remaining code executions: 3. You will not be able to call code when you run out.\n"
                 "<tool_call>\nprint(391 + 9)\n</tool_call>\n```output\n400\n```\n"
                 "Remaining code executions: 2.\nSo the answer is \\boxed{400}.")


@pytest.mark.parametrize("text,kept", [
    ("My solution:\n---<tool_call>---\nSomething else", False),  # NeMo-Skills' own test cases
    ("My solution:\ncode</tool_call>\nSomething else", False),
    ("<tool_call>code</tool_call>", True),
    (TOOL_SOLUTION, True),
    ("Plain reasoning, 2 + 2 = 4, so \\boxed{4}.", False),
    ("```python\nprint(4)\n```", False),  # other code tags are not tool calls
])
def test_remove_no_code(text, kept):
    row = {"generation": text}
    reason = F.remove_no_code("generation")(row)
    assert (reason is None) == kept
    assert reason in (None, "no_code") and row == {"generation": text}  # never edits


@pytest.mark.parametrize("text,expected", [
    # NeMo-Skills' test cases
    ("1 + 2 + 3 + 4 = 10", "1 + 2 + 3 + 4 = 3 + 3 + 4 = 6 + 4 = 10"),
    ("1 + 7 * 19 = 134", "1 + 7 * 19 = 1 + 133 = 134"),
    ("3 * (1 + 7) / 4 = 6", "3 * (1 + 7) / 4 = 3 * 8 / 4 = 24 / 4 = 6"),
    # inside prose; negative intermediate results are parenthesised; the written answer is kept
    ("He has 2 - 7 + 1 = -4 dollars.", "He has 2 - 7 + 1 = (-5) + 1 = -4 dollars."),
    ("So x = 100 - 3 * 5 = 85 cats.", "So x = 100 - 3 * 5 = 100 - 15 = 85 cats."),
    ("Area: $1.5 * 2 + 1 = 4.0$", "Area: $1.5 * 2 + 1 = 3 + 1 = 4.0$"),
    ("a\n1 + 2 + 3 = 6\n2 * 3 * 4 = 24.", "a\n1 + 2 + 3 = 3 + 3 = 6\n2 * 3 * 4 = 6 * 4 = 24."),
    ("(so 10 / 4 + 1 = 3.5)", "(so 10 / 4 + 1 = 2.5 + 1 = 3.5)"),
    ("Remaining code executions: 1. 1 + 2 + 3 = 6", "Remaining code executions: 1. 1 + 2 + 3 = 3 + 3 = 6"),
])
def test_split_arithmetic_expands(text, expected):
    row = {"generation": text}
    assert F.split_arithmetic("generation")(row) is None
    assert row["generation"] == expected


@pytest.mark.parametrize("text", [
    "3 * (1 + 7) / 4 = 7",  # wrong: left alone (drop_incorrect_arithmetic is the filter for that)
    "12 * 12 = 144",  # one operation: nothing to split
    "3 * 8 / 4 = 24 / 4 = 6",  # already a chain
    "y - 2 + 3 * 4 = 14",  # part of a larger expression with a variable
    "2x + 3 * 4 = 14",
    "5 + 2^3 = 13",  # ^ is not split (NeMo-Skills neither)
    "1 / 0 + 1 = 2",
    "0.1 + 0.2 + 0 = 0.3",  # float rounding: not exactly equal, as NeMo-Skills compares with ==
    "Dates like 2020-01-01 - 3 = x",
])
def test_split_arithmetic_keeps_row_unchanged(text):
    row = {"generation": text}
    original = row["generation"]
    assert F.split_arithmetic("generation")(row) is None
    assert row["generation"] is original  # not even reassigned, so the funnel does not count it as modified


def test_solve_steps_one_operation_at_a_time():
    assert solve_steps("2 * (1 - 4) + 10") == ["2 * (1 - 4) + 10", "2 * -3 + 10", "-6 + 10", "4"]
    assert solve_steps("2 ** 3 * 2") == ["2 ** 3 * 2", "8 * 2", "16"]
    for bad in ("__import__('os')", "a + 1 + 2", "f(3) + 1", "2 ** 100 + 1"):
        with pytest.raises(ValueError):
            solve_steps(bad)
    assert split_arithmetic("nothing to do here") == "nothing to do here"


@pytest.mark.parametrize("text,count", [
    (TOOL_SOLUTION, 4),  # the first 'Remaining code executions: 3.' -> budget of 4
    ("<tool_call>x</tool_call>\nYou have run out of code executions! You can no longer write code.", 1),
    ("No code at all.", 0),
])
def test_add_code_execution_counts(text, count):
    row = {"generation": text}
    assert F.add_code_execution_counts("generation")(row) is None
    assert row[F.CODE_EXECUTIONS_KEY] == count and row["generation"] == text


def test_code_begin_token(tmp_path):
    assert F.code_begin_token("openmath") == "<tool_call>"
    assert F.code_begin_token("qwen") == "```python\n"
    tags = tmp_path / "tags.yaml"
    tags.write_text('code_begin: "<run>"\ncode_end: "</run>"\n')
    assert F.code_begin_token(str(tags)) == "<run>"
    tags.write_text("code_end: x\n")
    with pytest.raises(NslError, match="no non-empty 'code_begin'"):
        F.code_begin_token(str(tags))
    with pytest.raises(NslError, match=r"code_tags 'chatml' is not valid; valid: openmath, nemotron, qwen"):
        F.code_begin_token("chatml")


@pytest.mark.parametrize("filter_type,n_code,n_total,expected", [
    ("all", 1, 4, (True, False)),
    ("all", 0, 4, (True, False)),  # a problem with only text solutions loses them all
    ("majority_code", 2, 4, (True, True)),  # code not in the majority: text kept too
    ("majority_code", 3, 4, (True, False)),
    ("majority_text", 3, 4, (True, False)),  # code majority: only code
    ("majority_text", 2, 4, (False, True)),  # otherwise only text
    ("any_code", 1, 4, (True, False)),
    ("any_code", 0, 4, (True, True)),  # no code at all: the text solutions stay
])
def test_code_text_keep(filter_type, n_code, n_total, expected):
    assert F.code_text_keep(filter_type, n_code, n_total) == expected


def test_code_text_keep_unknown_type():
    with pytest.raises(NslError, match="code_text_filter 'most_code' is not valid"):
        F.code_text_keep("most_code", 1, 2)
