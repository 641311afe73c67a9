"""Judge rules as pure functions: output comparison (each rule with its source judge), checker
specs, harness conventions as row rewrites, and bad input (unknown convention, malformed checker)."""

from __future__ import annotations

import re

import pytest

from nemo_skills_lite.code_execution import checkers
from nemo_skills_lite.code_execution.compare import CompareOptions, compare, double_close
from nemo_skills_lite.code_execution.conventions import ConventionError, apply_convention, wrap_module_return
from nemo_skills_lite.code_execution.rows import RowSpecError, parse_row
from nemo_skills_lite.code_execution.verify import verify_rows
from nemo_skills_lite.utils.errors import NslError

TOL6 = CompareOptions(float_tolerance=1e-6)
NOCASE = CompareOptions(case_sensitive=False)


@pytest.mark.parametrize("name, out, expected, opts, ok", [
    # testlib wcmp (Codeforces default): whitespace-insensitive tokens, case-sensitive, numbers as text
    ("tokens", "1 2\n\n3  \n", "1 2 3", CompareOptions(), True),
    ("tokens", "1\t2\r\n3", "1 2 3\n", CompareOptions(), True),
    ("tokens", "yes", "YES", CompareOptions(), False),
    ("tokens", "yes", "YES", NOCASE, True),
    ("tokens", "0.50", "0.5", CompareOptions(), False),
    ("tokens", "1 2", "1 2 3", CompareOptions(), False),
    ("tokens", "1 2 3 4", "1 2 3", CompareOptions(), False),
    # testlib rcmp6 / doubleCompare when the row says so: absolute OR relative 1e-6
    ("tokens", "0.5000004", "0.5", TOL6, True),
    ("tokens", "1000000.9", "1000000.0", TOL6, True),     # relative
    ("tokens", "0.500002", "0.5", TOL6, False),
    ("tokens", "3", "3.0000001", TOL6, True),
    ("tokens", "1000000000000000001", "1000000000000000000", TOL6, False),  # integers stay exact
    ("tokens", "1_0", "10", TOL6, False),                 # judges do not read '_' separators
    ("tokens", "nan", "nan", TOL6, True),
    # testlib lcmp: line by line
    ("lines", "1 2\n3\n", "1  2\n3", CompareOptions(), True),
    ("lines", "1\n2 3", "1 2\n3", CompareOptions(), False),
    # exact
    ("exact", "a b\r\n", "a b\n\n", CompareOptions(), True),
    ("exact", "a  b", "a b", CompareOptions(), False),
    # CodeContests OutputsMatch: lowercased tokens, numbers within 1e-5 absolute
    ("codecontests", "Yes\n0.333334", "YES 0.33333", CompareOptions(), True),
    ("codecontests", "0.33336", "0.33333", CompareOptions(), False),
    ("codecontests", "1 2", "1 2 3", CompareOptions(), False),
    # LiveCodeBench grade_stdio: lines must match in number; a line equal or equal as Decimals
    ("livecodebench", "1.50 2\n  x y \n", "1.5 2.0\nx y", CompareOptions(), True),
    ("livecodebench", "1 2", "1\n2", CompareOptions(), False),
    ("livecodebench", "0.3333334", "0.3333333", CompareOptions(), False),   # no tolerance
    ("livecodebench", "x  y", "x y", CompareOptions(), False),   # a non-numeric line compares as text
    # APPS (hendrycks/apps testing_util, verdicts checked against it): lines of tokens, numbers within
    # numpy.allclose's defaults; its set-of-tokens fallbacks, which accept these permuted/repeated
    # tokens too, are left out
    ("apps", "0.1000001 5", "0.1 5", CompareOptions(), True),
    ("apps", "240.0000000000\n", "240.0\n", CompareOptions(), True),
    ("apps", "1  2 \n\n3\n", "1 2\n3", CompareOptions(), True),
    ("apps", "1 2\n", "1\n2\n", CompareOptions(), False),    # APPS rejects it too: lines count
    ("apps", "3\n", "3.0\n", CompareOptions(), True),
    ("apps", "true\n", "True\n", CompareOptions(), False),
    ("apps", "2 1", "1 2", CompareOptions(), False),          # APPS: accepted (token sets)
    ("apps", "1 1 1\n", "1\n", CompareOptions(), False),     # APPS: accepted (token sets)
    # TACO (FlagOpen/TACO testing_util, checked against it): the whole stdout, stripped, equal
    ("taco", "240.0  \n\n", "240.0\n", CompareOptions(), True),
    ("taco", "a\r\nb\r\n", "a\nb\n", CompareOptions(), True),
    ("taco", "240.0000000000\n", "240.0\n", CompareOptions(), False),
    ("taco", "10 \n20\n", "10\n20\n", CompareOptions(), False),
    ("taco", "1  2\n", "1 2\n", CompareOptions(), False),
    ("taco", "30\n", "30.0\n", CompareOptions(), False),
    ("taco", "11\n", "1\n", CompareOptions(), False),        # TACO: accepted (characters of tokens)
])
def test_comparison_rules(name, out, expected, opts, ok):
    got, note = compare(out, expected, name, opts)
    assert got is ok
    assert (note == "") is ok  # a failure says where


