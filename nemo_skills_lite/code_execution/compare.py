"""Output comparison for stdin/stdout tests (pure functions), following the judges' own rules.

Each comparator takes (program output, expected output, options) and returns ``(ok, note)``; the
note says where the outputs first differ. The rules and their sources (docs/sandbox.md has the table):

- ``tokens`` (default): Codeforces/testlib ``wcmp`` — the outputs are equal sequences of
  whitespace-separated tokens (spaces, tabs, newlines, blank lines and a trailing newline do not
  matter; case does). Options: ``float_tolerance`` (testlib ``rcmp6``/``doubleCompare``: two
  numeric tokens match when their absolute *or* relative error is at most the tolerance; integers
  written without a point or exponent must still be equal), ``case_sensitive`` (false = compare
  tokens lowercased, as ``yesno``/``caseicmp``-style checkers and CodeContests do).
- ``lines``: testlib ``lcmp`` — the same line by line (a line's tokens; trailing blank lines ignored).
- ``exact``: byte-exact after normalising line endings and trailing newlines (strict judges).
- ``float``: ``tokens`` with ``float_tolerance=1e-6`` (kept for rows written before the option).
- ``codecontests``: DeepMind CodeContests' ``OutputsMatch`` — tokens lowercased; equal sequences, or
  the same count with every pair equal as strings or, both numeric, within 1e-5 absolute.
- ``livecodebench``: LiveCodeBench's ``grade_stdio`` — output and expected stripped, split into
  lines, each line stripped; same number of lines; each line equal, or all its tokens decimals of
  equal value (``Decimal``: ``1.50`` == ``1.5``, no tolerance).
- ``apps``: APPS' ``testing_util`` (hendrycks/apps), which captures the output as lines: the
  same number of non-blank lines, each with the same whitespace-separated tokens, numbers within
  ``numpy.allclose``'s default tolerance (rtol 1e-5, atol 1e-8). APPS' last fallbacks — comparing
  each line's *set* of tokens, and the set of lines, numbers rounded to 3 digits — are left out on
  purpose: they accept wrong answers such as permuted or repeated tokens and lines.
- ``taco``: TACO's current ``testing_util`` (FlagOpen/TACO), which runs the program as a process
  and compares its whole stdout: equal after stripping leading/trailing whitespace, nothing else
  (its fallbacks meant for a list of lines get a string there, iterate over its characters and
  accept only wrong answers such as ``11`` for ``1``: left out).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Callable

# A number as judges read it (no '_' separators, no hex, no 'inf'/'nan' words).
_NUM = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")
_INT = re.compile(r"[+-]?\d+\Z")
COMPARATORS = ("tokens", "lines", "exact", "float", "codecontests", "livecodebench", "apps", "taco")
DEFAULT_COMPARATOR = "tokens"


@dataclass(frozen=True)
class CompareOptions:
    float_tolerance: float | None = None   # None = numbers compare as text (testlib wcmp)
    case_sensitive: bool = True


def _cut(s: str, n: int = 40) -> str:
    return s if len(s) <= n else s[:n] + "..."


def double_close(expected: float, found: float, eps: float) -> bool:
    """testlib's doubleCompare: absolute error <= eps, or found within eps relative to expected."""
    if math.isnan(expected) or math.isnan(found):
        return math.isnan(expected) and math.isnan(found)
    if math.isinf(expected) or math.isinf(found):
        return expected == found
    if abs(found - expected) <= eps + 1e-15:
        return True
    lo, hi = sorted((expected * (1 - eps), expected * (1 + eps)))
    return lo - 1e-15 <= found <= hi + 1e-15


def _token_eq(found: str, expected: str, opts: CompareOptions) -> bool:
    if found == expected:
        return True
    if not opts.case_sensitive and found.lower() == expected.lower():
        return True
    if opts.float_tolerance is None or not (_NUM.match(found) and _NUM.match(expected)):
        return False
    if _INT.match(found) and _INT.match(expected):
        return int(found) == int(expected)
    return double_close(float(expected), float(found), opts.float_tolerance)


def _seq(found: list[str], expected: list[str], opts: CompareOptions, what: str = "token") -> tuple[bool, str]:
    for i, (a, b) in enumerate(zip(found, expected)):
        if not _token_eq(a, b, opts):
            return False, f"{what} {i + 1} differs: expected '{_cut(b)}', found '{_cut(a)}'"
    if len(found) != len(expected):
        more = "extra tokens in the output" if len(found) > len(expected) else "output ends early"
        return False, f"{more} ({len(found)} {what}s, expected {len(expected)})"
    return True, ""


def tokens(out: str, expected: str, opts: CompareOptions = CompareOptions()) -> tuple[bool, str]:
    return _seq(out.split(), expected.split(), opts)


