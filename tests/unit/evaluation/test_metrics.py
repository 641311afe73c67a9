"""Metrics and summarize-results reproduce NeMo-Skills' own fixture numbers and tables."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from nemo_skills_lite.evaluation.metrics import Metrics, pass_at_k
from nemo_skills_lite.evaluation.summarize import main, summarize
from nemo_skills_lite.utils.errors import NslError

FIX = Path(__file__).resolve().parents[2] / "data" / "metrics" / "nemo_skills_eval_outputs"


def _same(ours, theirs, path=""):
    if isinstance(theirs, dict):
        assert set(ours) == set(theirs), f"{path}: keys differ {set(ours) ^ set(theirs)}"
        for k in theirs:
            _same(ours[k], theirs[k], f"{path}/{k}")
    elif isinstance(theirs, float) or isinstance(ours, float):
        assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-9), f"{path}: {ours} != {theirs}"
    else:
        assert ours == theirs, f"{path}: {ours} != {theirs}"


@pytest.mark.parametrize("max_seq_len,metrics_file,table_file", [
    (None, "metrics.json", "summarize_results_output.txt"),
    (8192, "metrics-ms8192.json", "summarize_results_output-ms8192.txt"),
])
def test_fixture_numbers_and_tables(max_seq_len, metrics_file, table_file):
    ours, text = summarize(FIX / "eval-results", max_seq_len=max_seq_len)
    expected = json.loads((FIX / metrics_file).read_text())
    assert sorted(ours) == ["answer-judge", "gpqa", "hendrycks_math", "hendrycks_math-aime24", "hendrycks_math-aime25",
                            "human-eval", "ifeval", "minif2f"]
    for name in ours:
        _same(ours[name], expected[name], name)
    tables = [b for b in text.split("\n\n\n") if b.strip()]
    expected_text = (FIX / table_file).read_text()
    if max_seq_len:
        assert tables[0].splitlines()[0].strip("-").strip() == f"Metrics for Max Sequence Length {max_seq_len}"
        tables[0] = tables[0].split("\n", 1)[1]
    for table in tables:
        assert table in expected_text, table


def test_cli_writes_metrics_json(tmp_path, capsys):
    shutil.copytree(FIX / "eval-results" / "gpqa", tmp_path / "gpqa")
    assert main([str(tmp_path)]) == 0
    assert "pass@1[avg-of-4] | 4           | 5363       | 50.00% ± 20.41%  | 6.25%" in capsys.readouterr().out
    assert json.loads((tmp_path / "metrics.json").read_text())["gpqa"]["pass@4"]["symbolic_correct"] == 75.0


def test_pass_at_k_estimator():
    assert pass_at_k(4, 0, 2) == 0.0
    assert pass_at_k(4, 4, 1) == 1.0
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)  # 1 - C(3,2)/C(4,2)
    assert pass_at_k(5, 2, 3) == pytest.approx(1 - 1 / 10)


def test_majority_ties_average_and_no_answer():
    m = Metrics("math")
    m.update([{"predicted_answer": "1", "symbolic_correct": True}, {"predicted_answer": "2", "symbolic_correct": False}])
    m.update([{"predicted_answer": None, "symbolic_correct": False}] * 2)
    out = m.get_metrics()
    assert out["majority@2"]["symbolic_correct"] == pytest.approx(25.0)  # tie (0.5) + 0, over 2 problems
    assert out["majority@2"]["no_answer"] == pytest.approx(50.0)
    assert out["pass@1[avg-of-2]"]["no_answer"] == pytest.approx(50.0)


def test_uneven_seed_files_are_a_clear_error(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "output-rs0.jsonl").write_text('{"predicted_answer": "1", "symbolic_correct": true}\n')
    (tmp_path / "b" / "output-rs1.jsonl").write_text("")
    with pytest.raises(NslError, match="different row counts"):
        summarize(tmp_path)
    with pytest.raises(NslError, match="results folder not found"):
        summarize(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(NslError, match="no benchmark results"):
        summarize(tmp_path / "empty")


def test_single_greedy_output(tmp_path):
    (tmp_path / "gsm8k").mkdir()
    rows = [{"predicted_answer": "1", "symbolic_correct": True, "num_generated_tokens": 10},
            {"predicted_answer": None, "symbolic_correct": False, "num_generated_tokens": 30}]
    (tmp_path / "gsm8k" / "output.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    metrics, text = summarize(tmp_path)
    assert metrics["gsm8k"]["greedy"] == {"num_entries": 2, "avg_tokens": 20, "symbolic_correct": 50.0, "no_answer": 50.0}
    assert "greedy          | 2           | 20         | 50.00%           | 50.00%" in text
