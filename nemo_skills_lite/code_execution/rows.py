"""Input rows -> validated jobs (pure). Three row shapes are accepted:

- stdin/stdout: ``{"code", "language"?: "python"|"cpp", "tests": [{"input", "output"}, ...],
  "time_limit"?, "memory_limit_mb"?, "comparator"?: "exact"|"tokens"|"float"}``
  (``tests`` may also be CodeContests' ``{"inputs": [...], "outputs": [...]}``)
- asserts (HumanEval/MBPP): ``{"code", "test": str | [str, ...], "entry_point"?, "test_setup_code"?}``;
  a string is one test (HumanEval's ``check`` is called with ``entry_point``), a list is one
  test per assert (MBPP's ``test_list``).
- pytest (KodCode): ``{"code", "test_code"}``; the file imports from ``solution``.

Stdin rows may carry ``checker`` (checkers.py: a program that judges each output instead of the
comparator), ``float_tolerance`` (numbers within this absolute or relative error match; off by
default) and ``case_sensitive`` (default true); any row may carry ``convention`` (conventions.py:
how its source's official harness runs and compares, applied before anything else).

Any Python row may carry ``code_prefix``: source run before the code, in the same module (e.g. the
standard imports TACO/APPS put before every call-based solution, so ``List[int]`` annotations work).

A malformed row raises ``RowError`` naming the key and what is valid; the caller turns it into
an ``error`` verdict for that row only. A row whose *dataset* part is wrong — an unknown
``convention``, a malformed ``checker``, a comparison option that is not valid — raises
``RowSpecError``: ``verify_rows`` checks every row for it before running anything and raises it as an
``NslError`` naming the row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from nemo_skills_lite.code_execution.checkers import Checker, CheckerError, parse_checker
from nemo_skills_lite.code_execution.compare import COMPARATORS, CompareOptions
from nemo_skills_lite.code_execution.conventions import ConventionError, apply_convention
from nemo_skills_lite.code_execution.limits import Limits, LimitsError

LANGUAGES = ("python", "cpp")
_LANG_ALIASES = {"python": "python", "python3": "python", "py": "python", "cpp": "cpp", "c++": "cpp"}


class RowError(ValueError):
    """The row cannot be verified as given."""


class RowSpecError(RowError):
    """The row's convention, checker or comparison options are not valid (a dataset error)."""

    @classmethod
    def user_error(cls, message: str) -> "RowSpecError":
        """The same error, also an ``NslError`` (imported only now: the sandbox service imports nothing
        outside code_execution until a row is bad)."""
        global _USER_ERROR
        if _USER_ERROR is None:
            from nemo_skills_lite.utils.errors import NslError

            _USER_ERROR = type("RowSpecError", (cls, NslError), {"__module__": __name__, "__doc__": cls.__doc__})
        return _USER_ERROR(message)


_USER_ERROR: type | None = None


@dataclass(frozen=True)
class Job:
    kind: str                  # stdin | assert | pytest
    language: str              # python | cpp
    code: str
    tests: tuple               # stdin: ((input, output), ...); assert: (test_src, ...); pytest: (file,)
    limits: Limits
    entry_point: str | None = None
    setup: str = ""
    comparator: str | None = None
    stop_at_first_failure: bool = True
    checker: Checker | None = None
    compare_opts: CompareOptions = CompareOptions()


def _text(row: dict, key: str) -> str:
    val = row.get(key)
    if not isinstance(val, str):
        raise RowError(f"key '{key}' must be a string, got {type(val).__name__}")
    return val


def _stdin_tests(tests: object) -> tuple:
    if isinstance(tests, dict):
        ins, outs = tests.get("inputs"), tests.get("outputs")
        if not isinstance(ins, list) or not isinstance(outs, list) or len(ins) != len(outs):
            raise RowError("key 'tests' as a dict needs lists 'inputs' and 'outputs' of equal length")
        tests = [{"input": i, "output": o} for i, o in zip(ins, outs)]
    if not isinstance(tests, list) or not tests:
        raise RowError("key 'tests' must be a non-empty list of {\"input\": str, \"output\": str}")
    out = []
    for i, t in enumerate(tests):
        if not isinstance(t, dict) or not isinstance(t.get("input"), str) or not isinstance(t.get("output"), str):
            raise RowError(f"tests[{i}] must be {{\"input\": str, \"output\": str}}, got {str(t)[:80]}")
        out.append((t["input"], t["output"]))
    return tuple(out)


def row_kind(row: dict) -> str:
    if "tests" in row:
        return "stdin"
    if "test_code" in row:
        return "pytest"
    if "test" in row:
        return "assert"
    raise RowError("row has none of 'tests' (stdin/stdout), 'test' (asserts) or 'test_code' (pytest)")


