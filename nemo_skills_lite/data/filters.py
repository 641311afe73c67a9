"""Row filters with NeMo-Skills' names and meanings (training/data_preparation_utils/filters.py).

Each filter is a small function ``f(row) -> str | None``: it may edit the row in place and returns
the drop reason, or None to keep the row. Factories bind options (keys, limits, tokenizer) once.
Pure and per-row, so the chain can run in worker processes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable

from nemo_skills_lite.configs.prepare_data import CODE_TAGS, CODE_TEXT_FILTERS
from nemo_skills_lite.data import arithmetic
from nemo_skills_lite.data.arithmetic import arithmetic_errors, safe_eval  # noqa: F401 - re-exported
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


# --- arithmetic (data/arithmetic.py) ---------------------------------------------------------

def drop_incorrect_arithmetic(key: str, rel_tol: float = 1e-4) -> RowFilter:
    def f(row: dict[str, Any]) -> str | None:
        return "incorrect_arithmetic" if arithmetic_errors(_text(row, key), rel_tol) else None
    return f


def split_arithmetic(key: str) -> RowFilter:
    """NeMo-Skills' SplitArithmetic: '1 + 2 + 3 + 4 = 10' -> '1 + 2 + 3 + 4 = 3 + 3 + 4 = 6 + 4 = 10'."""
    def f(row: dict[str, Any]) -> str | None:
        text = _text(row, key)
        new = arithmetic.split_arithmetic(text)
        if new != text:
            row[key] = new
        return None
    return f


# --- tool-use (code execution) solutions ---------------------------------------------------

CODE_EXECUTIONS_KEY = "total_code_executions"
_REMAINING_RE = re.compile(r"Remaining code executions: (\d+).")
_OUT_OF_EXECUTIONS = "You have run out of code executions!"


def remove_no_code(key: str) -> RowFilter:
    """NeMo-Skills' remove_no_code: drop unless the solution has both <tool_call> and </tool_call>."""
    return drop_if_missing_all(key, ("<tool_call>", "</tool_call>"), "no_code")


def add_code_execution_counts(key: str) -> RowFilter:
    """NeMo-Skills' AddCodeExecutionsCounts: ``total_code_executions`` = the budget the solution was run with.

    The first 'Remaining code executions: N.' the sandbox printed means N + 1 were allowed; only
    'You have run out of code executions!' means 1; neither means 0."""
    def f(row: dict[str, Any]) -> str | None:
        text = _text(row, key)
        m = _REMAINING_RE.search(text)
        row[CODE_EXECUTIONS_KEY] = int(m.group(1)) + 1 if m else int(_OUT_OF_EXECUTIONS in text)
        return None
    return f


def code_begin_token(code_tags: str) -> str:
    """The code-block opening of NeMo-Skills' code tags (a name or a YAML file with ``code_begin``)."""
    if code_tags in CODE_TAGS:
        return CODE_TAGS[code_tags]
    path = Path(code_tags)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("code_begin"), str) and data["code_begin"]:
            return data["code_begin"]
        raise NslError(f"code_tags file {path} has no non-empty 'code_begin' string")
    raise NslError(f"code_tags '{code_tags}' is not valid; valid: {', '.join(CODE_TAGS)} "
                   "or a YAML file with a 'code_begin' key")


def code_text_keep(filter_type: str, n_code: int, n_total: int) -> tuple[bool, bool]:
    """NeMo-Skills' CodeTextFilter for one problem: (keep its code solutions, keep its text solutions)."""
    half = n_total // 2
    if filter_type == "all":
        return True, False
    if filter_type == "majority_code":
        return True, n_code <= half
    if filter_type == "majority_text":
        return n_code > half, n_code <= half
    if filter_type == "any_code":
        return True, n_code == 0
    raise NslError(f"filters.code_text_filter '{filter_type}' is not valid; "
                   f"valid: null, {', '.join(CODE_TEXT_FILTERS[1:])}")