def test_notes_say_where_outputs_differ():
    assert compare("1 2 4", "1 2 3")[1] == "token 3 differs: expected '3', found '4'"
    assert "output ends early" in compare("1 2", "1 2 3")[1]
    assert compare("a\nb c", "a\nb d", "lines")[1].startswith("line 2:")


def test_double_compare_matches_testlib():
    assert double_close(1e9, 1e9 + 900, 1e-6) and not double_close(1e9, 1e9 + 1100, 1e-6)
    assert double_close(0.0, 1e-6, 1e-6) and not double_close(0.0, 2e-6, 1e-6)
    assert double_close(float("inf"), float("inf"), 1e-6) and not double_close(1.0, float("inf"), 1e-6)


STDIN = [{"input": "1", "output": "1"}]


@pytest.mark.parametrize("checker, message", [
    (5, "checker must be a string"),
    ({"source": "x", "language": "rust"}, "language 'rust' is not valid"),
    ({"source": "", "language": "python"}, "'source' must be a non-empty string"),
    ({"source": "def check(:", "language": "python"}, "does not parse"),
    ({"source": "x = 1", "language": "python", "style": "function"}, "needs a top-level def check"),
    ({"source": "int f() {}", "language": "cpp"}, "no main()"),
    ({"source": "int main(){}", "language": "cpp", "style": "function"}, "testlib-style program"),
    ({"source": "x = 1", "language": "python", "style": "magic"}, "style 'magic' is not valid"),
    ({"source": "x = 1", "language": "python", "time_limit": 0}, "time_limit"),
    ({"source": "x = 1", "language": "python", "args": []}, "unknown key(s) args"),
])
def test_malformed_checkers_are_spec_errors(checker, message):
    with pytest.raises(RowSpecError, match=re.escape(message)):
        parse_row({"code": "print(1)", "tests": STDIN, "checker": checker})


def test_checker_spec_and_styles():
    chk = checkers.parse_checker('#include "testlib.h"\nint main(int c, char** v) { registerTestlibCmd(c, v); }')
    assert (chk.language, chk.style, chk.time_limit) == ("cpp", "testlib", 10.0)
    assert checkers.parse_checker("def check(i, o, e):\n    return True\n").style == "function"
    assert checkers.parse_checker("import sys\nsys.exit(0)\n").style == "program"
    job = parse_row({"code": "print(1)", "tests": STDIN, "checker": "def check(i, o, e):\n    return True\n"})
    assert job.checker is not None and job.comparator is None
    with pytest.raises(RowSpecError, match="not both"):
        parse_row({"code": "x", "tests": STDIN, "checker": "def check(i, o, e): return True", "comparator": "exact"})
    with pytest.raises(RowSpecError, match="needs stdin/stdout 'tests'"):
        parse_row({"code": "x", "test": "assert 1", "checker": "def check(i, o, e): return True"})