def judge_spec(row: dict) -> tuple[dict, Checker | None, CompareOptions]:
    """The row after its convention, its checker and comparison options; RowSpecError if not valid."""
    try:
        row = apply_convention(row)
        checker = parse_checker(row["checker"]) if row.get("checker") is not None else None
    except (ConventionError, CheckerError) as e:
        raise RowSpecError(str(e)) from None
    comparator = row.get("comparator")
    if comparator is not None and comparator not in COMPARATORS:
        raise RowSpecError(f"comparator '{comparator}' is not valid; use one of: {', '.join(COMPARATORS)}")
    if checker is not None and comparator is not None:
        raise RowSpecError("give either 'checker' or 'comparator', not both (the checker decides)")
    if checker is not None and "tests" not in row:
        raise RowSpecError("key 'checker' needs stdin/stdout 'tests' (it judges each program output)")
    tol, case = row.get("float_tolerance"), row.get("case_sensitive", True)
    if tol is not None and (isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0 <= tol < 1):
        raise RowSpecError(f"key 'float_tolerance' = {tol!r} is not valid; use a number in [0, 1), e.g. 1e-6")
    if not isinstance(case, bool):
        raise RowSpecError(f"key 'case_sensitive' = {case!r} is not valid; use true or false")
    return row, checker, CompareOptions(None if tol is None else float(tol), case)


def parse_row(row: object, *, base_limits: Limits | None = None, stop_at_first_failure: bool = True) -> Job:
    if not isinstance(row, dict):
        raise RowError(f"a row must be a JSON object, got {type(row).__name__}")
    row, checker, compare_opts = judge_spec(row)
    kind = row_kind(row)
    code = _text(row, "code")
    if not code.strip():
        raise RowError("key 'code' is empty")
    lang_raw = row.get("language") or "python"
    language = _LANG_ALIASES.get(str(lang_raw).lower())
    if language is None:
        raise RowError(f"language '{lang_raw}' is not supported; use one of: {', '.join(LANGUAGES)}")
    if language == "cpp" and kind != "stdin":
        raise RowError("C++ rows must use stdin/stdout 'tests'")
    prefix = row.get("code_prefix")
    if prefix is not None:
        if not isinstance(prefix, str) or language != "python":
            raise RowError("key 'code_prefix' must be a string, and only Python rows take one")
        code = prefix.rstrip("\n") + "\n" + code
    try:
        limits = Limits.for_row(row, kind, base_limits)
    except (LimitsError, TypeError) as e:
        raise RowError(str(e)) from None
    stop = row.get("stop_at_first_failure", stop_at_first_failure)
    if not isinstance(stop, bool):
        raise RowError(f"key 'stop_at_first_failure' must be true or false, got {stop!r}")
    if kind == "stdin":
        return Job(kind, language, code, _stdin_tests(row["tests"]), limits, comparator=row.get("comparator"),
                   stop_at_first_failure=stop, checker=checker, compare_opts=compare_opts)
    if kind == "pytest":
        return Job(kind, language, code, (_text(row, "test_code"),), limits, stop_at_first_failure=stop)
    test = row["test"]
    if isinstance(test, str):
        tests: tuple = (test,)
    elif isinstance(test, list) and test and all(isinstance(t, str) for t in test):
        tests = tuple(test)
    else:
        raise RowError("key 'test' must be a string (one test) or a non-empty list of strings (one per assert)")
    entry = row.get("entry_point")
    if entry is not None and (not isinstance(entry, str) or not entry.isidentifier()):
        raise RowError(f"key 'entry_point' must be a Python identifier, got {entry!r}")
    setup = row.get("test_setup_code") or ""
    if not isinstance(setup, str):
        raise RowError("key 'test_setup_code' must be a string")
    return Job(kind, language, code, tests, limits, entry_point=entry, setup=setup, stop_at_first_failure=stop)


def normalize_code(code: str) -> str:
    """Cache normalisation: line endings, trailing spaces, surrounding blank lines."""
    lines = [ln.rstrip() for ln in code.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def cache_key(job: Job, runtime: str) -> str:
    payload = {"kind": job.kind, "language": job.language, "code": normalize_code(job.code),
               "tests": job.tests, "limits": asdict(job.limits), "entry_point": job.entry_point,
               "setup": job.setup, "comparator": job.comparator, "stop": job.stop_at_first_failure,
               "checker": asdict(job.checker) if job.checker else None, "compare": asdict(job.compare_opts),
               "runtime": runtime}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
