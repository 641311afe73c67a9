"""The in-job grading entry point (math: real math-verify workers; code: the real sandbox)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.common import require
from nemo_skills_lite.configs.evaluation import EvaluateConfig
from nemo_skills_lite.evaluation.evaluate import main
from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.overrides import parse_overrides

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data"


def _ungraded(tmp_path: Path) -> list[list[dict]]:
    graded = []
    for s in range(3):
        rows = [json.loads(x) for x in (DATA / "math" / f"nemo_skills_math_output_rs{s}.jsonl").read_text().splitlines()]
        graded.append(rows)
        with open(tmp_path / f"output-rs{s}.jsonl", "w") as f:
            for r in rows:
                f.write(json.dumps({k: v for k, v in r.items() if k not in ("predicted_answer", "symbolic_correct")}) + "\n")
    return graded


def test_math_grading_in_place_then_summarize(tmp_path):
    reference = _ungraded(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "nemo_skills_lite.evaluation.evaluate",
                           f"++input_files={tmp_path}/output-rs*.jsonl", "++eval_type=math", "++workers=2"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "finished 50 rows" in proc.stderr and "correct; decided by" in proc.stderr
    differ = 0
    for s in range(3):
        rows = [json.loads(x) for x in (tmp_path / f"output-rs{s}.jsonl").read_text().splitlines()]
        assert len(rows) == 50 and not list(tmp_path.glob(".*.tmp"))
        for ours, ref in zip(rows, reference[s]):
            assert ours["problem"] == ref["problem"]  # every input key kept
            differ += ours["symbolic_correct"] != ref["symbolic_correct"]
    assert differ == 3  # the documented grader improvements: fbox extraction + 2 pairs (see test_math_grader)
    proc = subprocess.run([sys.executable, "-m", "nemo_skills_lite.evaluation.summarize", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "majority@3" in proc.stdout and (tmp_path / "metrics.json").exists()


def test_bad_overrides_and_inputs_are_clear_errors(tmp_path):
    with pytest.raises(NslError, match="unknown key 'timout'.*Did you mean 'timeout'"):
        parse_overrides(EvaluateConfig, ["++input_files=x", "++timout=3"], where="evaluate")
    with pytest.raises(NslError, match="eval_type='lean'"):
        main(["++input_files=x", "++eval_type=lean"])
    with pytest.raises(NslError, match="matches no file"):
        main([f"++input_files={tmp_path}/nothing-*.jsonl"])
    (tmp_path / "output-rs0.jsonl").write_text('{"generation": "\\\\boxed{1}"}\n')
    with pytest.raises(NslError, match=r"output-rs0.jsonl:1: no 'expected_answer'"):
        main([f"++input_files={tmp_path}/output-rs0.jsonl"])
    assert (tmp_path / "output-rs0.jsonl").read_text() == '{"generation": "\\\\boxed{1}"}\n'  # untouched


@pytest.mark.sandbox
def test_code_grading_with_the_sandbox(tmp_path):
    require(shutil.which("bwrap") is not None, "bubblewrap for the code sandbox")
    from nemo_skills_lite.benchmarks.prepare import prepare
    out, _ = prepare("human-eval", source_dir=DATA / "benchmarks", output_dir=tmp_path / "data")
    import gzip
    canonical = [json.loads(x) for x in gzip.open(DATA / "benchmarks" / "code" / "HumanEval.jsonl.gz", "rt")][:2]
    rows = [json.loads(x) for x in out.read_text().splitlines()][:2]
    rows[0]["generation"] = f"```python\n{canonical[0]['prompt']}{canonical[0]['canonical_solution']}```"
    rows[1]["generation"] = f"```python\n{canonical[1]['prompt']}    return []\n```"
    path = tmp_path / "output-rs0.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main([f"++input_files={path}", "++eval_type=code", "++workers=2"]) == 0
    graded = [json.loads(x) for x in path.read_text().splitlines()]
    assert [r["is_correct"] for r in graded] == [True, False]


def test_extraction_switches_tolerance_and_path_counts(tmp_path, capsys):
    """The NeMo-Skills generations (25 of 150 without a box) plus two rounded-decimal rows: the switches
    reach the extraction, every row records its path, the closing line and metrics.json count them."""
    rows = [json.loads(x) for s in range(3)
            for x in (DATA / "math" / f"nemo_skills_math_output_rs{s}.jsonl").read_text().splitlines()][:50]
    rows += [{"problem": "10/11 to 4 places?", "expected_answer": "\\frac{10}{11}",
              "generation": "10/11 = 0.90909..., so the answer is 0.9091."},
             {"problem": "10/11 to 2 places?", "expected_answer": "\\frac{10}{11}", "generation": "about 0.91"}]
    ns_boxed = sum(r.get("predicted_answer") is not None for r in rows)  # NeMo-Skills' own extraction
    for r in rows:
        r.pop("predicted_answer", None), r.pop("symbolic_correct", None)
    path = tmp_path / "output-rs0.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main([f"++input_files={path}", "++workers=2", "++extract_phrases=true", "++extract_last_number=true",
                 "++numeric_tolerance=1e-4"]) == 0
    graded = [json.loads(x) for x in path.read_text().splitlines()]
    counts: dict[str, int] = {}
    for r in graded:
        counts[r["extraction_path"]] = counts.get(r["extraction_path"], 0) + 1
    assert set(counts) <= {"boxed", "phrase", "last_number", "none"} and ns_boxed <= counts["boxed"] <= ns_boxed + 1  # + \\fbox
    assert (graded[-2]["predicted_answer"], graded[-2]["extraction_path"], graded[-2]["symbolic_correct"]) == \
        ("0.9091", "phrase", True)
    assert (graded[-1]["predicted_answer"], graded[-1]["extraction_path"], graded[-1]["symbolic_correct"]) == \
        ("0.91", "last_number", False)
    err = capsys.readouterr().err
    assert "tolerance=1" in err
    assert "answers extracted by " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) in err
    from nemo_skills_lite.evaluation.summarize import summarize
    metrics, text = summarize(tmp_path)
    assert metrics[tmp_path.name]["answer_extraction"] == dict(sorted(counts.items()))
    assert "answer extraction: boxed=" in text
