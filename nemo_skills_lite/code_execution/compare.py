"""Output comparators for stdin/stdout tests (pure functions).

- ``exact``: equal after normalising line endings and trailing newlines.
- ``tokens``: equal sequences of whitespace-separated tokens.
- ``float`` (default): tokens; two non-integer numbers match within ``rel_tol``/``abs_tol``
  (integers must match exactly, so 10**18 and 10**18+1 differ).
"""

from __future__ import annotations

import math
import re
from typing import Callable

_INT = re.compile(r"[+-]?\d+\Z")
COMPARATORS = ("exact", "tokens", "float")
DEFAULT_COMPARATOR = "float"


def exact(out: str, expected: str) -> bool:
    def norm(s: str) -> str:
        return s.replace("\r\n", "\n").rstrip("\n")
    return norm(out) == norm(expected)


def tokens(out: str, expected: str) -> bool:
    return out.split() == expected.split()


def _num(tok: str) -> float | None:
    try:
        val = float(tok)
    except ValueError:
        return None
    return None if math.isnan(val) else val


def float_tokens(out: str, expected: str, rel_tol: float = 1e-6, abs_tol: float = 1e-6) -> bool:
    a, b = out.split(), expected.split()
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x == y:
            continue
        if _INT.match(x) and _INT.match(y):
            return False
        fx, fy = _num(x), _num(y)
        if fx is None or fy is None or not math.isclose(fx, fy, rel_tol=rel_tol, abs_tol=abs_tol):
            return False
    return True


def get_comparator(name: str | None) -> Callable[[str, str], bool]:
    """The comparator called ``name`` (None = default); ValueError names the valid ones."""
    table = {"exact": exact, "tokens": tokens, "float": float_tokens}
    key = name or DEFAULT_COMPARATOR
    if key not in table:
        raise ValueError(f"comparator '{name}' is not valid; use one of: {', '.join(COMPARATORS)}")
    return table[key]
