"""Typed config of ``prepare_data`` (stdlib only, so the login node can validate ``++`` overrides).

Key names and defaults follow NeMo-Skills' ``math_sft.yaml`` so existing recipes run unchanged:
``++input_files``, ``++output_path``, ``++prompt_config``, ``++tokenizer``, ``++filters.<name>``,
``++use_judgement``, ``++add_correct`` ... The OpenCodeReasoning post-processing steps are extra
``filters.*`` keys that default to off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nemo_skills_lite.utils.errors import NslError

DOWNSAMPLING_METHODS = (None, "random", "fair")
CHAT_FORMATS = (None, "nemotron", "llama")
CODE_TEXT_FILTERS = (None, "all", "majority_code", "majority_text", "any_code")
# NeMo-Skills' nemo_skills/prompt/code_tags/*.yaml: the text that opens a code block to execute
CODE_TAGS = {"openmath": "<tool_call>", "nemotron": "<llm-code>\n", "qwen": "```python\n",
             "llama3": "<|python_tag|>", "nemotron-tool": "<TOOLCALL>",
             "gpt-oss-cpp": "<|start|>assistant<|channel|>analysis to=cpp code<|message|>"}
OUTPUT_FORMATS = ("sft", "messages", "rl")
CODE_LANGUAGES = ("any", "python", "cpp")


@dataclass
class MajorityFilterConfig:
    min_majority_votes: int = 0  # drop rows whose majority answer got fewer votes
    min_majority_percentage: float = 0.0  # ... or a smaller share of total_votes


@dataclass
class FiltersConfig:
    # NeMo-Skills filters (same names and meanings)
    drop_multi_boxed: bool = False
    trim_prefix: bool = False
    trim_solutions: bool = True
    remove_no_think_tags: bool = False
    remove_contaminated: bool = True  # needs contamination_file; skipped with a warning without one
    remove_len_outlier_problems: bool = True  # needs tokenizer
    remove_len_outlier_solutions: bool = False  # needs tokenizer
    remove_code_errors: bool = False
    remove_matplotlib: bool = False
    remove_verification_code: bool = False
    majority_filter: bool = False
    drop_incorrect_code_blocks: bool = False
    drop_incorrect_arithmetic: bool = False
    split_arithmetic: bool = False  # '1 + 2 + 3 = 6' -> '1 + 2 + 3 = 3 + 3 = 6'
    remove_no_code: bool = False  # drop solutions without both <tool_call> and </tool_call>
    code_text_filter: str | None = None  # per problem: all, majority_code, majority_text or any_code (needs code_tags)
    # OpenCodeReasoning post-processing (off by default)
    validate_think_tags: bool = False  # both tags ok; only </think> -> prepend <think>; neither -> drop
    drop_code_in_reasoning: bool = False  # a fenced block inside <think>...</think> -> drop
    extract_code_block: bool = False  # keep the row only if the answer has a final ```python/```cpp block
    check_code_syntax: bool = False  # tree-sitter parse of the extracted block must succeed
    drop_truncated: bool = False  # finish_reason == "length" -> drop


@dataclass
class PrepareDataConfig:
    input_files: str | None = None  # glob(s), comma/space separated: jsonl, parquet or HF datasets folders
    preprocessed_dataset_files: str | None = None  # rows used as-is (no correctness selection)
    output_path: str | None = None  # .jsonl or .parquet
    prompt_config: str | None = None  # e.g. generic/math or a YAML path
    prompt_template: str | None = None  # accepted for NeMo-Skills compatibility; the tokenizer's chat template is used
    tokenizer: str | None = None  # HF tokenizer path/name: chat template, end-of-turn token, token lengths
    hf_model_name: str | None = None  # older NeMo-Skills name for `tokenizer`
    system_message: str | None = None  # overrides the prompt config's system message

    input_key: str = "problem"
    output_key: str = "generation"
    skip_first: int = 0
    add_correct: bool = True
    add_incorrect: bool = False
    add_unlabeled: bool = False
    use_judgement: bool = False  # correctness from `judgement` ("Judgement: Yes") instead of symbolic_correct
    add_code_execution_counts: bool = False  # add `total_code_executions` (the solution's code-execution budget)
    deduplicate: bool = True  # drop repeated (input, output) pairs

    contamination_file: str | None = None  # rows {<input_key>, contaminated: bool}
    min_problem_length: int = 0
    max_problem_length: int = 1024
    min_solution_length: int = 0
    max_solution_length: int = 2048
    use_chars_for_min_length: bool = False

    majority_filter: MajorityFilterConfig = field(default_factory=MajorityFilterConfig)
    filters: FiltersConfig = field(default_factory=FiltersConfig)
    code_language: str = "any"  # for the OCR code steps: any, python or cpp

    downsampling_method: str | None = None  # null, random or fair
    num_output_samples: int | None = None
    random_seed: int = 42
    do_shuffle: bool = True

    output_format: str = "sft"  # sft (input/output strings), messages (chat list) or rl (prompt + expected_answer)
    chat_format: str | None = None  # sft only: null (input/output), nemotron or llama (NeMo `conversations` rows)
    code_tags: str | None = None  # code_text_filter: openmath, nemotron, qwen, llama3, ... or a YAML with code_begin
    exclude_optional_keys: bool = True  # keep only input/output/expected_answer (+ metadata)
    metadata: dict[str, Any] = field(default_factory=dict)

    rejected_path: str | None = None  # write dropped rows with `drop_reason` here (jsonl)
    report_dir: str | None = None  # funnel report (txt + json + png); default: next to output_path
    workers: int = 0  # processes for the filter chain; 0 = one per core (max 8), 1 for inputs < 32 MB
    batch_size: int = 2000

    def validate(self) -> None:
        if not self.input_files and not self.preprocessed_dataset_files:
            raise NslError("prepare_data: set ++input_files=GLOB (or ++preprocessed_dataset_files=GLOB)")
        if not self.output_path:
            raise NslError("prepare_data: set ++output_path=FILE.jsonl (or .parquet)")
        if not str(self.output_path).endswith((".jsonl", ".parquet")):
            raise NslError(f"prepare_data: output_path '{self.output_path}' must end in .jsonl or .parquet")
        if self.downsampling_method not in DOWNSAMPLING_METHODS:
            raise NslError(f"prepare_data: downsampling_method '{self.downsampling_method}' is not valid; "
                           "valid: null, random, fair")
        if self.downsampling_method is not None and self.num_output_samples is None:
            raise NslError(f"prepare_data: downsampling_method={self.downsampling_method} needs ++num_output_samples=N")
        if self.downsampling_method is None and self.num_output_samples is not None:
            raise NslError("prepare_data: num_output_samples needs ++downsampling_method=random or fair")
        if self.output_format not in OUTPUT_FORMATS:
            raise NslError(f"prepare_data: output_format '{self.output_format}' is not valid; "
                           f"valid: {', '.join(OUTPUT_FORMATS)}")
        if (self.chat_format.lower() if isinstance(self.chat_format, str) else None) not in CHAT_FORMATS:
            raise NslError(f"prepare_data: chat_format '{self.chat_format}' is not valid; valid: null (input/output "
                           "rows rendered with ++tokenizer's chat template), nemotron, llama")
        if self.chat_format is not None and self.output_format != "sft":
            raise NslError(f"prepare_data: chat_format={self.chat_format} writes SFT conversations; it needs "
                           f"output_format=sft (got {self.output_format})")
        if self.filters.code_text_filter not in CODE_TEXT_FILTERS:
            raise NslError(f"prepare_data: filters.code_text_filter '{self.filters.code_text_filter}' is not valid; "
                           f"valid: null, {', '.join(CODE_TEXT_FILTERS[1:])}")
        if self.filters.code_text_filter is not None and not self.code_tags:
            raise NslError(f"prepare_data: filters.code_text_filter needs ++code_tags=NAME ({', '.join(CODE_TAGS)}) "
                           "or a YAML path with code_begin, to tell code solutions from text ones")
        if self.code_language not in CODE_LANGUAGES:
            raise NslError(f"prepare_data: code_language '{self.code_language}' is not valid; "
                           f"valid: {', '.join(CODE_LANGUAGES)}")
        if self.input_files and not (self.add_correct or self.add_incorrect or self.add_unlabeled):
            raise NslError("prepare_data: add_correct, add_incorrect and add_unlabeled are all false; "
                           "nothing would be kept")
        f = self.filters
        if (f.remove_len_outlier_problems or f.remove_len_outlier_solutions) and not self.tokenizer_path:
            raise NslError("prepare_data: filters.remove_len_outlier_problems/solutions count tokens and need "
                           "++tokenizer=PATH; set ++filters.remove_len_outlier_problems=false "
                           "++filters.remove_len_outlier_solutions=false to skip them")
        if f.check_code_syntax and not f.extract_code_block:
            raise NslError("prepare_data: filters.check_code_syntax needs ++filters.extract_code_block=true")

    @property
    def tokenizer_path(self) -> str | None:
        return self.tokenizer or self.hf_model_name
