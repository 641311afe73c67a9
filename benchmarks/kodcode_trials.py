"""KodCode-shaped trials built from the MBPP and HumanEval copies in tests/data/code (pure, no execution).

A trial is a row of the ``kodcode`` convention in KodCode's dataset form: ``code`` is the solution
module (``solution.py``), ``test_code`` the tests as KodCode-V1's ``test`` field holds them: they import
the entry function from ``solution`` explicitly; other names of the solution they use (MBPP's other
functions, HumanEval helpers such as ``encode_cyclic``) come from the ``from solution import *`` line
KodCode's judge puts before the tests (``KODCODE_PREFIX``; its step2.2_gen_unit_tests.py writes
``test_solution.py`` as that line + the tests).

Shapes (``shape``) and variants (``variant``) per problem:

  asserts       one ``def test_<k>()`` per MBPP assert (+ test_setup_code); HumanEval's ``check(candidate)``
                split into one test per assert when its body is only asserts, else one ``test_check``.
                Variants: the reference, one-operator mutants (verdict_agreement.mutants).
  parametrize   ``@pytest.mark.parametrize("args, expected", CASES)``           reference, mutant
  fixture       a test class using fixtures (function and module scope)        reference, mutant
  approx        float results compared with ``pytest.approx``                   reference, noisy, mutant
  exact_noise   the asserts shape on a float result off by 1e-9 relative        noisy
  numpy         results converted with numpy (``np.testing.assert_allclose``)   reference, mutant
  pandas        a DataFrame of cases, ``pd.testing.assert_series_equal``         reference, mutant
  capsys        the solution prints each result, the test reads it (capsys)    reference, mutant
  print_flood   the solution prints ~2 MB when imported                        reference
  slow          the first call sleeps / burns CPU for 1.5 s                    sleep, cpu
  timeout       one test sleeps / loops forever                                sleep, cpu

CASES are the asserts of the form ``assert f(<literals>) == <literal>`` (the problem's own inputs and
expected values); the shapes other than asserts are built only for problems whose asserts all have it.
"""

from __future__ import annotations

import ast
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "code"
sys.path.insert(0, str(ROOT / "benchmarks"))

from verdict_agreement import mutants  # noqa: E402  (the one-operator mutants of the agreement benchmark)

KODCODE_PREFIX = "from solution import *\n\n"  # what KodCode writes before a trial's tests
_ORIG = "_nsl_orig"


def _trial(tid: str, source: str, shape: str, variant: str, code: str, test_code: str) -> dict:
    return {"id": tid, "source": source, "shape": shape, "variant": variant, "convention": "kodcode",
            "code": code, "test_code": test_code}


def _cases(asserts: list[str], entry_names: set[str]) -> tuple[str, list[tuple[str, str, object]]] | None:
    """(function name, [(args source, expected source, expected value)]) when every assert is
    ``assert NAME(<literals>) == <literal>`` for one NAME; else None."""
    name, out = None, []
    for src in asserts:
        try:
            node = ast.parse(src.strip()).body[0]
        except (SyntaxError, IndexError):
            return None
        if not (isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare) and len(node.test.ops) == 1
                and isinstance(node.test.ops[0], ast.Eq) and isinstance(node.test.left, ast.Call)
                and isinstance(node.test.left.func, ast.Name) and not node.test.left.keywords):
            return None
        call = node.test.left
        if call.func.id not in entry_names or (name is not None and call.func.id != name):
            return None
        try:
            for a in call.args:
                ast.literal_eval(a)
            value = ast.literal_eval(node.test.comparators[0])
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None
        name = call.func.id
        args = "(" + "".join(ast.unparse(a) + ", " for a in call.args) + ")"
        out.append((args, ast.unparse(node.test.comparators[0]), value))
    return (name, out) if name and out else None


