"""OpenCodeReasoning post-processing steps for R1-style code generations.

Same ``f(row) -> drop reason | None`` shape as data/filters.py:
- think tags: both present -> keep; only ``</think>`` -> prepend ``<think>``; neither -> drop;
- reasoning that already contains a fenced code block -> drop;
- the final ```python / ```cpp block of the answer -> ``code`` and ``language`` fields, none -> drop;
- tree-sitter syntax check of that block -> drop on a parse error;
- ``finish_reason == "length"`` (truncated generation) -> drop.
"""

from __future__ import annotations

from typing import Any

from nemo_skills_lite.data.code_blocks import check_syntax, contains_code_block, extract_code_block
from nemo_skills_lite.data.filters import RowFilter, _text

THINK_START, THINK_END = "<think>", "</think>"


def validate_think_tags(key: str) -> RowFilter:
    def f(row: dict[str, Any]) -> str | None:
        text = _text(row, key)
        has_end = THINK_END in text
        if not has_end:
            return "no_think_end_tag"
        if text.count(THINK_END) > 1:
            return "multiple_think_end_tags"
        if THINK_START not in text:
            row[key] = THINK_START + "\n" + text.lstrip("\n")
        elif text.index(THINK_START) > text.index(THINK_END):
            return "think_tags_out_of_order"
        return None
    return f


def drop_code_in_reasoning(key: str) -> RowFilter:
    def f(row: dict[str, Any]) -> str | None:
        text = _text(row, key)
        end = text.find(THINK_END)
        reasoning = text if end < 0 else text[:end]
        return "code_in_reasoning" if contains_code_block(reasoning) else None
    return f


def extract_final_code(key: str, language: str = "any") -> RowFilter:
    want = None if language == "any" else language

    def f(row: dict[str, Any]) -> str | None:
        block = extract_code_block(_text(row, key), want)
        if block is None:
            return "no_code_block"
        row["code"] = block.code
        row["language"] = block.language
        return None
    return f


def check_code_syntax() -> RowFilter:
    def f(row: dict[str, Any]) -> str | None:
        code, lang = row.get("code"), row.get("language")
        if not isinstance(code, str) or not isinstance(lang, str):
            return "no_code_block"
        return None if check_syntax(code, lang).ok else f"syntax_error_{lang}"
    return f


def drop_truncated() -> RowFilter:
    def f(row: dict[str, Any]) -> str | None:
        return "finish_reason_length" if row.get("finish_reason") == "length" else None
    return f