@pytest.mark.parametrize("row, message", [
    ({"code": "x", "tests": STDIN, "convention": "hackerrank"}, "convention 'hackerrank' is not valid; use one of: codeforces"),
    ({"code": "x", "convention": "evalplus", "entry_point": "f"}, "needs key 'inputs'"),
    ({"code": "x", "convention": "evalplus", "entry_point": "f", "inputs": [[1]], "expected": [1],
      "reference_code": "def f(x): return x"}, "exactly one of"),
    ({"code": "x", "convention": "apps", "input_output": "{not json"}, "not valid JSON"),
    ({"code": "x", "convention": "livecodebench", "tests": [{"input": "1", "output": "1", "testtype": "functional"}]},
     "need 'fn_name'"),
    ({"code": "x", "tests": STDIN, "float_tolerance": "1e-6"}, "float_tolerance"),
    ({"code": "x", "tests": STDIN, "case_sensitive": "no"}, "case_sensitive"),
])
def test_bad_conventions_are_spec_errors(row, message):
    with pytest.raises(RowSpecError, match=re.escape(message)):
        parse_row(row)


def test_verify_rows_names_the_bad_row_before_running_anything():
    rows = [{"task_id": "ok", "code": "print(1)", "tests": STDIN},
            {"task_id": "HE/7", "code": "print(1)", "tests": STDIN, "convention": "leetcode"}]
    with pytest.raises(NslError, match=re.escape("row 2 (HE/7): convention 'leetcode' is not valid")):
        verify_rows(rows, allow_unisolated=True)  # raises before any worker starts


def _run(code: str) -> str:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code, "wrapped", "exec"), {"__name__": "__main__"})
    return buf.getvalue()


def test_module_level_return_is_wrapped_like_apps():
    code = "import math\nfrom math import *\nn = 5\ndef f():\n    return n * 2\nif n > 3:\n    print(f())\n    return\nprint('no')\n"
    wrapped = wrap_module_return(code)
    assert wrapped != code and _run(wrapped) == "10\n"  # globals still visible to f(); return ends it
    plain = "print(1)\n"
    assert wrap_module_return(plain) == plain  # only code that needs it is rewritten
    assert wrap_module_return("def g():\n    return 1\n") == "def g():\n    return 1\n"


def test_apps_convention_rows():
    stdin = apply_convention({"convention": "apps", "code": "print(input())\nreturn",
                              "input_output": '{"inputs": ["1\\n"], "outputs": ["1\\n"]}'})
    assert stdin["tests"] == [{"input": "1\n", "output": "1\n"}] and stdin["comparator"] == "apps"
    assert "_nsl_program" in stdin["code"] and "from heapq import *" in stdin["code_prefix"]
    assert "stdin = sys.stdin" in stdin["code_prefix"]  # both harnesses bind stdin/stdout before the code
    taco = apply_convention({"convention": "taco", "code": "print(1)", "input_output": '{"inputs": [""], "outputs": ["1"]}'})
    assert taco["comparator"] == "taco" and taco["time_limit"] == 4.0  # APPS/TACO's 4 s per test
    assert apply_convention({"convention": "apps", "code": "x", "tests": STDIN, "time_limit": 1})["time_limit"] == 1
    call = apply_convention({"convention": "taco", "code": "def f(x): return [x]",
                             "input_output": {"fn_name": "f", "inputs": [[1]], "outputs": [[1]]}})
    assert call["test"] == ["assert _nsl_apps_ok('f', '[1]', '[1]')"] and "tests" not in call
    ns: dict = {}
    exec(call["test_setup_code"] + "\ndef f(x):\n    return (x, x)\n", ns)
    assert ns["_nsl_apps_ok"]("f", "[2]", "[[2, 2]]") and not ns["_nsl_apps_ok"]("f", "[2]", "[[2, 3]]")


def test_livecodebench_and_codecontests_rows():
    fn = apply_convention({"convention": "livecodebench", "code": "class Solution: ...", "fn_name": "total",
                           "tests": [{"input": "[1, 2]\n3", "output": "6", "testtype": "functional"}]})
    assert fn["test"] == ["assert _nsl_lcb_ok('total', '[1, 2]\\n3', '6')"]
    ns: dict = {}
    exec(fn["test_setup_code"] + "\nclass Solution:\n    def total(self, a, b):\n        return sum(a) + b\n", ns)
    assert ns["_nsl_lcb_ok"]("total", "[1, 2]\n3", "6") and not ns["_nsl_lcb_ok"]("total", "[1, 2]\n3", "7")
    cc = apply_convention({"convention": "codecontests", "code": "x",
                           "public_tests": {"input": ["1"], "output": ["2"]}, "private_tests": {"input": ["3"], "output": ["4"]}})
    assert cc["tests"] == [{"input": "1", "output": "2"}, {"input": "3", "output": "4"}]
    assert cc["comparator"] == "codecontests" and "public_tests" not in cc