def _num(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _wrap(code: str, entry: str, body: list[str], prelude: str = "") -> str:
    """The solution with ``entry`` replaced by a wrapper around the original (recursive calls go through it)."""
    lines = [code.rstrip("\n"), "", prelude.rstrip("\n"), f"{_ORIG} = {entry}", "",
             f"def {entry}(*args, **kwargs):", f"    result = {_ORIG}(*args, **kwargs)"]
    return "\n".join(lines + ["    " + b for b in body] + ["    return result", ""])


def _noisy(code: str, entry: str) -> str:
    return _wrap(code, entry, ["if isinstance(result, float):", "    result = result * (1 + 1e-9)"])


def _first_call(code: str, entry: str, how: str) -> str:
    slow = ("time.sleep(1.5)" if how == "sleep" else
            "_t = time.process_time()\n    while time.process_time() - _t < 1.5:\n        pass")
    prelude = f"import time\n_nsl_calls = [0]\n\ndef _nsl_slow():\n    {slow}\n"
    return _wrap(code, entry, ["_nsl_calls[0] += 1", "if _nsl_calls[0] == 1:", "    _nsl_slow()"], prelude)


def _cases_src(cases: list) -> str:
    return "CASES = [\n" + "".join(f"    ({a}, {e}),\n" for a, e, _ in cases) + "]\n"


def _shape_tests(shape: str, entry: str, cases: list) -> str:
    head = f"from solution import {entry}\n"
    if shape == "parametrize":
        return (head + "import pytest\n\n" + _cases_src(cases) + '\n\n@pytest.mark.parametrize("args, expected", CASES)\n'
                f"def test_{entry}(args, expected):\n    assert {entry}(*args) == expected\n")
    if shape == "fixture":
        return (head + "import pytest\n\n\n@pytest.fixture\ndef func():\n    return " + entry + "\n\n\n"
                "@pytest.fixture(scope=\"module\")\ndef cases():\n    return [\n"
                + "".join(f"        ({a}, {e}),\n" for a, e, _ in cases) + "    ]\n\n\n"
                f"class Test{entry.title().replace('_', '')}:\n"
                "    def test_first(self, func, cases):\n        args, expected = cases[0]\n"
                "        assert func(*args) == expected\n\n"
                "    def test_all(self, func, cases):\n        for args, expected in cases:\n"
                "            assert func(*args) == expected\n")
    if shape == "approx":
        return (head + "import pytest\n\n" + "".join(
            f"\ndef test_approx_{k}():\n    assert {entry}(*{a}) == pytest.approx({e})\n" for k, (a, e, _) in enumerate(cases)))
    if shape == "numpy":
        return (head + "import numpy as np\nimport pytest\n\n" + _cases_src(cases) + '\n\n@pytest.mark.parametrize("args, expected", CASES)\n'
                f"def test_numpy(args, expected):\n    result = np.asarray({entry}(*args))\n"
                "    np.testing.assert_allclose(result, np.asarray(expected))\n")
    if shape == "pandas":
        return (head + "import pandas as pd\n\n" + _cases_src(cases) + "\n\ndef test_table():\n"
                '    df = pd.DataFrame({"args": [a for a, _ in CASES], "expected": [e for _, e in CASES]})\n'
                f'    df["result"] = [{entry}(*a) for a in df["args"]]\n'
                '    pd.testing.assert_series_equal(df["result"], df["expected"], check_names=False, check_dtype=False)\n')
    if shape == "capsys":
        return (head + "\n" + "".join(
            f"\ndef test_printed_{k}(capsys):\n    result = {entry}(*{a})\n    out = capsys.readouterr().out\n"
            f"    assert result == {e}\n    assert out.strip().splitlines()[-1] == str({e})\n"
            for k, (a, e, _) in enumerate(cases)))
    raise ValueError(shape)


def _asserts_tests(asserts: list[str], names: list[str], setup: str = "") -> str:
    head = f"from solution import {names[0]}\n" if names else ""
    body = "".join(f"\n\ndef test_{k}():\n    {a.strip()}\n" for k, a in enumerate(asserts))
    return head + (setup.replace("\r\n", "\n").rstrip() + "\n" if setup.strip() else "") + body


def _defined(code: str) -> list[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]


def problem_trials(pid: str, source: str, code: str, base_tests: str, asserts: list[str], names: list[str],
                   k: int) -> list[dict]:
    """Every trial of one problem; ``k`` (the problem's position) spreads the rarer shapes over the problems."""
    out = [_trial(f"{pid}/asserts/reference", source, "asserts", "reference", code, base_tests)]
    muts = mutants(code)
    for m, mut in enumerate(muts):
        out.append(_trial(f"{pid}/asserts/mutant{m}", source, "asserts", f"mutant{m}", mut + "\n", base_tests))
    found = _cases(asserts, set(names))
    if found is None:
        return out
    entry, cases = found
    variants = {"reference": code}
    if muts:
        variants["mutant0"] = muts[0] + "\n"
    floats = any(isinstance(v, float) for _, _, v in cases)
    numeric = all(_num(v) or (isinstance(v, (list, tuple)) and v and all(_num(x) for x in v)) for _, _, v in cases)
    scalar = numeric and all(_num(v) for _, _, v in cases)
    shapes = [("parametrize", "fixture", "capsys")[k % 3]] + (["approx"] if floats else [])
    shapes += (["numpy"] if numeric and k % 4 == 0 else []) + (["pandas"] if scalar and k % 4 == 2 else [])
    for shape in shapes:
        tests = _shape_tests(shape, entry, cases)
        for name, sol in variants.items():
            if shape == "capsys":
                sol = _wrap(sol, entry, ["print(result)"])
            out.append(_trial(f"{pid}/{shape}/{name}", source, shape, name, sol, tests))
        if shape == "approx":
            out.append(_trial(f"{pid}/approx/noisy", source, shape, "noisy", _noisy(code, entry), tests))
    if floats:
        out.append(_trial(f"{pid}/exact_noise/noisy", source, "exact_noise", "noisy", _noisy(code, entry), base_tests))
    if k % 25 == 3:
        flood = code.rstrip("\n") + '\n\nfor _nsl_i in range(40000):\n    print("debug line", _nsl_i, "x" * 32)\n'
        out.append(_trial(f"{pid}/print_flood/reference", source, "print_flood", "reference", flood, base_tests))
    if k % 20 in (7, 17):
        how = "sleep" if k % 20 == 7 else "cpu"
        out.append(_trial(f"{pid}/slow/{how}", source, "slow", how, _first_call(code, entry, how), base_tests))
    return out


def mbpp_trials(limit: int | None = None, start: int = 0) -> list[dict]:
    rows = [json.loads(line) for line in (DATA / "mbpp_full_974.jsonl").read_text().splitlines() if line.strip()]
    out = []
    for k, p in list(enumerate(rows[:limit]))[start:]:
        code = p["code"].replace("\r\n", "\n").rstrip() + "\n"
        defined = _defined(code)
        text = "\n".join(p["test_list"])
        used = sorted((n for n in defined if n in text), key=text.index)  # the entry (first called) first
        tests = _asserts_tests(p["test_list"], used, p.get("test_setup_code") or "")
        out += problem_trials(f"mbpp/{p['task_id']}", "mbpp", code, tests, p["test_list"], used, k)
    return out


def _check_asserts(test: str) -> list[str] | None:
    """The asserts of ``check(candidate)`` when its body is nothing else (docstrings and ``pass`` aside)."""
    tree = ast.parse(test)
    check = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check"), None)
    if check is None:
        return None
    body = [s for s in check.body if not (isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)))]
    if not body or not all(isinstance(s, ast.Assert) for s in body):
        return None
    return [ast.unparse(s) for s in body]


