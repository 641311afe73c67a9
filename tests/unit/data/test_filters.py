"""NeMo-Skills filters: each with its own cases (incl. the test_cases of NeMo-Skills' math_sft.yaml)."""

from __future__ import annotations

import json

import pytest

from nemo_skills_lite.data import filters as F
from nemo_skills_lite.utils.errors import NslError


def run(f, text: str, key: str = "generation"):
    row = {key: text}
    reason = f(row)
    return None if reason else row[key]


@pytest.mark.parametrize("text,kept", [
    ("He had \\boxed{3} 4090s and \\boxed{2} 4080s", False),
    ("She had \\boxed{6} 4090s", True),
    ("boxed boxed 42", True),
])
def test_drop_multi_boxed(text, kept):
    assert (run(F.drop_multi_boxed("generation"), text) is not None) == kept


def test_trim_prefix():
    assert run(F.trim_prefix("generation"), "My solution:\nx = 1") == "x = 1"
    assert run(F.trim_prefix("generation"), "Solution: My solution:\nx") == "Solution: My solution:\nx"


@pytest.mark.parametrize("text,expected", [
    ("Solution ends at \\boxed{0}\nThis line is useless.", "Solution ends at \\boxed{0}"),
    ("Solution continues \\boxed{7} after boxed", "Solution continues \\boxed{7} after boxed"),
    ("Solution\n\ncontinues \n\n\\boxed{7} after\n boxed", "Solution\n\ncontinues \n\n\\boxed{7} after"),
    ("Works alright with newlines inside \\boxed{7\n5} and properly\ncuts after",
     "Works alright with newlines inside \\boxed{7\n5} and properly"),
    ("Nested \\boxed{\\frac{1}{2}} ok\nmore", "Nested \\boxed{\\frac{1}{2}} ok"),
    ("First \\boxed{1}\nthen \\boxed{2}\ntail", "First \\boxed{1}\nthen \\boxed{2}"),
    ("No answer here\nat all", "No answer here\nat all"),
])
def test_trim_solutions(text, expected):
    assert run(F.trim_solutions("generation"), text) == expected


@pytest.mark.parametrize("text,kept", [
    ("My solution:\n---Traceback (most recent call last)---\nSomething else", False),
    ("My solution:\nSome long output<output cut>\nSomething else", False),
    ("My solution:\nTimed out\nSomething else", False),
    ("My solution:\n\x1b[0;31mSyntaxError\x1b\nSomething else", False),
    ("My solution, no errors", True),
])
def test_remove_code_errors(text, kept):
    f = F.drop_if_contains("generation", F.CODE_ERROR_PATTERNS, "code_error")
    assert (run(f, text) is not None) == kept


@pytest.mark.parametrize("text,kept", [
    ("My solution:\n---<think>---\nSomething else", False),
    ("My solution:\n</think>\nSomething else", False),
    ("<think>thinking</think>summary", True),
    ("no tags", False),
])
def test_remove_no_think_tags(text, kept):
    assert (run(F.remove_no_think_tags("generation"), text) is not None) == kept
    if not kept:
        assert F.remove_no_think_tags("generation")({"generation": text}) == "no_think_tags"


@pytest.mark.parametrize("text,kept", [
    ("Here:\n```python\nprint(1)\n```", True),
    ("```Python\nx\n```", True),
    ("no code", False),
    ("```python\na\n```\n```python\nb\n```", False),
])
def test_drop_incorrect_code_blocks(text, kept):
    assert (run(F.drop_incorrect_code_blocks("generation"), text) is not None) == kept


@pytest.mark.parametrize("text,kept", [
    ("1 + 2 + 3 + 4 = 10", True),
    ("3 * (1 + 7) / 4 = 3 * 8 / 4 = 100", False),
    ("So 12 * 12 = 144 and 144 - 44 = 100.", True),
    ("We get 7 * 6 = 48 apples.", False),
    ("x = 5 and y = 7, so x + y = 12", True),  # not pure arithmetic: ignored
    ("2^10 = 1024", True),
    ("1 / 3 = 0.33333", True),
    ("1 / 0 = 5", True),  # not evaluable: ignored, like NeMo-Skills
    ("Dates like 2020-01-01 have no equals sign", True),
])
def test_drop_incorrect_arithmetic(text, kept):
    assert (run(F.drop_incorrect_arithmetic("generation"), text) is not None) == kept


def test_safe_eval_refuses_non_arithmetic():
    assert F.safe_eval("3 * (1 + 7) / 4") == 6
    for bad in ("__import__('os')", "a + 1", "2 ** 1000"):
        with pytest.raises(ValueError):
            F.safe_eval(bad)


@pytest.mark.parametrize("row,kept", [
    ({"majority_votes": 3, "total_votes": 4}, True),
    ({"majority_votes": 1, "total_votes": 4}, False),  # below 2 votes
    ({"majority_votes": 2, "total_votes": 8}, False),  # below 30 %
    ({}, True),  # no vote info: kept, as in NeMo-Skills
])
def test_majority_filter(row, kept):
    assert (F.majority_filter(2, 0.3)(dict(row)) is None) == kept


def test_remove_contaminated(tmp_path):
    path = tmp_path / "contamination.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"problem": "p1", "contaminated": True}, {"problem": "p2", "contaminated": False}]) + "\n")
    f = F.remove_contaminated("problem", F.load_contaminated(str(path), "problem"))
    assert f({"problem": "p1"}) == "contaminated"
    assert f({"problem": "p2"}) is None
    assert f({"problem": "p3"}) is None


def test_contamination_file_errors_name_file_and_line(tmp_path):
    with pytest.raises(NslError, match="not found"):
        F.load_contaminated(str(tmp_path / "missing.jsonl"), "problem")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"problem": "p"}\n')
    with pytest.raises(NslError, match=r"bad.jsonl:1: .*'contaminated'"):
        F.load_contaminated(str(bad), "problem")


def test_remove_len_outliers_counts_with_given_counter():
    count_words = lambda s: len(s.split())  # noqa: E731 - the tokenizer-backed counter is tested in integration
    f = F.remove_len_outliers("generation", count_words, 2, 4, False, "solution")
    assert f({"generation": "one"}) == "solution_too_short"
    assert f({"generation": "one two three"}) is None
    assert f({"generation": "a b c d e"}) == "solution_too_long"
    chars = F.remove_len_outliers("generation", count_words, 5, 10, True, "solution")
    assert chars({"generation": "abc"}) == "solution_too_short"
    assert chars({"generation": "abcdef"}) is None


def test_missing_text_key_raises_keyerror():
    with pytest.raises(KeyError):
        F.drop_multi_boxed("generation")({"other": "x"})