def test_time_limits_of_the_conventions():
    """CodeContests' {seconds, nanos} only raises the 2 s default; LiveCodeBench allows 6 s per test;
    a row's own time_limit always wins."""
    cc = {"convention": "codecontests", "code": "x", "public_tests": {"input": ["1"], "output": ["1"]}}
    assert apply_convention({**cc, "time_limit": {"seconds": 5, "nanos": 500000000}})["time_limit"] == 5.5
    assert "time_limit" not in apply_convention({**cc, "time_limit": {"seconds": 1, "nanos": 0}})
    assert apply_convention({**cc, "time_limit": 0.5})["time_limit"] == 0.5
    lcb = {"convention": "livecodebench", "code": "x", "tests": [{"input": "1", "output": "1", "testtype": "stdin"}]}
    assert apply_convention(lcb)["time_limit"] == 6.0 and apply_convention({**lcb, "time_limit": 1})["time_limit"] == 1
    fn = {**lcb, "fn_name": "f", "tests": [{"input": "1", "output": "1", "testtype": "functional"}]}
    assert apply_convention(fn)["time_limit"] == 6.0
    parse_row(apply_convention({**cc, "time_limit": {"seconds": 5, "nanos": 0}}))  # a valid row after it


def test_codeforces_convention_reads_open_r1_rows():
    row = {"convention": "codeforces", "code": "x", "official_tests": [{"input": "1", "output": "2"}],
           "examples": [{"input": "9", "output": "9"}], "generated_checker": "#include \"testlib.h\"\nint main() {}"}
    out = apply_convention(row)
    assert out["tests"] == [{"input": "1", "output": "2"}]
    assert out["checker"] == {"language": "cpp", "source": row["generated_checker"], "style": "testlib"}
    assert apply_convention({**row, "official_tests": [], "generated_checker": None})["tests"] == [{"input": "9", "output": "9"}]
    assert "checker" not in apply_convention({**row, "generated_checker": None})
    with pytest.raises(ConventionError, match="input_mode 'file'"):
        apply_convention({**row, "input_mode": "file"})
    with pytest.raises(ConventionError, match="needs 'tests', 'official_tests' or 'examples'"):
        apply_convention({"convention": "codeforces", "code": "x"})


def test_evalplus_check_uses_evalplus_tolerance():
    row = apply_convention({"convention": "evalplus", "code": "def f(x):\n    return x / 3\n", "entry_point": "f",
                            "inputs": [[1.0], [2.0]], "reference_code": "def f(x):\n    return x / 3 + 1e-9\n"})
    ns: dict = {}
    exec(row["test_setup_code"] + "\n" + row["code"], ns)
    exec(row["test"], ns)  # floats within atol 1e-6 (EvalPlus' default for float outputs)
    ns["f"] = lambda x: x / 3 + 1e-3
    with pytest.raises(AssertionError, match="input 0"):
        exec(row["test"], ns)
    exact = apply_convention({"convention": "evalplus", "code": "def f(x): return x", "entry_point": "f",
                              "inputs": [[1]], "expected": [2]})
    ns = {"f": lambda x: x}
    exec(exact["test_setup_code"], ns)
    with pytest.raises(AssertionError):
        exec(exact["test"], ns)


def _evalplus_verdict(row: dict, code: str) -> bool:
    ns: dict = {}
    row = apply_convention({"convention": "evalplus", "code": code, **row})
    exec(row["test_setup_code"] + "\n" + code, ns)
    try:
        exec(row["test"], ns)
    except AssertionError:
        return False
    return True


