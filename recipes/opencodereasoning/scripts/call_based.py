"""Call-based (LeetCode-style, ``fn_name``) TACO/APPS problems as sandbox assert rows.

The rows are the ``taco`` harness convention's rewrite (nemo_skills_lite.code_execution.conventions, checked
against TACO's and APPS' own testing_util: docs/sandbox.md), stored in the problem file so the verify stage
runs them as they are: the solution's function, or ``Solution().<fn_name>``, called with ``inputs[i]``, the
result compared with ``outputs[i]`` (a tuple counts as a list, a one-element expected list also accepts its
element, JSON's string dict keys also match integer keys), after the import prelude the harnesses put before
every solution, 4 s per test.

``call_rows`` gives ``{"fn_name", "test": [assert, ...], "test_setup_code", "code_prefix", "time_limit"}``.
"""

from __future__ import annotations

from typing import Any

from nemo_skills_lite.code_execution.conventions import ConventionError, apply_convention
from nemo_skills_lite.utils.errors import NslError

KEYS = ("test", "test_setup_code", "code_prefix", "time_limit")


def call_rows(io: dict[str, Any], where: str) -> dict[str, Any] | None:
    """The assert rows for an ``input_output`` dict with ``fn_name``; None without tests."""
    fn = io.get("fn_name")
    if not isinstance(fn, str) or not fn.isidentifier():
        raise NslError(f"{where}: 'input_output' fn_name must be a Python identifier, got {fn!r}")
    if not (io.get("inputs") and io.get("outputs")):
        return None
    try:
        row = apply_convention({"convention": "taco", "input_output": io})
    except ConventionError as e:
        raise NslError(f"{where}: 'input_output': {e}") from None
    return {"fn_name": fn, **{k: row[k] for k in KEYS}}
