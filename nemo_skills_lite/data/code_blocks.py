"""Code blocks in model generations: extraction and tree-sitter syntax checks.

OpenCodeReasoning keeps a solution only if, after the reasoning (``</think>``), the answer holds a
fenced ```python or ```cpp block that parses. ``extract_code_block`` returns the *last* such block
of the answer part; ``check_syntax`` parses it with the real tree-sitter grammars.

Used by the OCR post-processing steps of prepare_data and by code verification.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Fence info strings we accept, mapped to the canonical language name.
LANGUAGE_ALIASES: dict[str, str] = {
    "python": "python", "py": "python", "python3": "python", "py3": "python",
    "cpp": "cpp", "c++": "cpp", "cxx": "cpp", "cc": "cpp",
}
SUPPORTED_LANGUAGES = ("python", "cpp")

# An opening fence at line start: ``` + optional info string; the block ends at the next line-start ```.
_FENCE_RE = re.compile(r"^[ \t]*```[ \t]*([^\s`]*)[^\n]*\n(.*?)^[ \t]*```", re.DOTALL | re.MULTILINE)
THINK_END = "</think>"


@dataclass(frozen=True)
class CodeBlock:
    code: str
    language: str


@dataclass(frozen=True)
class SyntaxCheck:
    ok: bool
    error: str | None = None


def normalize_language(language: str) -> str | None:
    """'Python3' -> 'python', 'C++' -> 'cpp'; None if not a supported language."""
    return LANGUAGE_ALIASES.get(language.strip().lower())


def answer_part(text: str) -> str:
    """The text after the last ``</think>`` (the whole text if there is none)."""
    idx = text.rfind(THINK_END)
    return text if idx < 0 else text[idx + len(THINK_END):]


def iter_code_blocks(text: str) -> list[CodeBlock]:
    """All fenced blocks with a supported language tag, in order of appearance."""
    blocks = []
    for m in _FENCE_RE.finditer(text):
        lang = normalize_language(m.group(1)) if m.group(1) else None
        if lang is not None:
            blocks.append(CodeBlock(code=m.group(2), language=lang))
    return blocks


def extract_code_block(text: str, language: str | None = None) -> CodeBlock | None:
    """The final fenced ```python / ```cpp block after ``</think>``, or None.

    ``language`` restricts the search to one language ('python', 'cpp' or an alias); unknown
    languages raise ValueError. Blocks inside the reasoning are ignored.
    """
    want = None
    if language is not None:
        want = normalize_language(language)
        if want is None:
            raise ValueError(f"unsupported language '{language}'; valid: {', '.join(sorted(LANGUAGE_ALIASES))}")
    blocks = [b for b in iter_code_blocks(answer_part(text)) if want is None or b.language == want]
    return blocks[-1] if blocks else None


def contains_code_block(text: str) -> bool:
    """True if ``text`` has any fenced block (any or no language tag)."""
    return "```" in text and _FENCE_RE.search(text) is not None


@lru_cache(maxsize=None)
def _parser(language: str):  # -> tree_sitter.Parser
    from tree_sitter import Language, Parser

    if language == "python":
        import tree_sitter_python as grammar
    elif language == "cpp":
        import tree_sitter_cpp as grammar
    else:
        raise ValueError(f"unsupported language '{language}'; valid: {', '.join(SUPPORTED_LANGUAGES)}")
    return Parser(Language(grammar.language()))


def _first_error(node) -> object | None:
    """Depth-first search for the first ERROR or MISSING node."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n.is_error or n.is_missing:
            return n
        if n.has_error:
            stack.extend(reversed(n.children))
    return None


def check_syntax(code: str, language: str) -> SyntaxCheck:
    """Parse ``code`` with tree-sitter; ``ok`` is False if the tree has any ERROR/MISSING node.

    ``error`` says where ("line L, column C: unexpected 'x'" or "missing ';'").
    """
    lang = normalize_language(language)
    if lang is None:
        raise ValueError(f"unsupported language '{language}'; valid: {', '.join(SUPPORTED_LANGUAGES)}")
    if not code.strip():
        return SyntaxCheck(False, "empty code")
    tree = _parser(lang).parse(code.encode("utf-8"))
    root = tree.root_node
    if not root.has_error:
        return SyntaxCheck(True, None)
    bad = _first_error(root)
    if bad is None:
        return SyntaxCheck(False, "syntax error")
    line, col = bad.start_point[0] + 1, bad.start_point[1] + 1
    if bad.is_missing:
        return SyntaxCheck(False, f"line {line}, column {col}: missing '{bad.type}'")
    snippet = (bad.text or b"").decode("utf-8", "replace").strip().splitlines()
    what = snippet[0][:40] if snippet else ""
    return SyntaxCheck(False, f"line {line}, column {col}: unexpected '{what}'")
