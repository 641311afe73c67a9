"""prepare_data's typed config: NeMo-Skills keys, unknown keys and bad values are clear errors."""

from __future__ import annotations

import re

import pytest

from nemo_skills_lite.configs.prepare_data import PrepareDataConfig
from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.overrides import parse_overrides

BASE = ["++input_files=x/*.jsonl", "++output_path=out.jsonl", "++filters.remove_len_outlier_problems=false"]


def parse(*extra: str) -> PrepareDataConfig:
    return parse_overrides(PrepareDataConfig, [*BASE, *extra], where="prepare_data")


def test_seed_recipe_keys_parse():
    cfg = parse_overrides(PrepareDataConfig, [
        "++tokenizer=Qwen/Qwen2.5-32B-Instruct", "++prompt_config=generic/math",
        "++input_files='/workspace/sdg/output-rs*.jsonl'", "++output_path=/workspace/sft.jsonl",
        "++filters.drop_multi_boxed=false", "++filters.trim_prefix=false", "++filters.remove_no_think_tags=true",
        "++filters.remove_contaminated=false", "++filters.remove_len_outlier_solutions=false",
        "++filters.remove_len_outlier_problems=false", "++use_judgement=true"], where="prepare_data")
    assert cfg.filters.remove_no_think_tags is True and cfg.use_judgement is True
    assert cfg.input_files == "/workspace/sdg/output-rs*.jsonl"
    assert cfg.tokenizer_path == "Qwen/Qwen2.5-32B-Instruct"


def test_other_nemo_skills_keys():
    cfg = parse("++majority_filter.min_majority_votes=3", "++filters.majority_filter=true",
                "++downsampling_method=fair", "++num_output_samples=10", "++add_incorrect=true",
                "++filters.drop_incorrect_arithmetic=true", "++filters.drop_incorrect_code_blocks=true",
                "++contamination_file=c.jsonl", "++metadata.dataset=math")
    assert cfg.majority_filter.min_majority_votes == 3 and cfg.num_output_samples == 10
    assert cfg.metadata == {"dataset": "math"}


def test_unknown_filter_key_lists_valid_ones():
    with pytest.raises(NslError, match=r"unknown key 'filters.drop_multiboxed'.*Did you mean 'filters.drop_multi_boxed'"):
        parse("++filters.drop_multiboxed=true")


def test_bad_type_names_key():
    with pytest.raises(NslError, match="filters.trim_prefix"):
        parse("++filters.trim_prefix=maybe")


@pytest.mark.parametrize("extra,msg", [
    (["++downsampling_method=best"], "downsampling_method 'best'"),
    (["++downsampling_method=random"], "needs ++num_output_samples"),
    (["++num_output_samples=5"], "needs ++downsampling_method"),
    (["++output_format=chatml"], "output_format 'chatml'"),
    (["++output_path=out.csv"], "must end in .jsonl or .parquet"),
    (["++filters.remove_len_outlier_solutions=true"], "need ++tokenizer"),
    (["++filters.check_code_syntax=true"], "needs ++filters.extract_code_block=true"),
    (["++add_correct=false"], "nothing would be kept"),
])
def test_invalid_combinations(extra, msg):
    with pytest.raises(NslError, match=re.escape(msg)):
        parse(*extra)


def test_missing_required_keys():
    with pytest.raises(NslError, match="input_files"):
        parse_overrides(PrepareDataConfig, ["++output_path=o.jsonl"], where="prepare_data")
    with pytest.raises(NslError, match="output_path"):
        parse_overrides(PrepareDataConfig, ["++input_files=a.jsonl"], where="prepare_data")
