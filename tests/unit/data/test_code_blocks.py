"""Code block extraction and tree-sitter syntax checks (issue 4 item 7)."""

from __future__ import annotations

import pytest

from nemo_skills_lite.data.code_blocks import (CodeBlock, check_syntax, contains_code_block, extract_code_block,
                                               normalize_language)

GEN = (
    "<think>\nLet me try\n```python\nprint('draft')\n```\nok\n</think>\n"
    "Explanation.\n```cpp\nint main() { return 0; }\n```\nAlso in Python:\n```python\nprint(42)\n```\nDone."
)


def test_final_block_after_think_wins():
    assert extract_code_block(GEN) == CodeBlock(code="print(42)\n", language="python")


def test_language_filter_and_aliases():
    assert extract_code_block(GEN, "cpp") == CodeBlock(code="int main() { return 0; }\n", language="cpp")
    assert extract_code_block(GEN, "C++").language == "cpp"
    assert extract_code_block("</think>\n```py\nx = 1\n```", "python").code == "x = 1\n"
    assert normalize_language("Python3") == "python"
    with pytest.raises(ValueError, match="unsupported language 'rust'"):
        extract_code_block(GEN, "rust")


def test_blocks_only_in_reasoning_are_ignored():
    text = "<think>\n```python\nprint(1)\n```\n</think>\nNo code here."
    assert extract_code_block(text) is None


def test_without_think_tags_whole_text_is_the_answer():
    assert extract_code_block("```python\na = 1\n```\n```python\nb = 2\n```").code == "b = 2\n"


def test_untagged_unclosed_and_other_language_blocks():
    assert extract_code_block("</think>\n```\nprint(1)\n```") is None  # no language tag
    assert extract_code_block("</think>\n```python\nprint(1)\n") is None  # truncated, never closed
    assert extract_code_block("</think>\n```java\nclass A {}\n```") is None
    assert contains_code_block("text\n```\nx\n```\n")
    assert not contains_code_block("inline ``` only")


@pytest.mark.parametrize("code,lang", [
    ("def f(x):\n    return x * 2\n", "python"),
    ("import sys\nfor line in sys.stdin:\n    print(line.strip()[::-1])\n", "python"),
    ("#include <bits/stdc++.h>\nusing namespace std;\nint main(){ vector<int> v{1,2}; for(auto&x:v) cout<<x; }\n", "cpp"),
    ("template <typename T> T add(T a, T b) { return a + b; }\n", "cpp"),
])
def test_valid_code_parses(code, lang):
    assert check_syntax(code, lang).ok


@pytest.mark.parametrize("code,lang,where", [
    ("def f(x:\n    return x\n", "python", "line 1"),
    ("for i in range(3)\n    print(i)\n", "python", "line 1"),
    ("x = (1 + \n", "python", "line 1"),
    ("int main() { return 0 }\n", "cpp", "line 1"),
    ("int main() {\n  int x = ;\n}\n", "cpp", "line 2"),
    ("#include <cstdio>\nint main( { }\n", "cpp", "line 2"),
])
def test_broken_code_fails_with_location(code, lang, where):
    res = check_syntax(code, lang)
    assert not res.ok
    assert res.error and res.error.startswith(where)


def test_empty_code_and_bad_language():
    assert check_syntax("   \n", "python") == check_syntax("", "cpp")
    assert not check_syntax("", "python").ok
    with pytest.raises(ValueError, match="unsupported language"):
        check_syntax("x", "go")
