"""Real data through the real sandbox: every HumanEval/MBPP reference solution passes, mutants
fail with the right verdicts, a CodeContests problem passes in Python and C++."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path

import pytest

from nemo_skills_lite.code_execution import verify_rows

pytestmark = pytest.mark.sandbox
DATA = Path(__file__).resolve().parents[2] / "data" / "code"


def humaneval() -> list[dict]:
    with gzip.open(DATA / "HumanEval.jsonl.gz", "rt") as f:
        return [json.loads(line) for line in f]


def mbpp() -> list[dict]:
    return [json.loads(line) for line in (DATA / "mbpp_full_974.jsonl").read_text().splitlines()]


def he_row(p: dict, body: str | None = None) -> dict:
    return {"task_id": p["task_id"], "code": p["prompt"] + (p["canonical_solution"] if body is None else body),
            "test": p["test"], "entry_point": p["entry_point"]}


def mbpp_row(p: dict, code: str | None = None) -> dict:
    return {"task_id": p["task_id"], "code": p["code"] if code is None else code, "test": p["test_list"],
            "test_setup_code": p["test_setup_code"]}


def _failures(out: list[dict], verdict: str) -> list:
    return [(r["task_id"], r["verdict"], r["test_results"][-1:] if r["test_results"] else r.get("error"))
            for r in out if r["verdict"] != verdict]


def test_all_reference_solutions_pass(sandbox_pool):
    rows = [he_row(p) for p in humaneval()] + [mbpp_row(p) for p in mbpp()]
    assert len(rows) == 164 + 974
    out = verify_rows(rows, pool=sandbox_pool, cache=False, stop_at_first_failure=False)
    assert [r["task_id"] for r in out] == [r["task_id"] for r in rows]  # input order, fields kept
    assert _failures(out, "accepted") == []
    assert all(r["passed"] and r["tests_passed"] == r["tests_total"] for r in out)
    assert sum(r["tests_total"] for r in out[164:]) == sum(len(p["test_list"]) for p in mbpp())


def test_mutants_raising_get_runtime_error(sandbox_pool):
    he = [he_row(p, "    raise RuntimeError('mutant')\n") for p in humaneval()]
    out = verify_rows(he, pool=sandbox_pool, cache=False)
    assert _failures(out, "runtime_error") == []
    assert all(r["tests_passed"] == 0 and not r["passed"] for r in out)


def _plain_python_verdict(program: str) -> str:
    """Reference: what a plain, unsandboxed ``python3`` says about the same program."""
    p = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    if p.returncode == 0:
        return "accepted"
    return "wrong_answer" if "AssertionError" in p.stderr.strip().splitlines()[-1] else "runtime_error"


def test_wrong_answer_mutants_match_plain_python(sandbox_pool):
    """Off-by-one mutants of MBPP solutions: the sandbox's verdict per assert equals plain Python's."""
    probs = [p for p in mbpp() if "return " in p["code"]][::12][:40]
    rows, expected = [], []
    for p in probs:
        code = p["code"].replace("\r\n", "\n")
        idx = code.rfind("return ")
        mutant = code[:idx] + "return (lambda v: v + 1 if isinstance(v, (int, float)) else None)(" + \
            code[idx + 7:].split("\n", 1)[0] + ")" + ("\n" + code[idx + 7:].split("\n", 1)[1] if "\n" in code[idx + 7:] else "")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(mutant, "mutant", "exec")
        except SyntaxError:
            continue
        rows.append(mbpp_row(p, mutant))
        expected.append([_plain_python_verdict(p["test_setup_code"] + "\n" + mutant + "\n" + t) for t in p["test_list"]])
    out = verify_rows(rows, pool=sandbox_pool, cache=False, stop_at_first_failure=False)
    got = [[t["verdict"] for t in r["test_results"]] for r in out]
    assert got == expected
    flat = Counter(v for vs in got for v in vs)
    assert flat["wrong_answer"] > 40 and flat["accepted"] < flat["wrong_answer"]  # mostly real WA mutants


def test_syntax_time_and_memory_mutants(sandbox_pool):
    probs = humaneval()[:3]
    rows = ([{**he_row(p), "code": p["prompt"] + "    return (\n"} for p in probs]
            + [{**he_row(p, "    while True:\n        pass\n"), "time_limit": 0.3} for p in probs]
            + [he_row(p, "    x = bytearray(1 << 34)\n") for p in probs])
    out = verify_rows(rows, pool=sandbox_pool, cache=False, flaky_reruns=0)
    assert [r["verdict"] for r in out] == ["syntax_error"] * 3 + ["time_limit"] * 3 + ["memory_limit"] * 3


SQUARES_PY = """
import math
def icbrt(n):
    c = round(n ** (1 / 3))
    while c ** 3 > n: c -= 1
    while (c + 1) ** 3 <= n: c += 1
    return c
def i6(n):
    c = round(n ** (1 / 6))
    while c ** 6 > n: c -= 1
    while (c + 1) ** 6 <= n: c += 1
    return c
t = int(input())
for _ in range(t):
    n = int(input())
    print(math.isqrt(n) + icbrt(n) - i6(n))
"""

SQUARES_CPP = r"""
#include <bits/stdc++.h>
using namespace std;
long long iroot(long long n, int k) {
    long long c = llround(pow((double)n, 1.0 / k));
    auto pw = [&](long long x) { long long r = 1; for (int i = 0; i < k; i++) r *= x; return r; };
    while (c > 0 && pw(c) > n) c--;
    while (pw(c + 1) <= n) c++;
    return c;
}
int main() {
    int t; cin >> t;
    while (t--) { long long n; cin >> n; cout << iroot(n, 2) + iroot(n, 3) - iroot(n, 6) << "\n"; }
}
"""


def test_codecontests_python_and_cpp(sandbox_pool):
    prob = json.loads((DATA / "codecontests_squares_and_cubes.json").read_text())
    tests = prob["tests"]
    wrong_cpp = SQUARES_CPP.replace("- iroot(n, 6)", "- iroot(n, 6) - (n == 1000000000)")
    n_bad = sum("1000000000" in t["input"].split() for t in tests)
    rows = [{"code": SQUARES_PY, "tests": tests, "time_limit": 1},
            {"code": SQUARES_CPP, "language": "cpp", "tests": tests, "time_limit": 1},
            {"code": wrong_cpp, "language": "cpp", "tests": tests, "stop_at_first_failure": False},
            {"code": SQUARES_CPP.replace("int main() {", "int main() {{"), "language": "cpp", "tests": tests}]
    out = verify_rows(rows, pool=sandbox_pool, cache=False)
    assert [r["verdict"] for r in out] == ["accepted", "accepted", "wrong_answer", "compile_error"]
    assert out[0]["tests_passed"] == out[1]["tests_passed"] == len(tests) == 138
    assert out[2]["tests_passed"] == len(tests) - n_bad and 0 < n_bad and out[2]["tests_total"] == len(tests)
    first_bad = next(t for t in out[2]["test_results"] if t["verdict"] != "accepted")
    assert first_bad["expected"] and first_bad["stdout"] != first_bad["expected"]
    assert "error" in out[3]["error"]
