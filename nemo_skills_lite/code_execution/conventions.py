"""Harness conventions: how each source's official judge runs and compares, as row rewrites (pure).

A row may name its source's convention (row key ``convention``); ``apply_convention`` rewrites it into
the plain row shapes of rows.py (stdin/stdout tests with a comparator, asserts, pytest), so the
runner needs nothing per source. What each one reads and does (docs/sandbox.md has the table):

- ``codeforces``: stdin ``tests`` — or open-r1/codeforces rows as they come: ``official_tests``, else
  ``examples``, and ``generated_checker`` (a testlib C++ checker) as the ``checker``; testlib ``wcmp``
  tokens (the default) where there is no checker. ``time_limit`` (seconds) is the row's limit as usual;
  ``memory_limit`` (the judge's MB of used memory) is not the sandbox's address-space limit and is not
  applied; ``input_mode`` other than ``stdio`` (file I/O) is an error.
- ``codecontests``: stdin ``tests`` or ``public_tests``/``private_tests``/``generated_tests``
  (``{"input": [...], "output": [...]}``); CodeContests' own comparison (compare.codecontests). The
  dataset's ``time_limit`` (``{"seconds", "nanos"}``, set for C++) raises the row's limit when it is
  above the stdin default (2 s), never lowers it; ``memory_limit_bytes`` is not applied.
- ``apps`` / ``taco``: ``input_output`` (JSON text or object: ``inputs``, ``outputs``, ``fn_name``?)
  or ``tests``. Stdin problems: the APPS/TACO import prelude before the code (``stdin``/``stdout``
  bound to ``sys.stdin``/``sys.stdout`` as both do), a module-level ``return`` ends the program
  (APPS wraps the code in a function; TACO does when the plain program fails to run on every
  test), comparison compare.apps / compare.taco (APPS compares captured lines, TACO the stripped
  stdout). Both: 4 s per test unless the row sets ``time_limit`` (their alarm is 4 s of wall time).
  Call-based (``fn_name``): ``Solution().fn`` or ``fn`` called with ``inputs[i]``, result compared
  with ``outputs[i]`` as APPS does (tuples count as lists, an expected one-element list also accepts
  its element, JSON's string dict keys also match integer keys).
- ``livecodebench``: ``tests`` as LiveCodeBench's ``[{"input", "output", "testtype"}]``; stdin: the
  LiveCodeBench import prelude, a module-level ``return`` ends the program, comparison
  compare.livecodebench; functional (``fn_name`` or ``metadata.func_name``): each input line is one
  JSON argument, the result (a tuple counts as a list) must ``==`` the JSON expected output. The
  row's ``time_limit`` defaults to LiveCodeBench's 6 s per test.
- ``humaneval`` / ``mbpp``: the assert rows of rows.py (``test`` + ``entry_point`` /
  ``test``-list + ``test_setup_code``).
- ``evalplus``: ``entry_point``, ``inputs`` (list of argument lists), ``expected`` (outputs) or
  ``reference_code`` (run to compute them, as EvalPlus does), ``atol``? (default 0),
  ``evalplus_dataset``? (``mbpp`` / ``humaneval``; default from a ``task_id`` like ``Mbpp/2`` or
  ``HumanEval/32``, else none), ``ref_time``? (EvalPlus' per-input reference times): EvalPlus'
  comparison with its float tolerance, its per-input time limits and, for that dataset, its special
  oracles keyed by function name (call_checks.py). The row's ``time_limit`` defaults to 120 s of
  CPU for the whole check (EvalPlus caps a task at 60 s, and the reference runs here too).
- ``kodcode``: ``test_code`` run by pytest (rows.py) after ``from solution import *``, as KodCode's judge
  writes ``test_solution.py`` (its dataset's ``test`` field imports only the function under test; helpers
  of the solution the tests use come from that line).

Any other ``convention`` value is a ``ConventionError`` naming the valid ones.
"""

from __future__ import annotations

import ast
import inspect
import json
from typing import Any

from nemo_skills_lite.code_execution.call_checks import _nsl_apps_ok, _nsl_evalplus_check, _nsl_lcb_ok
from nemo_skills_lite.code_execution.limits import DEFAULT_TIME_LIMIT

