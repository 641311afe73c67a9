"""Rows a server refuses for good: name the reason, and optionally shrink the generation budget.

NeMo-Skills' ``++server.enable_soft_fail=true``: a row whose request fails for good (a non-retryable
4xx such as a prompt longer than the context, or ``max_row_failures`` failed attempts) is written with
an empty generation and ``error`` / ``detailed_error`` instead of failing the job, so one bad row in a
million does not block a chain. ``++server.context_limit_retry_strategy=reduce_generation`` first
retries a context-limit refusal once with the budget the server says fits.
"""

from __future__ import annotations

import re
from typing import Any

_CONTEXT_PATTERNS = ("maximum context length", "max_model_len", "context length", "context_length_exceeded",
                     "too many tokens", "input_tokens")
# vLLM >= 0.10: "max_tokens=5000 cannot be greater than max_model_len=1024"
_MAX_MODEL_LEN = re.compile(r"max_model_len\s*=\s*(\d+)")
# vLLM < 0.10 / OpenAI: "maximum context length is 1024 tokens. However, you requested 1100 tokens
# (100 in the messages, 1000 in the completion)"
_REQUESTED = re.compile(r"maximum context length is (\d+) tokens.*?\((\d+) in the (?:messages|prompt)", re.S)


def is_context_error(message: str) -> bool:
    low = message.lower()
    return ("http 400" in low or "http 413" in low) and any(p in low for p in _CONTEXT_PATTERNS)


def reduced_budget(message: str, requested: int) -> int | None:
    """The largest max_tokens the server said fits, or None when the prompt alone is too long."""
    m = _REQUESTED.search(message)
    if m:
        budget = int(m.group(1)) - int(m.group(2))
        return budget if 0 < budget < requested else None
    if "input_tokens" in message:  # the prompt alone exceeds the context: no budget helps
        return None
    m = _MAX_MODEL_LEN.search(message)
    if m and int(m.group(1)) < requested:
        return int(m.group(1))  # vLLM caps prompt + output at max_model_len itself
    return None


def failed_row_fields(generation_key: str, message: str) -> dict[str, Any]:
    return {generation_key: "",
            "error": "context_window_exceeded" if is_context_error(message) else "request_failed",
            "detailed_error": message}
