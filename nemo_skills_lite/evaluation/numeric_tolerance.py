"""``numeric_tolerance``: decimal approximations of exact answers (for sets whose graders accept them).

Used by ``math_grader`` only after math-verify said "not equal". A decimal ``a`` printed with
``d >= 1`` decimals approximates an exact real number ``x`` (no free symbols, no float) when

    |a - x| <= tol * |x|      (relative error, as Qwen2.5-Math's isclose(rel_tol=1e-4)), and
    |a - x| <  10**-d         (right in every printed digit, up to rounding/truncation of the last)

A whole answer that is a plain decimal literal (``0.9091``) is one such number; inside tuples,
intervals (same open/closed ends) and matrices (same shape) every element must be exactly equal
(elements without floats, symbols allowed) or satisfy the rule, and there ``d`` comes from the float's shortest representation (``0.33`` -> 2).
The prediction is tried as the approximation first, then the expected answer.
"""

from __future__ import annotations

import re
from typing import Any

_DECIMAL_RE = re.compile(r"[+-]?\d+\.(\d+)")


def _close(a: Any, x: Any, decimals: int, tol: float) -> bool:
    import sympy
    if decimals < 1:
        return False
    value = x.evalf(30)
    if not (value.is_real and value.is_finite):
        return False
    err = abs(a - x)
    return (bool((err - sympy.Float(tol, 30) * abs(x)).evalf(30) <= 0)
            and bool((err - sympy.Rational(1, 10 ** decimals)).evalf(30) < 0))


def _exact_number(x: Any) -> bool:
    import sympy
    return isinstance(x, sympy.Expr) and bool(x.is_number) and not x.has(sympy.Float)


def _leaf(a: Any, b: Any, tol: float) -> bool:
    import sympy
    if not a.has(sympy.Float) and not b.has(sympy.Float):  # exact on both sides: exactly equal
        return bool(sympy.simplify(a - b) == 0)
    if isinstance(a, sympy.Float) and isinstance(b, sympy.Float):
        return bool(a == b)
    for approx, exact in ((a, b), (b, a)):
        if isinstance(approx, sympy.Float) and _exact_number(exact):
            text = repr(float(approx))
            if "e" in text or "." not in text:
                return False
            return _close(sympy.Rational(text), exact, len(text.split(".")[1]), tol)
    return False


def _structure(a: Any, b: Any, tol: float) -> bool:
    import sympy
    if isinstance(a, sympy.MatrixBase) and isinstance(b, sympy.MatrixBase):
        return a.shape == b.shape and all(_structure(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, sympy.Interval) and isinstance(b, sympy.Interval):
        return (a.left_open, a.right_open) == (b.left_open, b.right_open) and \
            _leaf(a.start, b.start, tol) and _leaf(a.end, b.end, tol)
    if isinstance(a, sympy.Tuple) and isinstance(b, sympy.Tuple):
        return len(a) == len(b) and all(_structure(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr):
        return _leaf(a, b, tol)
    return False


def within_tolerance(gt: str, pred: str, numeric_tolerance: float) -> bool:
    """Is one side a decimal approximation of the exact other side (module docstring)?"""
    import sympy

    from nemo_skills_lite.evaluation.math_grader import parse_answer
    for approx, exact in ((pred, gt), (gt, pred)):
        m = _DECIMAL_RE.fullmatch(approx.strip())
        if m is None:
            continue
        x = next((i for i in parse_answer(exact) if _exact_number(i)), None)
        if x is not None and _close(sympy.Rational(approx.strip()), x, len(m.group(1)), numeric_tolerance):
            return True
    structures = (sympy.MatrixBase, sympy.Interval, sympy.Tuple)
    a = next((i for i in parse_answer(pred) if isinstance(i, structures)), None)
    b = next((i for i in parse_answer(gt) if isinstance(i, structures)), None)
    return a is not None and b is not None and _structure(a, b, numeric_tolerance)