CONVENTIONS = ("codeforces", "codecontests", "apps", "taco", "livecodebench", "humaneval", "mbpp",
               "evalplus", "kodcode")


class ConventionError(ValueError):
    """The row does not fit its convention (message names the key and what is valid)."""


# Names the official harnesses make available before a solution runs.
APPS_PRELUDE = "\n".join([
    "import sys, time, itertools, collections, math, fractions, random, heapq",
    "from itertools import accumulate, product, permutations, combinations",
    "from collections import Counter, OrderedDict, deque, defaultdict, ChainMap",
    "from functools import lru_cache",
    "from math import sqrt, sin, cos, tan, ceil, fabs, floor, gcd, exp, log, log2",
    "from typing import List, Tuple", "from heapq import *",
    "try:\n    import numpy as np\nexcept ImportError:\n    pass",
    "stdin = sys.stdin\nstdout = sys.stdout",
])
LCB_MODULES = ("string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random",
               "statistics", "itertools", "functools", "operator", "io", "sys", "json")
LCB_TIME_LIMIT = 6.0  # LiveCodeBench's check_correctness: timeout=6 s per test (signal.alarm)
LCB_PRELUDE = "\n".join([f"from {m} import *" for m in LCB_MODULES] + ["from builtins import *", "from typing import *"]
                        + [f"import {m}" for m in LCB_MODULES] + ["sys.setrecursionlimit(50000)"])


# ---- module-level `return` (APPS/TACO and LiveCodeBench run stdin programs inside a function) ----

