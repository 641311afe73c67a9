"""The prepare_data overrides of the OCR recipe's SFT step, shared by ocr.py and the tests that run the
same filter chain over hand-written solutions.

Every solution is kept whatever its sandbox verdict (the paper found execution filtering hurts); the OCR
post-processing filters drop truncated generations, bad <think> tags, code inside the reasoning, answers
without a final ```python/```cpp block and blocks that tree-sitter cannot parse.
"""

from __future__ import annotations

OCR_FILTERS = ("drop_truncated", "validate_think_tags", "drop_code_in_reasoning", "extract_code_block",
               "check_code_syntax")


def sft_overrides(lang: str, input_glob: str, output: str, rejected: str, tokenizer: str | None) -> list[str]:
    args = [f"++input_files={input_glob}", f"++output_path={output}", f"++rejected_path={rejected}",
            f"++prompt_config=opencodereasoning/{lang}-solution", "++input_key=question", "++output_key=generation",
            "++add_correct=true", "++add_incorrect=true", "++add_unlabeled=true", f"++code_language={lang}",
            "++filters.trim_solutions=false", "++filters.remove_len_outlier_problems=false",
            "++filters.remove_contaminated=false"]
    args += [f"++filters.{f}=true" for f in OCR_FILTERS]
    return args + ([f"++tokenizer={tokenizer}"] if tokenizer else [])
