"""KodCode-style rows: pytest files against a ``solution`` module pass/fail as real pytest says."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from nemo_skills_lite.code_execution import verify_rows
from nemo_skills_lite.code_execution.isolation import DEFAULT_PYTHON

pytestmark = pytest.mark.sandbox

SOLUTION = "def is_palindrome(s):\n    t = ''.join(c.lower() for c in s if c.isalnum())\n    return t == t[::-1]\n"
TESTS = """from solution import is_palindrome
import pytest

def test_simple():
    assert is_palindrome("abba")

def test_mixed_case_and_punctuation():
    assert is_palindrome("A man, a plan, a canal: Panama")

@pytest.mark.parametrize("s", ["abc", "ab"])
def test_not_palindrome(s):
    assert not is_palindrome(s)
"""
CASES = {
    "pass": (SOLUTION, TESTS),
    "one_fails": ("def is_palindrome(s):\n    return s == s[::-1]\n", TESTS),
    "all_fail": ("def is_palindrome(s):\n    return None\n", TESTS),
    "missing_name": ("def other():\n    pass\n", TESTS),
    "solution_syntax_error": ("def is_palindrome(s) return 1\n", TESTS),
    "raises": ("def is_palindrome(s):\n    raise ValueError('boom')\n", TESTS),
}


def _real_pytest(code: str, tests: str) -> tuple[int, int, int]:
    """(exit code, passed, failed+errors) from plain pytest in a fresh process, as KodCode runs it."""
    with tempfile.TemporaryDirectory() as d:
        Path(d, "solution.py").write_text(code)
        Path(d, "test_solution.py").write_text(tests)
        p = subprocess.run([DEFAULT_PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rN",
                            "test_solution.py"], cwd=d, capture_output=True, text=True, timeout=120)
    last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    passed = failed = 0
    for part in last.replace("=", "").split(","):
        words = part.split()
        if len(words) >= 2 and words[0].isdigit():
            if words[1].startswith("passed"):
                passed = int(words[0])
            elif words[1].startswith(("failed", "error")):
                failed += int(words[0])
    return p.returncode, passed, failed


def test_pytest_rows_agree_with_real_pytest(sandbox_pool):
    names = list(CASES)
    rows = [{"name": n, "code": CASES[n][0], "test_code": CASES[n][1]} for n in names]
    out = verify_rows(rows, pool=sandbox_pool, cache=False, stop_at_first_failure=False)
    verdicts = {r["name"]: r["verdict"] for r in out}
    assert verdicts == {"pass": "accepted", "one_fails": "wrong_answer", "all_fail": "wrong_answer",
                        "missing_name": "runtime_error", "solution_syntax_error": "syntax_error",
                        "raises": "wrong_answer"}
    for r in out:
        rc, passed, failed = _real_pytest(CASES[r["name"]][0], CASES[r["name"]][1])
        assert r["passed"] == (rc == 0), r["name"]
        if r["verdict"] in ("accepted", "wrong_answer"):
            assert (r["tests_passed"], r["tests_total"] - r["tests_passed"]) == (passed, failed), r
    one = next(r for r in out if r["name"] == "one_fails")
    assert (one["tests_passed"], one["tests_total"]) == (3, 4)
