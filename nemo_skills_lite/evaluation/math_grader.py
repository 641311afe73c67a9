"""Math equivalence (NeMo-Skills-compatible names), on math-verify.

``extract_answer(text, ...)`` (from ``answer_extraction``) returns the content of the last
``\\boxed{...}`` / ``\\fbox{...}`` by default, like NeMo-Skills; more paths behind switches there.

``math_equal(gt, pred)`` decides equivalence in cheap steps before the symbolic one:
  1. None prediction -> False; numbers are compared as strings first (``5`` vs ``5.0`` later).
  2. multiple-choice: a single letter A-J (also ``(B)``, ``\\textbf{B}``, ``\\text{B}``) on both sides.
  3. normalisation fixes for known false negatives: ``016`` vs ``16`` (leading zeros), ``10\\%`` /
     ``10 percent`` / ``10 pct`` vs ``10``, ``1,000.5`` / ``4\\,000`` vs ``1000.5`` / ``4000`` (thousands
     separators), ``30°`` vs ``30^\\circ``, ``0.\\overline{3}`` vs ``\\frac{1}{3}`` (repeating decimals),
     trailing ``.``/``\\``, ``\\$10``, ``\\text{ units}``; a decimal comma (``1,22``, ``0,111``,
     ``1000,99``: not a thousands grouping) is read as a decimal point when the other side is a decimal.
  4. literal answers (only words, or only digits) compare as normalised strings: ``odd`` != ``oddd``;
     words compare without case (``Yes`` = ``yes``), except one- and two-letter capitals (``AB`` != ``ab``).
  5. math-verify ``parse`` + ``verify`` under a per-pair wall-clock limit (``timeout`` seconds) so a
     pathological expression never hangs a batch; a timeout counts as not equal. Floats follow
     math-verify (and so NeMo-Skills): both sides rounded to 6 decimals, so ``0.909091`` = 10/11 but
     ``0.9091`` is not.
  6. only with ``numeric_tolerance`` (relative, e.g. 1e-4; None = off): a decimal literal on one side
     and an exact real number on the other are equal when ``|a - x| <= tol * |x|`` and
     ``|a - x| < 10**-d`` (d = decimals printed in a): ``0.9091`` = 10/11 at 1e-4, ``0.91`` is not;
     element by element inside tuples, intervals and matrices (``numeric_tolerance.py``).
     Inside the same time limit; ``status="tolerance"`` says this step decided.
A set and the relation that describes it are equal both ways (``[-2,7]`` = ``-2 \\le x \\le 7``):
math-verify's ``allow_set_relation_comp=True``; NeMo-Skills' default allows it only when the
prediction is the set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nemo_skills_lite.evaluation.answer_extraction import (  # noqa: F401 - re-exported
    EXTRACTION_PATHS, MCQ_LETTERS, extract_answer, extract_answer_path, last_braced as _last_braced)
from nemo_skills_lite.evaluation.numeric_tolerance import within_tolerance
from nemo_skills_lite.evaluation.timeout_guard import Guard, WorkerPool, guarded_call

DEFAULT_TIMEOUT = 10.0
MAX_INLINE_CHARS = 2000  # answers longer than this skip the unguarded regex normalisation


# ----------------------------------------------------------------------------- normalisation
_MCQ_RE = re.compile(
    r"^\s*(?:\\(?:text|textbf|mathrm|mathbf|mbox)\s*\{\s*)?\(?\s*([A-J])\s*\)?\s*\}?\s*[.:]?\s*$")
_PERCENT_RE = re.compile(r"^([+-]?\d+(?:\.\d*)?|[+-]?\.\d+)\s*(?:\\?%|\\text\{\s*%\s*\}|percent(?:age)?|pct)$")
_THOUSANDS_RE = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")
_DECIMAL_COMMA_RE = re.compile(r"[+-]?\d+,\d+")
_DECIMAL_RE = re.compile(r"[+-]?\d*\.\d+")
_INT_RE = re.compile(r"^([+-]?)0*(\d+)$")


def mcq_letter(answer: str) -> str | None:
    """'B', '(B)', '\\textbf{B}', '\\text{(B)}' -> 'B'; anything else -> None."""
    m = _MCQ_RE.match(answer)
    return m.group(1) if m else None


_REPEATING_RE = re.compile(r"([+-]?)(\d*)\.(\d*)\\overline\{(\d+)\}")


def _repeating(m: re.Match) -> str:
    """``0.1\\overline{6}`` -> ``\\frac{1}{6}``: I.N(R repeating) = I + (NR - N) / (10^|N| (10^|R| - 1))."""
    from fractions import Fraction
    sign, whole, head, rep = m.groups()
    value = int(whole or 0) + Fraction(int(head + rep) - int(head or 0), 10 ** len(head) * (10 ** len(rep) - 1))
    return f"{'-' if sign == '-' else ''}\\frac{{{value.numerator}}}{{{value.denominator}}}"


def normalize_answer(answer: str) -> str:
    """Surface fixes applied before any comparison (idempotent)."""
    s = answer.strip()
    s = re.sub(r"^\$+|\$+$", "", s).strip()
    idx, inner = _last_braced(s, "\\boxed")
    if idx == 0 and inner is not None and len(inner) + len("\\boxed{}") == len(s):
        s = inner.strip()
    s = s.rstrip(".").rstrip("\\").strip() if not s.endswith("\\\\") else s
    s = re.sub(r"^\\\$\s*", "", s)  # \$10 -> 10
    s = re.sub(r"(?<=\d)\\[,;:! ](?=\d{3}(?!\d))", "", s)  # 4\,000 -> 4000
    s = s.replace("°", "^\\circ")
    s = _REPEATING_RE.sub(_repeating, s) if "\\overline" in s else s
    m = _PERCENT_RE.match(s)
    if m:
        s = m.group(1)
    if _THOUSANDS_RE.fullmatch(s):
        s = s.replace(",", "")  # 1,000.5 -> 1000.5 (0,111 is no thousands grouping: see _decimal_comma)
    m = _INT_RE.match(s)
    if m:
        s = (m.group(1) if m.group(1) == "-" else "") + m.group(2)  # 016 -> 16, +5 -> 5
    if re.fullmatch(r"[+-]?\.\d+", s):
        s = s.replace(".", "0.", 1)  # .185 -> 0.185
    return s


def _decimal_comma(a: str, b: str) -> tuple[str, str]:
    """``1,22`` vs ``1.22``: a comma that is no thousands separator, against a decimal number, is a
    decimal comma (normalised strings in, strings out)."""
    for x, y in ((a, b), (b, a)):
        if _DECIMAL_COMMA_RE.fullmatch(x) and not _THOUSANDS_RE.fullmatch(x) and _DECIMAL_RE.fullmatch(y):
            x = x.replace(",", ".")
            return (x, y) if y is b else (y, x)
    return a, b


def _latex_normalize(s: str) -> str:
    from latex2sympy2_extended import NormalizationConfig, normalize_latex
    return normalize_latex(s, NormalizationConfig())


_LITERAL_RE = re.compile(r"[a-zA-Z ,]+|[0-9 ]+")
_WORDS_RE = re.compile(r"[a-zA-Z][a-zA-Z ,]*")


def _words_equal(a: str, b: str) -> bool:
    """Literal word answers without case (``Yes`` = ``yes``), but ``AB`` != ``ab`` (labels, products)."""
    ta, tb = re.split(r"[ ,]+", a.strip(" ,")), re.split(r"[ ,]+", b.strip(" ,"))
    return len(ta) == len(tb) and all(
        x == y or (x.lower() == y.lower() and not (len(x) <= 2 and (x.isupper() or y.isupper()))) for x, y in zip(ta, tb))
_LATEX_ENV_RE = re.compile(r"\$.*\$|\\\(.*\\\)|\\\[.*\\\]|\\boxed\{", re.DOTALL)


# ----------------------------------------------------------------------------- symbolic step
def _math_verify() -> Any:
    """Import math-verify once, silencing its 'timeout disabled' warning: we bound time ourselves."""
    import math_verify
    import math_verify.grader
    import math_verify.parser
    math_verify.grader.TIMEOUT_WARNING_SHOWN = True
    math_verify.parser.TIMEOUT_WARNING_SHOWN = True
    return math_verify


_PERCENT_STR_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*\\?%\s*$")


def _fix_percent(parsed: list) -> list:
    """latex2sympy2_extended 1.11 (required by math-verify 0.9) stopped parsing ``28\\%``; 1.10 gave
    28/100. Restore that for extractions left as plain strings (Math-Verify's own tests expect it)."""
    import sympy
    out = []
    for item in parsed:
        m = _PERCENT_STR_RE.match(item) if isinstance(item, str) else None
        out.append(sympy.Rational(m.group(1)) / 100 if m else item)
    return out


def warm_up() -> None:
    """Import math-verify and run one tiny comparison (done once per worker, outside any limit)."""
    symbolic_equal("1/2", "0.5")
    _latex_normalize("1")


def parse_answer(answer: str) -> list:
    """math-verify's parse of one answer ($-wrapped when bare), its own timeout off."""
    mv = _math_verify()
    if not _LATEX_ENV_RE.search(answer):
        answer = f"${answer}$"
    return _fix_percent(mv.parse(answer, [mv.LatexExtractionConfig()], parsing_timeout=None))


def symbolic_equal(gt: str, pred: str, numeric_precision: int = 15) -> bool:
    """math-verify parse + verify with its own (signal) timeouts off; callers bound the time."""
    return bool(_math_verify().verify(parse_answer(gt), parse_answer(pred), numeric_precision=numeric_precision,
                                      allow_set_relation_comp=True, timeout_seconds=None))


def symbolic_verdict(gt: str, pred: str, numeric_precision: int = 15,
                     numeric_tolerance: float | None = None) -> str:
    """"equal" (math-verify), "tolerance" (step 6) or "different"; callers bound the time."""
    if symbolic_equal(gt, pred, numeric_precision):
        return "equal"
    if numeric_tolerance is not None and within_tolerance(gt, pred, numeric_tolerance):
        return "tolerance"
    return "different"


def mv_compare(gold: str, pred: str, match_types: tuple[str, ...] = ("latex", "expr"),
               precision: int = 6, strict: bool = True, allow_set_relation_comp: bool = False) -> bool:
    """Plain math-verify on raw strings with explicit extraction configs (Math-Verify's own test
    harness semantics); used for its peer table and as the benchmark baseline."""
    mv = _math_verify()
    parse, verify = mv.parse, mv.verify
    configs = {"latex": mv.LatexExtractionConfig(boxed_match_priority=0), "expr": mv.ExprExtractionConfig()}
    cfgs = [configs[t] for t in match_types]
    g = _fix_percent(parse(gold, cfgs, parsing_timeout=None))
    p = _fix_percent(parse(pred, cfgs, parsing_timeout=None))
    return bool(verify(g, p, float_rounding=precision, strict=strict,
                       allow_set_relation_comp=allow_set_relation_comp, timeout_seconds=None))


# ----------------------------------------------------------------------------- public API
@dataclass(frozen=True)
class Verdict:
    equal: bool
    status: str  # "empty" | "mcq" | "literal" | "normalized" | "symbolic" | "tolerance" | "timeout" | "error"
    detail: str = ""


def judge(gt: Any, pred: Any, *, timeout: float | None = DEFAULT_TIMEOUT, take_modulo: int | None = None,
          numeric_precision: int = 15, numeric_tolerance: float | None = None, guard: Guard = "auto",
          pool: WorkerPool | None = None) -> Verdict:
    """Like :func:`math_equal` but says which step decided (and whether the limit was hit)."""
    if pred is None or gt is None:
        return Verdict(False, "empty")
    gt_s, pred_s = str(gt).strip(), str(pred).strip()
    if not pred_s:
        return Verdict(False, "empty")
    if take_modulo is not None:
        try:
            return Verdict(int(gt_s) % take_modulo == int(normalize_answer(pred_s)) % take_modulo, "literal")
        except ValueError:
            return Verdict(False, "literal")
    if gt_s == pred_s:
        return Verdict(True, "literal")
    gt_letter = mcq_letter(gt_s)
    if gt_letter is not None:
        pred_letter = mcq_letter(pred_s)
        if pred_letter is not None:
            return Verdict(gt_letter == pred_letter, "mcq")
    gt_n, pred_n = _decimal_comma(normalize_answer(gt_s), normalize_answer(pred_s))
    if gt_n == pred_n:
        return Verdict(True, "normalized")
    if max(len(gt_n), len(pred_n)) <= MAX_INLINE_CHARS:  # longer input goes straight to the guarded step
        lat_gt, lat_pred = _latex_normalize(gt_n), _latex_normalize(pred_n)
        same = lat_gt.replace(" ", "") == lat_pred.replace(" ", "")
        if same or (_LITERAL_RE.fullmatch(lat_gt) and _LITERAL_RE.fullmatch(lat_pred)):
            if not same and _WORDS_RE.fullmatch(lat_gt) and _WORDS_RE.fullmatch(lat_pred):
                same = _words_equal(lat_gt, lat_pred)
            return Verdict(same, "literal")
    status, value = guarded_call(symbolic_verdict, (gt_n, pred_n, numeric_precision, numeric_tolerance),
                                 timeout=timeout, guard=guard, pool=pool)
    if status == "ok":
        return Verdict(value != "different", "tolerance" if value == "tolerance" else "symbolic")
    return Verdict(False, status, str(value or ""))


def math_equal(gt_answer: Any, predicted_answer: Any, *, timeout: float | None = DEFAULT_TIMEOUT,
               take_modulo: int | None = None, numeric_precision: int = 15,
               numeric_tolerance: float | None = None, guard: Guard = "auto",
               pool: WorkerPool | None = None) -> bool:
    """True if the prediction is mathematically equal to the reference (see module docstring).

    ``timeout`` bounds the whole pair in seconds (None: no limit). ``guard`` picks how: "auto" /
    "process" (worker processes; any thread), "signal" (main thread only, no C-level bound) or
    "none"."""
    return judge(gt_answer, predicted_answer, timeout=timeout, take_modulo=take_modulo,
                 numeric_precision=numeric_precision, numeric_tolerance=numeric_tolerance,
                 guard=guard, pool=pool).equal
