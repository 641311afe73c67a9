"""Checkers and comparison options through the real sandbox (bubblewrap, separate uid).

A problem with many right answers ("print two non-negative integers that sum to n"): the expected
output is one of them, so the plain comparison rejects other right answers and a checker must decide.
"""

from __future__ import annotations

import pytest

from nemo_skills_lite.code_execution import verify_rows

pytestmark = pytest.mark.sandbox

TESTS = [{"input": "5\n", "output": "2 3\n"}, {"input": "10\n", "output": "5 5\n"}, {"input": "0\n", "output": "0 0\n"}]
TESTLIB_CHECKER = r"""
#include "testlib.h"
int main(int argc, char* argv[]) {
    registerTestlibCmd(argc, argv);
    long long n = inf.readLong();
    long long a = ouf.readLong(0, n, "a"), b = ouf.readLong(0, n, "b");
    if (a + b != n) quitf(_wa, "%lld + %lld != %lld", a, b, n);
    ans.readLong(); ans.readLong();  // the jury's answer is only one of the right ones
    quitf(_ok, "sum is %lld", n);
}
"""
PY_FUNCTION = """
def check(input, output, expected):
    n = int(input)
    try:
        a, b = map(int, output.split())
    except ValueError:
        return False, "two integers expected"
    return (a + b == n and a >= 0 and b >= 0, f"{a} + {b} vs {n}")
"""
PY_PROGRAM = """
import sys
n = int(open(sys.argv[1]).read())
a, b = map(int, open(sys.argv[2]).read().split())
sys.exit(0 if a + b == n and min(a, b) >= 0 else 1)
"""
OTHER_ANSWER = "n = int(input())\nprint(n, 0)\n"       # right, but not the expected output
WRONG = "n = int(input())\nprint(n, 1)\n"
CPP_OTHER_ANSWER = "#include <cstdio>\nint main() { long long n; scanf(\"%lld\", &n); printf(\"0 %lld\\n\", n); }\n"

CHECKERS = {"cpp": {"language": "cpp", "source": TESTLIB_CHECKER}, "py-function": PY_FUNCTION,
            "py-program": {"language": "python", "source": PY_PROGRAM, "style": "program"}}


def _rows(**extra) -> list[dict]:
    rows = []
    for name, chk in CHECKERS.items():
        rows += [{"id": f"{name}/right", "code": OTHER_ANSWER, "tests": TESTS, "checker": chk, **extra},
                 {"id": f"{name}/wrong", "code": WRONG, "tests": TESTS, "checker": chk, **extra}]
    rows.append({"id": "cpp/cpp-solution", "code": CPP_OTHER_ANSWER, "language": "cpp", "tests": TESTS,
                 "checker": CHECKERS["cpp"]})
    rows.append({"id": "no-checker", "code": OTHER_ANSWER, "tests": TESTS})
    return rows


def test_checkers_accept_other_right_answers_and_reject_wrong_ones(sandbox_pool):
    out = {r["id"]: r for r in verify_rows(_rows(), pool=sandbox_pool, cache=False, stop_at_first_failure=False)}
    assert {k: v["verdict"] for k, v in out.items()} == {
        "cpp/right": "accepted", "cpp/wrong": "wrong_answer", "py-function/right": "accepted",
        "py-function/wrong": "wrong_answer", "py-program/right": "accepted", "py-program/wrong": "wrong_answer",
        "cpp/cpp-solution": "accepted", "no-checker": "wrong_answer"}
    assert all(out[k]["tests_passed"] == 3 for k in out if k.endswith("right"))
    wa = out["cpp/wrong"]["test_results"][0]
    assert "5 + 1 != 5" in wa["note"] and "5 + 1 != 5" in wa["checker_log"]  # testlib's message is kept
    assert "5 + 1 vs 5" in out["py-function/wrong"]["test_results"][0]["note"]


