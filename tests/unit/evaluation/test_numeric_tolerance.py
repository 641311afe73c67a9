"""The numeric policy: exact by default (math-verify's 6-decimal float rounding, as NeMo-Skills), and
``numeric_tolerance`` for sets whose graders accept rounded decimals (Qwen2.5-Math's isclose rel 1e-4)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from nemo_skills_lite.configs.evaluation import EvaluateConfig
from nemo_skills_lite.evaluation.math_grader import judge
from nemo_skills_lite.utils.errors import NslError

DATA = Path(__file__).resolve().parents[2] / "data" / "math"


def _j(gt, pred, tol=None):
    return judge(gt, pred, numeric_tolerance=tol, guard="signal", timeout=10)


@pytest.mark.parametrize("gt,pred,tol,equal,status", [
    # exact by default: math-verify rounds floats to 6 decimals, so 6 correct decimals are needed
    ("\\frac{10}{11}", "0.9091", None, False, "symbolic"),
    ("\\frac{10}{11}", "0.909091", None, True, "symbolic"),
    # with a tolerance: |a - x| <= tol*|x| and |a - x| < 10^-d (d = printed decimals)
    ("\\frac{10}{11}", "0.9091", 1e-4, True, "tolerance"),
    ("\\frac{10}{11}", "0.9090", 1e-4, True, "tolerance"),      # truncated: still right in every digit printed
    ("\\frac{10}{11}", "0.91", 1e-4, False, "symbolic"),        # too few digits for 1e-4
    ("\\frac{10}{11}", "0.91", 1e-2, True, "tolerance"),
    ("\\frac{10}{11}", "0.9092", 1e-2, False, "symbolic"),      # last printed digit wrong: rejected at any tol
    ("0.9091", "\\frac{10}{11}", 1e-4, True, "tolerance"),      # rounded gold, exact prediction
    ("\\sqrt{2}", "1.4142", 1e-4, True, "tolerance"),
    ("\\pi", "3.1416", 1e-4, True, "tolerance"),
    ("\\frac{1}{3}", "-0.3333", 1e-4, False, "symbolic"),       # sign matters
    ("0.5", "0.50001", 1e-4, False, "symbolic"),                # both decimals: the gold's digits are exact
    ("0", "0.0001", 1e-2, False, "symbolic"),                   # relative to 0: only 0 itself
    ("\\frac{10}{3}", "3", 1e-1, False, "symbolic"),            # an integer is not a decimal approximation
    ("x+1", "1.5", 1e-2, False, "symbolic"),                    # symbols: no numeric value
    ("\\frac{10}{11}", "\\frac{20}{22}", 1e-4, True, "symbolic"),  # exact answers stay exact
])
def test_numeric_policy(gt, pred, tol, equal, status):
    verdict = _j(gt, pred, tol)
    assert (verdict.equal, verdict.status) == (equal, status)


def test_tolerance_step_runs_inside_the_time_limit():
    start = time.monotonic()
    verdict = judge("10^{10^{10}}", "1.5", numeric_tolerance=1e-4, timeout=1.0, guard="process")
    assert verdict.status == "timeout" and not verdict.equal
    assert time.monotonic() - start < 30  # includes a worker start on a loaded machine; the pair itself is bounded


def test_tolerance_flips_no_verdict_of_the_exact_graders_tables():
    """NeMo-Skills' math_equal table (exact graders) and NeMo-Skills' 150 graded MATH rows: a tolerance of
    1e-4 must not change one verdict there (none of their pairs is a rounded decimal)."""
    peer = [r for r in json.loads((DATA / "peer_grader_tests.json").read_text())
            if r["source"] in ("NVIDIA/NeMo-Skills", "hendrycks/math")]
    pairs = [(r["gold"], r["prediction"]) for r in peer]
    for seed in range(3):
        for line in (DATA / f"nemo_skills_math_output_rs{seed}.jsonl").read_text().splitlines():
            row = json.loads(line)
            pairs.append((row["expected_answer"], row["predicted_answer"]))
    flips = [p for p in pairs if _j(*p).equal != _j(*p, 1e-4).equal]
    assert flips == []


def test_math_verify_precision_row_needs_the_tolerance():
    """Math-Verify's table grades '0.3333' = 1/3 with float_rounding=4 (row 276): exact says no, the
    tolerance that grader uses says yes."""
    row = next(r for r in json.loads((DATA / "peer_grader_tests.json").read_text()) if r["id"] == 276)
    assert row["grader_config"]["precision"] == 4 and row["expected"] is True
    assert not _j(row["gold"], row["prediction"]).equal
    assert _j(row["gold"], row["prediction"], 1e-4).equal


@pytest.mark.parametrize("value", [0, -1e-4, 1, 5])
def test_bad_tolerance_is_a_clear_error(value):
    cfg = EvaluateConfig(input_files="x", numeric_tolerance=value)
    with pytest.raises(NslError, match=r"numeric_tolerance is a relative tolerance in \(0, 1\)"):
        cfg.validate()


@pytest.mark.parametrize("gt,pred,tol,equal", [
    ("(\\frac{1}{3}, \\frac{1}{2})", "(0.3333, 0.5)", 1e-4, True),    # every element an approximation or exact
    ("(\\frac{1}{3}, \\frac{1}{2})", "(0.3333, 0.4)", 1e-4, False),   # one element wrong
    ("(x, \\frac{1}{3})", "(x, 0.3333)", 1e-4, True),                 # exact elements may be symbolic
    ("(\\frac{1}{3}, \\frac{1}{2})", "(0.3333, 0.5, 1)", 1e-4, False),  # length differs
    ("(\\frac{3}{5},\\frac{8}{3}]", "(0.6,2.6667]", 1e-4, True),      # interval with the same ends
    ("(\\frac{3}{5},\\frac{8}{3}]", "[0.6,2.6667]", 1e-4, False),     # closed where the gold is open
    ("\\begin{pmatrix}\\frac{1}{3}\\\\ \\frac{1}{5}\\end{pmatrix}", "\\begin{pmatrix}0.33\\\\0.2\\end{pmatrix}", 1e-2, True),
    ("\\begin{pmatrix}\\frac{1}{3}\\\\ \\frac{1}{5}\\end{pmatrix}", "\\begin{pmatrix}0.33\\\\0.2\\end{pmatrix}", 1e-4, False),
])
def test_tolerance_inside_tuples_intervals_matrices(gt, pred, tol, equal):
    assert not _j(gt, pred).equal
    verdict = _j(gt, pred, tol)
    assert verdict.equal is equal and verdict.status == ("tolerance" if equal else "symbolic")