def humaneval_trials(limit: int | None = None) -> list[dict]:
    with gzip.open(DATA / "HumanEval.jsonl.gz", "rt") as f:
        probs = [json.loads(line) for line in f][:limit]
    out = []
    for k, p in enumerate(probs):
        code, entry = p["prompt"] + p["canonical_solution"], p["entry_point"]
        asserts = _check_asserts(p["test"])
        head = f"from solution import {entry}\n\n" + p["test"].rstrip() + "\n"
        if asserts is None:
            tests = head + f"\n\ndef test_check():\n    check({entry})\n"
        else:
            tests = head + "".join(f"\n\ndef test_check_{i}():\n    candidate = {entry}\n    {a}\n" for i, a in enumerate(asserts))
        calls = [a.replace("candidate(", f"{entry}(") for a in (asserts or [])]
        pid = "humaneval/" + p["task_id"].split("/")[1]
        out += problem_trials(pid, "humaneval", code, tests, calls, [entry], k)
    return out


def timeout_trials() -> list[dict]:
    """Two trials whose one test never ends (sleep, CPU loop): KodCode's 30 s ``timeout`` fails them."""
    code = "def add(a, b):\n    return a + b\n"
    out = []
    for how, body in (("sleep", "import time\n    time.sleep(120)"), ("cpu", "while True:\n        pass")):
        tests = ("from solution import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\n"
                 f"def test_hangs():\n    {body}\n")
        out.append(_trial(f"extra/timeout/{how}", "extra", "timeout", how, code, tests))
    return out


def star_names(code: str, test_code: str) -> list[str]:
    """Names of the solution the tests use without importing or defining them: only KodCode's
    ``from solution import *`` line gives them to the tests."""
    try:
        tree = ast.parse(test_code)
    except SyntaxError:
        return []
    have = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    have |= {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return sorted(n for n in _defined(code) if n in used and n not in have and not n.startswith("_"))


def all_trials(mbpp_limit: int | None = None, humaneval_limit: int | None = None, mbpp_start: int = 0) -> list[dict]:
    out = mbpp_trials(mbpp_limit, mbpp_start) + humaneval_trials(humaneval_limit) + timeout_trials()
    for t in out:
        t["star"] = bool(star_names(t["code"], t["test_code"]))
    return out