@pytest.mark.parametrize("row, code, verdict", [
    # set-comparison tasks: any order (Mbpp/2); without the dataset, order matters
    ({"task_id": "Mbpp/2", "entry_point": "similar_elements", "inputs": [[[3, 4, 5], [5, 4, 9]]], "expected": [[4, 5]]},
     "def similar_elements(a, b): return (5, 4)", True),
    ({"entry_point": "similar_elements", "inputs": [[[3, 4, 5], [5, 4, 9]]], "expected": [[4, 5]]},
     "def similar_elements(a, b): return [5, 4]", False),
    ({"task_id": "Mbpp/2", "entry_point": "similar_elements", "inputs": [[[3, 4, 5], [5, 4, 9]]], "expected": [[4, 5]]},
     "def similar_elements(a, b): return (5,)", False),
    # "not None" tasks: a bool must match, anything else counts as not None (EvalPlus' MBPP+ oracle)
    ({"evalplus_dataset": "mbpp", "entry_point": "check_str", "inputs": [["annie"], ["dawood"]], "expected": [True, False]},
     "import re\ndef check_str(s): return re.search('^[aeiou]', s)", True),
    ({"evalplus_dataset": "mbpp", "entry_point": "check_str", "inputs": [["annie"]], "expected": [True]},
     "def check_str(s): return False", False),
    # sum_div accepts 0; digit_distance_nums the zero-padded distance; surface_Area the slant-height formula
    ({"task_id": "Mbpp/295", "entry_point": "sum_div", "inputs": [[8]], "expected": [7]}, "def sum_div(n): return 0", True),
    ({"task_id": "Mbpp/295", "entry_point": "sum_div", "inputs": [[8]], "expected": [7]}, "def sum_div(n): return 6", False),
    ({"task_id": "Mbpp/558", "entry_point": "digit_distance_nums", "inputs": [[123, 25]], "expected": [99]},
     "def digit_distance_nums(a, b): return 1 + 0 + 2", True),
    ({"task_id": "Mbpp/581", "entry_point": "surface_Area", "inputs": [[3, 4]], "expected": [33], "atol": 1},
     "def surface_Area(b, h): return 35", True),
    # HumanEval/32: any root of the polynomial
    ({"task_id": "HumanEval/32", "entry_point": "find_zero", "inputs": [[[-6, 11, -6, 1]]], "expected": [1.0], "atol": 1e-6},
     "def find_zero(xs): return 3.0", True),
    ({"task_id": "HumanEval/32", "entry_point": "find_zero", "inputs": [[[-6, 11, -6, 1]]], "expected": [1.0], "atol": 1e-6},
     "def find_zero(xs): return 2.5", False),
])
def test_evalplus_special_oracles(row, code, verdict):
    """EvalPlus 0.3.1's special oracles (evalplus/eval/_special_oracle.py), keyed by function name,
    applied for the row's dataset (from task_id or evalplus_dataset)."""
    assert _evalplus_verdict(row, code) is verdict


def test_evalplus_dataset_must_be_known():
    with pytest.raises(ConventionError, match="evalplus_dataset"):
        apply_convention({"convention": "evalplus", "code": "x", "entry_point": "f", "inputs": [[1]], "expected": [1],
                          "evalplus_dataset": "apps"})


def test_cli_names_file_and_line_of_a_bad_checker(tmp_path):
    from nemo_skills_lite.code_execution import cli

    src = tmp_path / "rows.jsonl"
    src.write_text('{"code": "x", "tests": [{"input": "", "output": ""}]}\n\n'
                   '{"code": "x", "tests": [{"input": "", "output": ""}], "checker": {"language": "rust", "source": "x"}}\n')
    with pytest.raises(NslError, match=re.escape(f"{src}:3: checker: language 'rust' is not valid")):
        cli.main([str(src), str(tmp_path / "out.jsonl")])
    assert not (tmp_path / "out.jsonl").exists()  # nothing written


def test_verify_code_stage_checks_every_row_before_running():
    from nemo_skills_lite.code_execution.verify_task import _check_specs

    rows = [{"code": "x", "tests": STDIN}, {"code": "x", "tests": STDIN, "convention": "atcoder"}]
    with pytest.raises(NslError, match=re.escape("in.jsonl:12: convention 'atcoder' is not valid")):
        _check_specs(rows, [0, 1], 10, "in.jsonl")  # chunk starting at input row 10
