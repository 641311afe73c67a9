"""Plain arithmetic inside solutions: check equalities and expand them step by step.

Numbers, ``+ - * / **`` (``^`` for the check) and parentheses only, evaluated on the ``ast`` tree
(never ``eval``). Used by the ``drop_incorrect_arithmetic`` and ``split_arithmetic`` filters.
"""

from __future__ import annotations

import ast
import math
import operator
import re

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow, ast.USub: operator.neg, ast.UAdd: operator.pos}
_ERRORS = (ValueError, SyntaxError, ZeroDivisionError, OverflowError, TypeError, RecursionError)
# a run of digits/operators/parens/spaces containing '=' and at least one operator
_ARITH_RE = re.compile(r"[\d.()][\d.\s+\-*/()^]*(?:\s*=[\d.\s+\-*/()^]*[\d.)])+")
# split_arithmetic candidates: one line of digits/operators/parens/spaces/'=' (checked further below)
_RUN_RE = re.compile(r"[\d(](?:[\d()+\-*/= \t]|\.(?=\d))*[\d)]")  # a '.' only inside a number
_NEG_RE = re.compile(r"(?<![\d(.])-(\d+(?:\.\d+)?)")
MAX_SPLIT_OPS = 32


def _apply(op: ast.AST, *args: float) -> float:
    if isinstance(op, ast.Pow) and abs(args[1]) > 64:
        raise ValueError("exponent too large")
    return _OPS[type(op)](*args)


def safe_eval(expr: str) -> float:
    """Evaluate + - * / ** and parentheses over numbers; anything else raises ValueError."""
    tree = ast.parse(expr.replace("^", "**").strip(), mode="eval")

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _apply(node.op, ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
            return _apply(node.op, ev(node.operand))
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
        except _ERRORS:
            continue
        if not math.isclose(lhs, rhs, rel_tol=rel_tol):
            bad.append(m.group(0).strip())
    return bad


# --- step-by-step expansion -----------------------------------------------------------------

def _number(node: ast.AST) -> float | None:
    """The value of a literal number or a signed literal; None for anything else."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        val = _number(node.operand)
        return None if val is None or isinstance(node.operand, ast.UnaryOp) else _apply(node.op, val)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    return None


def _first_op(node: ast.AST) -> ast.BinOp | None:
    """The operation evaluated first (left to right, by precedence): the first BinOp in post-order."""
    for child in ast.iter_child_nodes(node):
        found = _first_op(child)
        if found is not None:
            return found
    return node if isinstance(node, ast.BinOp) else None


def _fmt(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def solve_steps(expr: str) -> list[str]:
    """'3 * (1 + 7) / 4' -> ['3 * (1 + 7) / 4', '3 * 8 / 4', '24 / 4', '6']: one operation a step.

    Raises ValueError (or an arithmetic error) for anything but plain arithmetic."""
    steps = [expr.strip()]
    while True:
        tree = ast.parse(steps[-1], mode="eval")
        ok = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.operator, ast.unaryop)
        if not all(isinstance(n, ok) for n in ast.walk(tree)) or len(steps) > MAX_SPLIT_OPS:
            raise ValueError("not plain arithmetic")
        node = _first_op(tree)
        if node is None:
            return steps
        left, right = _number(node.left), _number(node.right)
        if left is None or right is None:
            raise ValueError("not plain arithmetic")
        text = steps[-1]
        before, after = text[:node.col_offset], text[node.end_col_offset:]
        if before.rstrip().endswith("(") and after.lstrip().startswith(")"):
            before, after = before.rstrip()[:-1], after.lstrip()[1:]
        steps.append(before + _fmt(_apply(node.op, left, right)) + after)


def _trim_parens(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop unbalanced parentheses at the ends of a run ('(so 1 + 2 + 3 = 6)' -> '1 + 2 + 3 = 6')."""
    while text.count(")", start, end) > text.count("(", start, end) and text[end - 1] == ")":
        end = len(text[:end - 1].rstrip(" \t"))
    while text.count("(", start, end) > text.count(")", start, end) and text[start] == "(":
        start = len(text) - len(text[start + 1:].lstrip(" \t"))
    return start, end


def _standalone(text: str, start: int, end: int) -> bool:
    """The run is a whole expression: no operator, word or number glued to either side."""
    prev = text[:start].rstrip(" \t")[-1:]
    nxt = text[end:].lstrip(" \t")[:1]
    glued_before = start > 0 and (text[start - 1].isalnum() or text[start - 1] in "._")
    glued_after = end < len(text) and (text[end].isalnum() or text[end] == "_")
    return not (glued_before or glued_after or (prev and prev in "+-*/^") or (nxt and nxt in "+-*/^"))


def split_arithmetic(text: str) -> str:
    """Expand every correct ``a op b op c = d`` (two or more operations) into its steps:
    '1 + 2 + 3 + 4 = 10' -> '1 + 2 + 3 + 4 = 3 + 3 + 4 = 6 + 4 = 10'. Chains, wrong or non-arithmetic
    equalities are left as they are; the written answer is kept."""
    out, last = [], 0
    for m in _RUN_RE.finditer(text):
        start, end = _trim_parens(text, m.start(), m.end())
        run = text[start:end]
        if start >= end or run.count("=") != 1 or not _standalone(text, start, end):
            continue
        lhs, rhs = run.split("=")
        try:
            steps = solve_steps(lhs)
            if len(steps) < 3 or steps[-1] == "" or safe_eval(steps[-1]) != safe_eval(rhs):
                continue
        except _ERRORS:
            continue
        merged = [_NEG_RE.sub(r"(-\1)", s) for s in steps[:-1]] + [rhs.strip()]
        out.append(text[last:start] + re.sub(r"\s+", " ", " = ".join(merged)))
        last = end
    out.append(text[last:])
    return "".join(out)