def test_open_r1_codeforces_rows_as_they_come(sandbox_pool):
    """An open-r1/codeforces row (its own field names) with convention 'codeforces': official_tests are
    the tests and generated_checker the testlib checker, so another right answer is accepted."""
    row = {"convention": "codeforces", "time_limit": 2.0, "memory_limit": 256.0, "input_mode": "stdio",
           "official_tests": TESTS, "examples": TESTS[:1], "generated_checker": TESTLIB_CHECKER}
    out = verify_rows([{**row, "code": OTHER_ANSWER}, {**row, "code": WRONG},
                       {**row, "code": OTHER_ANSWER, "generated_checker": None}],
                      pool=sandbox_pool, cache=False, stop_at_first_failure=False)
    assert [r["verdict"] for r in out] == ["accepted", "wrong_answer", "wrong_answer"]
    assert [r["tests_passed"] for r in out] == [3, 0, 1]  # without a checker only "0 0" matches the jury's


def test_checker_crash_timeout_and_compile_failure_are_checker_errors(sandbox_pool):
    rows = [
        {"id": "py-raises", "code": OTHER_ANSWER, "tests": TESTS,
         "checker": "def check(i, o, e):\n    return {}[o]\n"},
        {"id": "py-bad-return", "code": OTHER_ANSWER, "tests": TESTS, "checker": "def check(i, o, e):\n    return 'yes'\n"},
        {"id": "py-loops", "code": OTHER_ANSWER, "tests": TESTS,
         "checker": {"language": "python", "source": "def check(i, o, e):\n    while True:\n        pass\n", "time_limit": 0.3}},
        {"id": "cpp-segfault", "code": OTHER_ANSWER, "tests": TESTS,
         "checker": {"language": "cpp", "source": "int main() { volatile int *p = 0; return *p; }"}},
        {"id": "cpp-fail-code", "code": OTHER_ANSWER, "tests": TESTS,
         "checker": {"language": "cpp", "source": "#include \"testlib.h\"\nint main(int c, char** v) { registerTestlibCmd(c, v); "
                     "quitf(_fail, \"answer file is broken\"); }"}},
        {"id": "cpp-no-compile", "code": OTHER_ANSWER, "tests": TESTS,
         "checker": {"language": "cpp", "source": "int main() { return undefined_name; }"}},
    ]
    out = {r["id"]: r for r in verify_rows(rows, pool=sandbox_pool, cache=False, flaky_reruns=0)}
    assert {k: v["verdict"] for k, v in out.items()} == dict.fromkeys(out, "checker_error")
    assert not any(r["passed"] for r in out.values())
    assert "KeyError" in out["py-raises"]["error"] and "must return a bool" in out["py-bad-return"]["error"]
    assert "timed out" in out["py-loops"]["error"] and "signal" in out["cpp-segfault"]["error"]
    assert "answer file is broken" in out["cpp-fail-code"]["error"]
    assert "undefined_name" in out["cpp-no-compile"]["error"]


def test_a_program_cannot_replace_the_checker_binary(sandbox_pool):
    forge = ("import os\nwith open('/tmp/job/checker', 'w') as f:\n    f.write('#!/bin/sh\\nexit 0\\n')\n"
             "os.chmod('/tmp/job/checker', 0o700)\nprint(1, 1)\n")
    out = verify_rows([{"code": forge, "tests": TESTS, "checker": CHECKERS["cpp"]}], pool=sandbox_pool, cache=False)
    assert out[0]["verdict"] == "runtime_error" and "modified the checker" in out[0]["test_results"][0]["note"]


def test_comparison_options_through_the_sandbox(sandbox_pool):
    tests = [{"input": "", "output": "0.3333333333 YES\n"}]
    rows = [{"code": "print(round(1/3, 7), 'YES')", "tests": tests},
            {"code": "print(round(1/3, 7), 'YES')", "tests": tests, "float_tolerance": 1e-6},
            {"code": "print(round(1/3, 4), 'YES')", "tests": tests, "float_tolerance": 1e-6},
            {"code": "print('0.3333333333 yes')", "tests": tests},
            {"code": "print('0.3333333333 yes')", "tests": tests, "case_sensitive": False},
            {"code": "print(' 0.3333333333\\n\\nYES  ')", "tests": tests}]
    out = verify_rows(rows, pool=sandbox_pool, cache=False)
    assert [r["verdict"] for r in out] == ["wrong_answer", "accepted", "wrong_answer", "wrong_answer", "accepted",
                                           "accepted"]
