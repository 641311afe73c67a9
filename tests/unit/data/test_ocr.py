"""OpenCodeReasoning post-processing steps."""

from __future__ import annotations

import pytest

from nemo_skills_lite.data import ocr

PY = "```python\nprint(int(input()) * 2)\n```"
CPP = "```cpp\n#include <iostream>\nint main() { int n; std::cin >> n; std::cout << n * 2; }\n```"


def apply(f, text: str, **extra):
    row = {"output": text, **extra}
    return f(row), row


@pytest.mark.parametrize("text,reason,fixed", [
    ("<think>\nhmm\n</think>\nanswer", None, "<think>\nhmm\n</think>\nanswer"),
    ("hmm\n</think>\nanswer", None, "<think>\nhmm\n</think>\nanswer"),  # only </think>: prepend
    ("\nhmm\n</think>\nanswer", None, "<think>\nhmm\n</think>\nanswer"),
    ("no tags at all", "no_think_end_tag", None),
    ("<think>\nnever closed", "no_think_end_tag", None),
    ("<think>a</think>b</think>c", "multiple_think_end_tags", None),
    ("</think>x<think>y", "think_tags_out_of_order", None),
])
def test_validate_think_tags(text, reason, fixed):
    got, row = apply(ocr.validate_think_tags("output"), text)
    assert got == reason
    if fixed is not None:
        assert row["output"] == fixed


def test_drop_code_in_reasoning():
    f = ocr.drop_code_in_reasoning("output")
    assert apply(f, f"<think>\nlet me write\n{PY}\n</think>\n{PY}")[0] == "code_in_reasoning"
    assert apply(f, f"<think>\nthink in words, use `x` inline\n</think>\n{PY}")[0] is None


def test_extract_final_code_sets_fields_and_respects_language():
    reason, row = apply(ocr.extract_final_code("output"), f"<think>x</think>\n{CPP}\nor\n{PY}")
    assert reason is None and row["language"] == "python" and row["code"].startswith("print(")
    reason, row = apply(ocr.extract_final_code("output", "cpp"), f"<think>x</think>\n{CPP}\nor\n{PY}")
    assert reason is None and row["language"] == "cpp"
    assert apply(ocr.extract_final_code("output", "cpp"), f"<think>x</think>\n{PY}")[0] == "no_code_block"
    assert apply(ocr.extract_final_code("output"), f"<think>{PY}</think>\nno code")[0] == "no_code_block"


def test_check_code_syntax_python_and_cpp():
    f = ocr.check_code_syntax()
    assert f({"code": "print(1)\n", "language": "python"}) is None
    assert f({"code": "print(1\n", "language": "python"}) == "syntax_error_python"
    assert f({"code": "int main() { return 0; }", "language": "cpp"}) is None
    assert f({"code": "int main() { return 0 }", "language": "cpp"}) == "syntax_error_cpp"
    assert f({"output": "no extraction ran"}) == "no_code_block"


def test_drop_truncated():
    f = ocr.drop_truncated()
    assert f({"finish_reason": "length"}) == "finish_reason_length"
    assert f({"finish_reason": "stop"}) is None
    assert f({}) is None
