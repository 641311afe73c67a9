"""Typed generation config: NeMo-Skills keys, ++ overrides, clear errors."""

from __future__ import annotations

import pytest

from nemo_skills_lite.configs.generation import CheckContaminationConfig, GenerationConfig, MathJudgeConfig
from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.overrides import parse_overrides, valid_keys

from .conftest import run_module

BASE = ["++input_file=in.jsonl", "++output_file=out.jsonl", "++prompt_config=generic/math"]


def test_nemo_skills_keys_parse_typed():
    cfg = parse_overrides(GenerationConfig, BASE + [
        "++inference.temperature=0.6", "++inference.tokens_to_generate=16384", "++inference.random_seed=3",
        "++inference.endpoint_type=text", "++inference.stop_phrases=[STOP,END]", "++inference.extra_body.foo=1",
        "++server.base_url=http://a:1,http://b:2", "++max_concurrent_requests=8", "++num_chunks=4", "++chunk_id=3",
        "++parse_reasoning=true", "++chat_template_kwargs.enable_thinking=false", "++skip_filled=true"])
    assert cfg.inference.temperature == 0.6 and cfg.inference.tokens_to_generate == 16384
    assert cfg.inference.stop_phrases == ["STOP", "END"] and cfg.inference.extra_body == {"foo": 1}
    assert cfg.chat_template_kwargs == {"enable_thinking": False} and cfg.parse_reasoning is True
    assert cfg.max_concurrent_requests == 8 and (cfg.num_chunks, cfg.chunk_id) == (4, 3)
    for key in ["input_file", "output_file", "prompt_config", "prompt_format", "system_message", "examples_type",
                "tokenizer", "server.server_type", "server.base_url", "server.model", "inference.top_k",
                "inference.min_p", "inference.repetition_penalty", "inference.timeout", "max_samples",
                "generation_key", "end_reasoning_string", "add_generation_stats", "dry_run"]:
        assert key in valid_keys(GenerationConfig)
    assert GenerationConfig().max_concurrent_requests == 512


def test_unknown_key_lists_valid_keys():
    with pytest.raises(NslError) as e:
        parse_overrides(GenerationConfig, BASE + ["++inference.temprature=0.6"])
    msg = str(e.value)
    assert "inference.temprature" in msg and "inference.temperature" in msg and "Valid keys" in msg


@pytest.mark.parametrize("override,needle", [
    ("++server.server_type=tgi", "server_type"),
    ("++inference.endpoint_type=stream", "endpoint_type"),
    ("++chunk_id=5", "num_chunks"),
    ("++max_concurrent_requests=0", "max_concurrent_requests"),
])
def test_bad_values_are_named(override, needle):
    extra = ["++num_chunks=2"] if "chunk_id" in override else []
    with pytest.raises(NslError, match=needle):
        parse_overrides(GenerationConfig, BASE + extra + [override])


def test_judge_configs_defaults_and_input_dir():
    cfg = parse_overrides(MathJudgeConfig, ["++input_dir=/a/sol", "++output_dir=/a/judged", "++random_seed=3"])
    assert cfg.input_file == "/a/sol/output-rs3.jsonl" and cfg.output_file == "/a/judged/output-rs3.jsonl"
    assert cfg.prompt_config == "judge/math" and cfg.generation_key == "judgement"
    cc = parse_overrides(CheckContaminationConfig, ["++input_file=a", "++output_file=b", "++top_k=3"])
    assert cc.generation_key == "contaminated" and cc.prompt_config == "judge/check-contamination"


def test_cli_prints_error_without_traceback():
    r = run_module("nemo_skills_lite.inference.generate", *BASE, "++inference.bogus=1")
    assert r.returncode == 2
    assert "unknown key 'inference.bogus'" in r.stderr and "Traceback" not in r.stderr
