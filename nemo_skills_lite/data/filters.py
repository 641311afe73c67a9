"""Row filters with NeMo-Skills' names and meanings (training/data_preparation_utils/filters.py).

Each filter is a small function ``f(row) -> str | None``: it may edit the row in place and returns
the drop reason, or None to keep the row. Factories bind options (keys, limits, tokenizer) once.
Pure and per-row, so the chain can run in worker processes.
"""

from __future__ import annotations

import ast
import json
import math
import operator
import re
from pathlib import Path
from typing import Any, Callable

from nemo_skills_lite.utils.errors import NslError

RowFilter = Callable[[dict[str, Any]], "str | None"]

PREFIX_SOLUTION = "My solution:\n"
_BOXED_SIMPLE = re.compile(r"\\boxed\{([^}]*)\}")
_PYTHON_FENCE = re.compile(r"```[pP]ython")

CODE_ERROR_PATTERNS = ("Traceback (most recent call last)", "<output cut>", "Timed out", "SyntaxError")
MATPLOTLIB_PATTERNS = ("from matplotlib", "import matplotlib")
VERIFICATION_CODE_PATTERNS = (
    "Let's verify this with Python", "Let's verify this using Python", "Let's confirm this with Python",
    "Let's use Python to plot", "Let's verify this solution using Python", "Let's use Python to verify",
    "Let's confirm this result with some Python",
)


def _text(row: dict[str, Any], key: str) -> str:
    val = row.get(key)
    if not isinstance(val, str):
        raise KeyError(key)
    return val


def last_boxed_span(text: str) -> tuple[int, int] | None:
    """(start, end) of the last ``\\boxed{...}`` with balanced braces, or None."""
    start = text.rfind("\\boxed{")
    while start >= 0:
        depth, i = 0, start + len("\\boxed")
        while i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    return start, i + 1
            i += 1
        start = text.rfind("\\boxed{", 0, start)  # unbalanced: try an earlier one
    return None


def drop_multi_boxed(key: str) -> RowFilter:
    def f(row: dict[str, Any]) -> str | None:
        return "multi_boxed" if len(_BOXED_SIMPLE.findall(_text(row, key))) > 1 else None
    return f


def trim_prefix(key: str) -> RowFilter:
    def f(row: dict[str, Any]) -> str | None:
        text = _text(row, key)
        if text.startswith(PREFIX_SOLUTION):
            row[key] = text[len(PREFIX_SOLUTION):]
        return None
    return f


def trim_solutions(key: str) -> RowFilter:
    """Cut everything after the line holding the last \\boxed{} answer."""
    def f(row: dict[str, Any]) -> str | None:
        text = _text(row, key)
        span = last_boxed_span(text)
        if span is not None:
            end = span[1]
            nl = text.find("\n", end)
            if nl >= 0:
                row[key] = text[:nl]
        return None
    return f


def drop_if_contains(key: str, patterns: tuple[str, ...], reason: str) -> RowFilter:
    def f(row: dict[str, Any]) -> str | None:
        text = _text(row, key)
        return reason if any(p in text for p in patterns) else None
    return f


def drop_if_missing_all(key: str, patterns: tuple[str, ...], reason: str) -> RowFilter:
    """NeMo-Skills' DropIfRegexNotMatch: drop unless *every* pattern occurs."""
    def f(row: dict[str, Any]) -> str | None:
        text = _text(row, key)
        return None if all(p in text for p in patterns) else reason
    return f


def remove_no_think_tags(key: str) -> RowFilter:
    return drop_if_missing_all(key, ("<think>", "</think>"), "no_think_tags")


def drop_incorrect_code_blocks(key: str) -> RowFilter:
    def f(row: dict[str, Any]) -> str | None:
        return "not_one_python_block" if len(_PYTHON_FENCE.findall(_text(row, key))) != 1 else None
    return f


def majority_filter(min_votes: int, min_percentage: float) -> RowFilter:
    def f(row: dict[str, Any]) -> str | None:
        votes, total = row.get("majority_votes"), row.get("total_votes")
        if votes is None or total is None:
            return None
        if votes < min_votes or votes < total * min_percentage:
            return "weak_majority"
        return None
    return f


def load_contaminated(path: str, key: str) -> set[str]:
    """Problems marked ``contaminated: true`` in a NeMo-Skills contamination file."""
    p = Path(path)
    if not p.exists():
        raise NslError(f"contamination_file not found: {p}")
    out: set[str] = set()
    with p.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise NslError(f"{p}:{i}: not valid JSON ({e.msg})") from None
            if "contaminated" not in row or key not in row:
                raise NslError(f"{p}:{i}: contamination rows need keys '{key}' and 'contaminated'; "
                               f"found {sorted(row)}")
            if row["contaminated"]:
                out.add(row[key])
    return out


def remove_contaminated(key: str, contaminated: set[str]) -> RowFilter:
    def f(row: dict[str, Any]) -> str | None:
        return "contaminated" if row.get(key) in contaminated else None
    return f


def remove_len_outliers(key: str, count_tokens: Callable[[str], int], min_length: int, max_length: int | None,
                        use_chars_for_min: bool, reason: str) -> RowFilter:
    def f(row: dict[str, Any]) -> str | None:
        text = _text(row, key)
        if use_chars_for_min and len(text) < min_length:
            return f"{reason}_too_short"
        n = count_tokens(text)
        if not use_chars_for_min and n < min_length:
            return f"{reason}_too_short"
        if max_length is not None and n > max_length:
            return f"{reason}_too_long"
        return None
    return f


# --- arithmetic check -------------------------------------------------------------------------

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow, ast.USub: operator.neg, ast.UAdd: operator.pos}
# a run of digits/operators/parens/spaces containing '=' and at least one operator
_ARITH_RE = re.compile(r"[\d.()][\d.\s+\-*/()^]*(?:\s*=[\d.\s+\-*/()^]*[\d.)])+")


def safe_eval(expr: str) -> float:
    """Evaluate + - * / ** and parentheses over numbers; anything else raises ValueError."""
    tree = ast.parse(expr.replace("^", "**").strip(), mode="eval")

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > 64:
                raise ValueError("exponent too large")
            return _OPS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.operand))
        raise ValueError("not arithmetic")

    return ev(tree)


def arithmetic_errors(text: str, rel_tol: float = 1e-4) -> list[str]:
    """Equalities like '3 * 8 / 4 = 100' whose left side does not evaluate to the right side."""
    bad = []
    for m in _ARITH_RE.finditer(text):
        parts = [p.strip() for p in m.group(0).split("=")]
        if len(parts) < 2 or not any(op in parts[0] for op in "+-*/^"):
            continue
        try:
            lhs, rhs = safe_eval(parts[0]), safe_eval(parts[-1])
        except (ValueError, SyntaxError, ZeroDivisionError, OverflowError, TypeError, RecursionError):
            continue
        if not math.isclose(lhs, rhs, rel_tol=rel_tol):
            bad.append(m.group(0).strip())
    return bad


def drop_incorrect_arithmetic(key: str, rel_tol: float = 1e-4) -> RowFilter:
    def f(row: dict[str, Any]) -> str | None:
        return "incorrect_arithmetic" if arithmetic_errors(_text(row, key), rel_tol) else None
    return f