def _top_level_return(tree: ast.Module) -> bool:
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def _bound_names(body: list[ast.stmt]) -> set[str]:
    names: set[str] = set()
    for stmt in body:
        for node in ast.walk(ast.Module(body=[stmt], type_ignores=[])):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                names.add(node.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
            elif isinstance(node, ast.ExceptHandler) and node.name:
                names.add(node.name)
    return names


def wrap_module_return(code: str) -> str:
    """Code with a module-level ``return`` -> the same program inside a function, so the ``return``
    ends it (as in APPS/TACO/LiveCodeBench); every top-level name is declared ``global`` so functions
    of the program still see them. Code without one, or that does not parse, is returned unchanged."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return code
    if not _top_level_return(tree):
        return code
    star = [s for s in tree.body if isinstance(s, ast.ImportFrom) and any(a.name == "*" for a in s.names)]
    body = [s for s in tree.body if s not in star]
    names = sorted(_bound_names(body))
    fn_body: list[ast.stmt] = ([ast.Global(names=names)] if names else []) + (body or [ast.Pass()])
    fn = ast.FunctionDef(name="_nsl_program", args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[],
                         kw_defaults=[], defaults=[]), body=fn_body, decorator_list=[], returns=None,
                         type_params=[])
    call = ast.Expr(ast.Call(ast.Name("_nsl_program", ast.Load()), [], []))
    return ast.unparse(ast.fix_missing_locations(ast.Module(body=[*star, fn, call], type_ignores=[])))


APPS_SETUP = inspect.getsource(_nsl_apps_ok)
LCB_SETUP = inspect.getsource(_nsl_lcb_ok)
EVALPLUS_SETUP = inspect.getsource(_nsl_evalplus_check)
EVALPLUS_TIME_LIMIT = 120.0  # CPU s for a whole evalplus check: EvalPlus caps a task at 60 s, plus the reference


# ---- the conventions ----

def _need(row: dict, key: str, what: str) -> Any:
    if key not in row:
        raise ConventionError(f"convention '{row.get('convention')}' needs key '{key}' ({what})")
    return row[key]


def _io(row: dict) -> dict:
    io = row.get("input_output")
    if io is None:
        return {}
    if isinstance(io, str):
        try:
            io = json.loads(io)
        except json.JSONDecodeError as e:
            raise ConventionError(f"key 'input_output' is not valid JSON: {e}") from None
    if not isinstance(io, dict) or not isinstance(io.get("inputs"), list) or not isinstance(io.get("outputs"), list):
        raise ConventionError("key 'input_output' must be JSON {\"inputs\": [...], \"outputs\": [...], \"fn_name\"?}")
    return io


def _as_text(x: Any) -> str:
    return "\n".join(map(str, x)) if isinstance(x, list) else str(x)


APPS_TIME_LIMIT = 4.0  # APPS/TACO: `timeout = 4` s per test (a wall-clock alarm there, CPU time here)


def _apps(row: dict) -> dict:
    io = _io(row)
    fn = row.get("fn_name") or io.get("fn_name")
    out = {k: v for k, v in row.items() if k not in ("input_output", "fn_name")}
    out.setdefault("time_limit", APPS_TIME_LIMIT)
    if fn:
        if not isinstance(fn, str) or not fn.isidentifier():
            raise ConventionError(f"key 'fn_name' must be a Python identifier, got {fn!r}")
        if not io:
            raise ConventionError("a call-based APPS/TACO row needs 'input_output' with inputs/outputs")
        out.pop("tests", None)
        out["test"] = [f"assert _nsl_apps_ok({fn!r}, {json.dumps(i)!r}, {json.dumps(o)!r})"
                       for i, o in zip(io["inputs"], io["outputs"])]
        out["test_setup_code"] = APPS_SETUP
        out["code_prefix"] = APPS_PRELUDE
        return out
    if io:
        out["tests"] = [{"input": _as_text(i), "output": _as_text(o)} for i, o in zip(io["inputs"], io["outputs"])]
    _need(out, "tests", "stdin/stdout pairs, or 'input_output'")
    out["code_prefix"] = APPS_PRELUDE
    if isinstance(row.get("code"), str):  # rows with a 'generation' get their code later
        out["code"] = wrap_module_return(row["code"])
    out.setdefault("comparator", "taco" if row.get("convention") == "taco" else "apps")
    return out


def _livecodebench(row: dict) -> dict:
    tests = _need(row, "tests", "LiveCodeBench test cases [{input, output, testtype}]")
    meta = row.get("metadata") or {}
    if isinstance(meta, str):
        meta = json.loads(meta or "{}")
    fn = row.get("fn_name") or meta.get("func_name")
    functional = isinstance(tests, list) and tests and isinstance(tests[0], dict) and tests[0].get("testtype") == "functional"
    out = {k: v for k, v in row.items() if k not in ("fn_name",)}
    if functional:
        if not fn:
            raise ConventionError("LiveCodeBench functional tests need 'fn_name' (or metadata.func_name)")
        out.pop("tests")
        out["test"] = [f"assert _nsl_lcb_ok({fn!r}, {t['input']!r}, {t['output']!r})" for t in tests]
        out["test_setup_code"] = LCB_SETUP
        out["code_prefix"] = LCB_PRELUDE
        out.setdefault("time_limit", LCB_TIME_LIMIT)
        return out
    if isinstance(tests, list):
        out["tests"] = [{"input": t.get("input"), "output": t.get("output")} if isinstance(t, dict) else t for t in tests]
    out["code_prefix"] = LCB_PRELUDE
    if isinstance(row.get("code"), str):
        out["code"] = wrap_module_return(row["code"])
    out.setdefault("comparator", "livecodebench")
    out.setdefault("time_limit", LCB_TIME_LIMIT)
    return out


def _codecontests(row: dict) -> dict:
    out = dict(row)
    if "tests" not in out:
        pairs = [p for key in ("public_tests", "private_tests", "generated_tests")
                 for p in zip((row.get(key) or {}).get("input", []), (row.get(key) or {}).get("output", []))]
        if not pairs:
            raise ConventionError("convention 'codecontests' needs 'tests' or public_tests/private_tests/generated_tests")
        out["tests"] = [{"input": i, "output": o} for i, o in pairs]
    for key in ("public_tests", "private_tests", "generated_tests"):
        out.pop(key, None)
    limit = row.get("time_limit")
    if isinstance(limit, dict):  # deepmind/code_contests: {"seconds", "nanos"}, calibrated for C++
        seconds = float(limit.get("seconds") or 0) + float(limit.get("nanos") or 0) / 1e9
        out.pop("time_limit")
        if seconds > DEFAULT_TIME_LIMIT["stdin"]:  # it only ever raises the Python default
            out["time_limit"] = seconds
    out.setdefault("comparator", "codecontests")
    return out


def _evalplus(row: dict) -> dict:
    entry = _need(row, "entry_point", "the function to call")
    inputs = _need(row, "inputs", "a list of argument lists")
    if not isinstance(entry, str) or not entry.isidentifier():
        raise ConventionError(f"key 'entry_point' must be a Python identifier, got {entry!r}")
    if not isinstance(inputs, list) or not all(isinstance(a, list) for a in inputs):
        raise ConventionError("key 'inputs' must be a list of argument lists")
    ref, expected = row.get("reference_code"), row.get("expected")
    if (ref is None) == (expected is None):
        raise ConventionError("convention 'evalplus' needs exactly one of 'expected' (outputs) or 'reference_code'")
    if expected is not None and (not isinstance(expected, list) or len(expected) != len(inputs)):
        raise ConventionError("key 'expected' must be a list with one output per input")
    atol = row.get("atol", 0)
    if isinstance(atol, bool) or not isinstance(atol, (int, float)) or atol < 0:
        raise ConventionError(f"key 'atol' must be a number >= 0, got {atol!r}")
    ref_time = row.get("ref_time")
    if ref_time is not None and (not isinstance(ref_time, list) or len(ref_time) != len(inputs)
                                 or not all(isinstance(t, (int, float)) and t >= 0 for t in ref_time)):
        raise ConventionError("key 'ref_time' must be a list of seconds >= 0, one per input")
    task = str(row.get("task_id", ""))
    dataset = row.get("evalplus_dataset", "mbpp" if task.startswith("Mbpp/") else
                      "humaneval" if task.startswith("HumanEval/") else None)
    if dataset not in (None, "mbpp", "humaneval"):
        raise ConventionError(f"key 'evalplus_dataset' must be 'mbpp' or 'humaneval', got {dataset!r}")
    # entry_point goes into the test call only (a row's entry_point + "def check" means HumanEval's check())
    out = {k: v for k, v in row.items()
           if k not in ("inputs", "expected", "reference_code", "atol", "entry_point", "evalplus_dataset", "ref_time")}
    out["test"] = (f"_nsl_evalplus_check({entry!r}, {json.dumps(inputs)!r}, {json.dumps(expected)!r}, "
                   f"{ref!r}, {float(atol)!r}, {dataset!r}, {ref_time!r})")
    out.setdefault("time_limit", EVALPLUS_TIME_LIMIT)
    out["test_setup_code"] = EVALPLUS_SETUP
    return out


KODCODE_PREFIX = "from solution import *\n\n"  # KodCode step2.2_gen_unit_tests.py: this + the tests


def _kodcode(row: dict) -> dict:
    tests = _need(row, "test_code", "the pytest tests")
    return {**row, "test_code": KODCODE_PREFIX + tests} if isinstance(tests, str) else row  # else rows.py says why


def _unchanged(key: str):
    def apply(row: dict) -> dict:
        _need(row, key, "the tests")
        return row
    return apply


def _codeforces(row: dict) -> dict:
    if row.get("input_mode") not in (None, "stdio"):
        raise ConventionError(f"input_mode {row['input_mode']!r}: only stdin/stdout problems ('stdio') can be run")
    out = dict(row)
    if "tests" not in row:
        pairs = row.get("official_tests") or row.get("examples") or []
        if not pairs:
            raise ConventionError("convention 'codeforces' needs 'tests', 'official_tests' or 'examples'")
        out["tests"] = [{"input": t["input"], "output": t["output"]} for t in pairs]
    if row.get("checker") is None and row.get("generated_checker"):
        out["checker"] = {"language": "cpp", "source": row["generated_checker"], "style": "testlib"}
    return out


_APPLY = {"codeforces": _codeforces, "codecontests": _codecontests, "apps": _apps, "taco": _apps,
          "livecodebench": _livecodebench, "humaneval": _unchanged("test"), "mbpp": _unchanged("test"),
          "evalplus": _evalplus, "kodcode": _kodcode}


def apply_convention(row: dict) -> dict:
    """The row rewritten to a plain shape (rows.py); rows without ``convention`` are unchanged."""
    conv = row.get("convention")
    if conv is None:
        return row
    if conv not in _APPLY:
        raise ConventionError(f"convention '{conv}' is not valid; use one of: {', '.join(CONVENTIONS)}")
    return _APPLY[conv](row)
