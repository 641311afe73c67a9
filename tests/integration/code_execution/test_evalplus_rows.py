"""EvalPlus' time rules through the real sandbox: per-input limits of max(1 s, 4 x the reference's time),
and a whole check that may take as long as EvalPlus allows a task (not the 3 s of a plain assert row)."""

from __future__ import annotations

import pytest

from nemo_skills_lite.code_execution import verify_rows

pytestmark = pytest.mark.sandbox

REFERENCE = "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n"
SLOW_RIGHT = "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"  # exponential: right, too slow at 38
BUSY = ("import time\ndef fib(n):\n    t = time.process_time()\n    while time.process_time() - t < 0.05:\n        pass\n"
        "    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n")  # 0.05 s CPU per call


def test_evalplus_time_rules(sandbox_pool):
    small = [[n] for n in range(15)]
    rows = [
        # one input far over max(1 s, 4 x reference): fails like EvalPlus' TIMEOUT, within seconds
        {"convention": "evalplus", "entry_point": "fib", "inputs": small + [[38]], "reference_code": REFERENCE,
         "code": SLOW_RIGHT},
        # 120 inputs x 0.05 s = 6 s of CPU: each input is within its 1 s, the whole check is not cut at 3 s
        {"convention": "evalplus", "entry_point": "fib", "inputs": [[n % 30] for n in range(120)],
         "reference_code": REFERENCE, "code": BUSY},
        # ref_time given with expected outputs (EvalPlus' base_time): the same limit
        {"convention": "evalplus", "entry_point": "fib", "inputs": [[38]], "expected": [39088169], "ref_time": [0.0001],
         "code": SLOW_RIGHT},
    ]
    out = verify_rows(rows, pool=sandbox_pool, cache=False)
    assert [r["verdict"] for r in out] == ["wrong_answer", "accepted", "wrong_answer"], [r["test_results"] for r in out]
    assert "over its time limit of 1.00 s" in out[0]["test_results"][0]["note"]
    assert out[1]["test_results"][0]["time"] > 3.0
