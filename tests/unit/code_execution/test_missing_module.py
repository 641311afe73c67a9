"""Which failed imports are a missing module (its own verdict), and which are the solution's fault."""

from __future__ import annotations

import pytest

from nemo_skills_lite.code_execution.missing_module import from_exception, from_message
from nemo_skills_lite.code_execution.rows import parse_row
from nemo_skills_lite.code_execution.runners import _summarise, classify


@pytest.mark.parametrize("exc, msg, name", [
    ("ModuleNotFoundError", "No module named 'torch'", "torch"),
    ("ImportError", "No module named 'cv2'", "cv2"),
    ("ModuleNotFoundError", "No module named 'numpy.fancy'", None),  # installed package, wrong submodule
    ("ImportError", "cannot import name 'Mapping' from 'collections'", None),
    ("ImportError", "Missing optional dependency 'openpyxl'.  Use pip or conda to install openpyxl.", "openpyxl"),
    ("ModuleNotFoundError", "No module named 'solution'", None),
    ("ValueError", "No module named 'torch'", None),
    ("ModuleNotFoundError", "", None),
])
def test_from_message(exc, msg, name):
    assert from_message(exc, msg) == name


def _raised(src: str) -> BaseException:
    try:
        exec(src, {})
    except BaseException as e:  # noqa: BLE001
        return e
    raise AssertionError("did not raise")


def test_from_exception_follows_the_chain():
    assert from_exception(_raised("import nsl_surely_not_installed_pkg")) == "nsl_surely_not_installed_pkg"
    assert from_exception(_raised("import json.nsl_nope")) is None  # json exists
    chained = _raised("try:\n    import nsl_nope_a\nexcept ImportError as e:\n    raise RuntimeError('wrapped') from e\n")
    assert from_exception(chained) == "nsl_nope_a"
    assert from_exception(_raised("from json import nsl_nope")) is None
    assert from_exception(_raised("1/0")) is None
    assert from_exception(None) is None


def test_classify_missing_module_in_each_row_shape():
    stdin = parse_row({"code": "x", "tests": [{"input": "", "output": "5"}]})
    asserts = parse_row({"code": "x", "test": "assert 1"})
    pyt = parse_row({"code": "x", "test_code": "def test(): pass"})
    exc = {"exit": 1, "cpu": 0.1, "status": {"status": "exception", "phase": "code", "exc": "ModuleNotFoundError",
                                              "msg": "No module named 'torch'"}}
    assert classify(stdin, exc, "5") == ("missing_module", "missing_module: torch")
    assert classify(asserts, exc, None) == ("missing_module", "missing_module: torch")
    sub = {**exc, "status": {**exc["status"], "msg": "No module named 'numpy.x'"}}
    assert classify(stdin, sub, "5")[0] == "runtime_error"
    ran = {"exit": 2, "cpu": 0.1, "status": {"status": "pytest", "rc": 2, "outcomes": [], "missing": ["scipy"]}}
    assert classify(pyt, ran, None) == ("missing_module", "missing_module: scipy")
    passed_anyway = {"exit": 0, "cpu": 0.1, "status": {"status": "pytest", "rc": 0, "outcomes": [], "missing": ["x"]}}
    assert classify(pyt, passed_anyway, None)[0] == "accepted"  # a test that caught the ImportError itself
    row = _summarise(stdin, [{"verdict": "missing_module", "note": "missing_module: torch"}], "missing_module", False)
    assert (row["passed"], row["verdict"], row["missing_module"]) == (False, "missing_module", "torch")