def lines(out: str, expected: str, opts: CompareOptions = CompareOptions()) -> tuple[bool, str]:
    a = out.replace("\r\n", "\n").rstrip().split("\n")
    b = expected.replace("\r\n", "\n").rstrip().split("\n")
    for i, (x, y) in enumerate(zip(a, b)):
        ok, note = _seq(x.split(), y.split(), opts)
        if not ok:
            return False, f"line {i + 1}: {note}"
    if len(a) != len(b):
        return False, f"{len(a)} lines, expected {len(b)}"
    return True, ""


def exact(out: str, expected: str, opts: CompareOptions = CompareOptions()) -> tuple[bool, str]:
    def norm(s: str) -> str:
        return s.replace("\r\n", "\n").rstrip("\n")
    return (True, "") if norm(out) == norm(expected) else (False, "output differs (exact comparison)")


def float_tokens(out: str, expected: str, opts: CompareOptions = CompareOptions()) -> tuple[bool, str]:
    tol = opts.float_tolerance if opts.float_tolerance is not None else 1e-6
    return tokens(out, expected, CompareOptions(tol, opts.case_sensitive))


def codecontests(out: str, expected: str, opts: CompareOptions = CompareOptions()) -> tuple[bool, str]:
    a, b = out.lower().split(), expected.lower().split()
    if a == b:
        return True, ""
    if len(a) != len(b):
        return False, f"{len(a)} tokens, expected {len(b)}"
    for i, (x, y) in enumerate(zip(a, b)):
        if x == y:
            continue
        if _NUM.match(x) and _NUM.match(y):
            if _INT.match(x) and _INT.match(y):  # exact (CodeContests compares doubles: 2**53+1 == 2**53)
                if int(x) == int(y):
                    continue
            elif abs(float(x) - float(y)) < 1e-5:
                continue
        return False, f"token {i + 1} differs: expected '{_cut(y)}', found '{_cut(x)}'"
    return True, ""


def _decimals(line: str) -> list[Decimal] | None:
    try:
        return [Decimal(t) for t in line.split()]
    except (InvalidOperation, ValueError):
        return None


def livecodebench(out: str, expected: str, opts: CompareOptions = CompareOptions()) -> tuple[bool, str]:
    a = [ln.strip() for ln in out.strip().split("\n")]
    b = [ln.strip() for ln in expected.strip().split("\n")]
    if len(a) != len(b):
        return False, f"{len(a)} lines, expected {len(b)}"
    for i, (x, y) in enumerate(zip(a, b)):
        if x == y:
            continue
        dx, dy = _decimals(x), _decimals(y)
        if dx is None or dy is None or dx != dy:
            return False, f"line {i + 1} differs: expected '{_cut(y)}', found '{_cut(x)}'"
    return True, ""


def _apps_token(x: str, y: str) -> bool:
    return x == y or bool(_NUM.match(x) and _NUM.match(y) and abs(float(x) - float(y)) <= 1e-8 + 1e-5 * abs(float(y)))


def apps(out: str, expected: str, opts: CompareOptions = CompareOptions()) -> tuple[bool, str]:
    a = [ln.split() for ln in out.splitlines() if ln.strip()]
    b = [ln.split() for ln in expected.split("\n") if ln.strip()]
    if len(a) != len(b):
        return False, f"{len(a)} lines, expected {len(b)}"
    for i, (x, y) in enumerate(zip(a, b)):
        if len(x) != len(y) or not all(_apps_token(u, v) for u, v in zip(x, y)):
            return False, f"line {i + 1} differs: expected '{_cut(' '.join(y))}', found '{_cut(' '.join(x))}'"
    return True, ""


def taco(out: str, expected: str, opts: CompareOptions = CompareOptions()) -> tuple[bool, str]:
    out = out.replace("\r\n", "\n")  # TACO reads stdout in text mode
    if out.strip() == expected.strip():
        return True, ""
    a, b = out.strip().split("\n"), expected.strip().split("\n")
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return False, f"line {i + 1} differs: expected '{_cut(y)}', found '{_cut(x)}'"
    return False, f"{len(a)} lines, expected {len(b)}"


Comparator = Callable[[str, str, CompareOptions], tuple[bool, str]]
_TABLE: dict[str, Comparator] = {"tokens": tokens, "lines": lines, "exact": exact, "float": float_tokens,
                                 "codecontests": codecontests, "livecodebench": livecodebench, "apps": apps,
                                 "taco": taco}


def get_comparator(name: str | None) -> Comparator:
    """The comparator called ``name`` (None = default); ValueError names the valid ones."""
    key = name or DEFAULT_COMPARATOR
    if key not in _TABLE:
        raise ValueError(f"comparator '{name}' is not valid; use one of: {', '.join(COMPARATORS)}")
    return _TABLE[key]


def compare(out: str, expected: str, name: str | None = None, opts: CompareOptions = CompareOptions()) -> tuple[bool, str]:
    return get_comparator(name)(out, expected, opts)
