"""Typed configs of the generation tasks (stdlib only: the login node validates ``++`` overrides with them).

Keys follow NeMo-Skills' ``GenerateSolutionsConfig`` so existing command lines keep working:
``++prompt_config=generic/math ++inference.temperature=0.6 ++inference.tokens_to_generate=16384``.
Parse with ``nemo_skills_lite.utils.overrides.parse_overrides(GenerationConfig, argv)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nemo_skills_lite.utils.errors import NslError

SERVER_TYPES = ("vllm", "sglang", "trtllm", "openai")
ENDPOINT_TYPES = ("chat", "text")
PROMPT_FORMATS = ("ns", "openai")


@dataclass
class ServerConfig:
    server_type: str = "vllm"
    # One URL or several comma-separated replicas (used round-robin). Empty: env NSL_SERVER_URL.
    base_url: str = ""
    model: str = ""  # served model name; empty: the first model the server lists
    api_key: str = "EMPTY"  # for openai endpoints: the env var NSL_API_KEY / OPENAI_API_KEY wins if set
    max_retries: int = 8  # per request, on connection errors, 5xx and timeouts
    retry_backoff_s: float = 0.5  # first backoff; doubles per attempt, capped at 30 s, jittered
    # a row refused for good gets generation "" + error/detailed_error instead of failing the job
    enable_soft_fail: bool = False
    context_limit_retry_strategy: str | None = None  # reduce_generation: retry once with the budget that fits


@dataclass
class InferenceConfig:
    endpoint_type: str = "chat"  # chat: /v1/chat/completions; text: /v1/completions with a chat template
    temperature: float = 0.0
    top_p: float = 0.95
    top_k: int = -1
    min_p: float = 0.0
    random_seed: int = 0
    tokens_to_generate: int = 2048
    repetition_penalty: float = 1.0
    stop_phrases: list[str] | None = None
    num_samples: int = 1  # n completions per prompt (the OpenAI `n`)
    top_logprobs: int | None = None
    timeout: float | None = 14400  # seconds per request (a 16k-token reasoning answer can take long)
    extra_body: dict[str, Any] = field(default_factory=dict)


@dataclass
class GenerationConfig:
    input_file: str = ""
    output_file: str = ""
    prompt_config: str | None = None  # a name under nemo_skills_lite/prompts (generic/math) or a YAML path
    prompt_format: str = "ns"  # ns: fill prompt_config; openai: rows already hold `messages`
    system_message: str | None = None  # overrides the prompt config's system message
    examples_type: str | None = None  # few-shot examples set (prompts/examples/<type>.yaml)
    tokenizer: str | None = None  # local tokenizer folder: its chat template builds text-endpoint prompts
    chat_template_kwargs: dict[str, Any] = field(default_factory=dict)
    server: ServerConfig = field(default_factory=ServerConfig)
    inference: InferenceConfig = field(default_factory=InferenceConfig)
    max_samples: int = -1  # only the first N rows (-1: all)
    skip_filled: bool = False  # keep rows of an existing (unmarked) output_file; -async resume is always on
    max_concurrent_requests: int = 512
    num_chunks: int | None = None
    chunk_id: int | None = None
    generation_key: str = "generation"
    parse_reasoning: bool = False  # split `<think>...</think>` off into reasoning_content
    end_reasoning_string: str = "</think>"
    add_generation_stats: bool = True  # num_generated_tokens, finish_reason, generation_time
    dry_run: bool = False  # print the first filled prompt and exit
    max_row_failures: int = 3  # a row failing this many times in one run fails the job (others finish first)

    def validate(self) -> None:
        where = "generation config"
        if self.server.server_type not in SERVER_TYPES:
            raise NslError(f"{where}: server.server_type={self.server.server_type!r}; valid: {', '.join(SERVER_TYPES)}")
        if self.server.context_limit_retry_strategy not in (None, "reduce_generation"):
            raise NslError(f"{where}: server.context_limit_retry_strategy="
                           f"{self.server.context_limit_retry_strategy!r}; valid: reduce_generation (or unset)")
        if self.inference.endpoint_type not in ENDPOINT_TYPES:
            raise NslError(f"{where}: inference.endpoint_type={self.inference.endpoint_type!r}; valid: chat, text")
        if self.prompt_format not in PROMPT_FORMATS:
            raise NslError(f"{where}: prompt_format={self.prompt_format!r}; valid: ns, openai")
        if not self.dry_run and not self.output_file:
            raise NslError(f"{where}: ++output_file is required")
        if not self.input_file:
            raise NslError(f"{where}: ++input_file is required")
        if self.prompt_format == "ns" and not self.prompt_config:
            raise NslError(f"{where}: ++prompt_config is required with prompt_format=ns (e.g. generic/math)")
        if (self.num_chunks is None) != (self.chunk_id is None):
            raise NslError(f"{where}: give both ++num_chunks and ++chunk_id, or neither")
        if self.num_chunks is not None and not (0 <= (self.chunk_id or 0) < self.num_chunks):
            raise NslError(f"{where}: chunk_id={self.chunk_id} must be in [0, num_chunks={self.num_chunks})")
        if self.max_concurrent_requests < 1:
            raise NslError(f"{where}: max_concurrent_requests must be >= 1, got {self.max_concurrent_requests}")
        if self.inference.num_samples < 1:
            raise NslError(f"{where}: inference.num_samples must be >= 1")


@dataclass
class MathJudgeConfig(GenerationConfig):
    """LLM judge of math answers: ``judgement`` = "...Judgement: Yes|No"; trivial cases skip the LLM."""

    prompt_config: str | None = "judge/math"
    generation_key: str = "judgement"
    # NeMo-Skills style directory inputs: output[-rs{seed}].jsonl in input_dir -> same name in output_dir
    input_dir: str | None = None
    output_dir: str | None = None
    random_seed: int | None = None

    def validate(self) -> None:
        if self.input_dir:
            if self.input_file:
                raise NslError("math_judge config: give ++input_file or ++input_dir, not both")
            if not self.output_dir:
                raise NslError("math_judge config: ++input_dir needs ++output_dir")
            name = "output.jsonl" if self.random_seed is None else f"output-rs{self.random_seed}.jsonl"
            self.input_file = f"{self.input_dir.rstrip('/')}/{name}"
            self.output_file = f"{self.output_dir.rstrip('/')}/{name}"
        super().validate()


@dataclass
class CheckContaminationConfig(GenerationConfig):
    """LLM check of each row against its retrieved ``similar_items``; ``contaminated`` = any says True."""

    prompt_config: str | None = "judge/check-contamination"
    generation_key: str = "contaminated"
    retrieve_key: str = "problem"  # the prompt gets {problem1} (the row) and {problem2} (a similar item)
    check_both_ways: bool = False  # also ask with the two swapped; True if either says True
    top_k: int | None = None  # how many similar items to check (default: all)
