"""Call-based (LeetCode-style, ``fn_name``) TACO/APPS problems as sandbox assert rows.

TACO and APPS test such a problem by calling the solution's function, or ``Solution().<fn_name>`` when the
code defines ``class Solution``, with ``inputs[i]`` as the argument list, and comparing the return value with
``outputs[i]``: a tuple counts as a list, and an expected value that is a one-element list also accepts its
element (most rows wrap the answer: ``"outputs": [[20]]``). JSON turns integer dict keys into strings, so a
dict argument or expected dict also counts with integer keys. Two deliberate differences: APPS accepts
``expected[0]`` for an expected list of any length (which lets ``0`` pass for ``[0, 1]``), here only for a
one-element list; and tuples become lists at every depth, not only the top two levels.

``call_rows`` builds ``{"fn_name", "test": [assert, ...], "test_setup_code", "code_prefix"}`` (the MBPP row
shape plus ``CODE_PREFIX``: the standard-library imports TACO/APPS put before every call-based solution, so
a solution that copies ``List[int]`` from the starter code runs as it does there; the shape that
nemo_skills_lite.code_execution runs: the solution, then the setup + one assert, in one fresh process). The
setup is the source of ``_ocr_int_keys``, ``_ocr_lists`` and ``_ocr_call_ok`` below; they run in the
solution's namespace, so ``globals()`` is where the solution's function or class is found.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

from nemo_skills_lite.utils.errors import NslError

# What a LeetCode-style solution may use without importing it (typing names in the starter code, the usual
# containers and math helpers), run before the solution in its module.
CODE_PREFIX = "\n".join([
    "import bisect, collections, copy, functools, heapq, itertools, math, operator, random, re, string, sys",
    "from bisect import *", "from collections import *", "from functools import *", "from heapq import *",
    "from itertools import *", "from math import *", "from typing import *",
])


def _ocr_int_keys(d):
    try:
        return {int(k): v for k, v in d.items()}
    except (TypeError, ValueError):
        return d


def _ocr_lists(x):
    if isinstance(x, (list, tuple)):
        return [_ocr_lists(v) for v in x]
    if isinstance(x, dict):
        return {k: _ocr_lists(v) for k, v in x.items()}
    return x


def _ocr_call_ok(fn_name, args_json, expected_json):
    import json

    sol = globals().get("Solution")
    if isinstance(sol, type) and hasattr(sol, fn_name):
        fn = getattr(sol(), fn_name)
    elif callable(globals().get(fn_name)):
        fn = globals()[fn_name]
    else:
        raise NameError(f"the solution defines neither {fn_name}() nor class Solution with a method {fn_name}")
    args, expected = json.loads(args_json), json.loads(expected_json)
    args = args if isinstance(args, list) else [args]
    if args and isinstance(args[0], dict):
        args[0] = _ocr_int_keys(args[0])
    got = _ocr_lists(fn(*args))
    accepted = [expected]
    if isinstance(expected, list) and len(expected) == 1:
        accepted.append(expected[0])
    accepted += [_ocr_int_keys(e) for e in list(accepted) if isinstance(e, dict)]
    return any(got == e for e in accepted)


SETUP_CODE = "\n\n".join(inspect.getsource(f) for f in (_ocr_int_keys, _ocr_lists, _ocr_call_ok))


def call_rows(io: dict[str, Any], where: str) -> dict[str, Any] | None:
    """``{fn_name, test, test_setup_code}`` for an ``input_output`` dict with ``fn_name``; None without tests."""
    fn = io.get("fn_name")
    if not isinstance(fn, str) or not fn.isidentifier():
        raise NslError(f"{where}: 'input_output' fn_name must be a Python identifier, got {fn!r}")
    tests = [f"assert _ocr_call_ok({fn!r}, {json.dumps(i)!r}, {json.dumps(o)!r})"
             for i, o in zip(io.get("inputs") or [], io.get("outputs") or [])]
    return {"fn_name": fn, "test": tests, "test_setup_code": SETUP_CODE, "code_prefix": CODE_PREFIX} if tests else None
