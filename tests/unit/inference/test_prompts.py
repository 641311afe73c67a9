"""Prompt configs: shipped YAMLs load and fill; missing fields and bad names are clear errors."""

from __future__ import annotations

import pytest

from nemo_skills_lite.inference.prompts import PROMPTS_DIR, Prompt, load_prompt_config, template_fields
from nemo_skills_lite.utils.errors import NslError

SHIPPED = {
    "generic/math": {"problem"},
    "generic/default": {"prompt"},
    "generic/codegen": {"question"},
    "generic/science-mcq": {"problem"},
    "judge/math": {"problem", "predicted_answer", "expected_answer"},
    "judge/check-contamination": {"problem1", "problem2"},
    "opencodereasoning/python-solution": {"question", "io_format"},
    "opencodereasoning/cpp-solution": {"question"},
    "opencodereasoning/reasoning-patterns-initial": {"reasoning"},
    "opencodereasoning/reasoning-patterns-final": {"reasoning"},
    "science/question-generation": {"difficulty", "topic", "subtopic"},
    "science/question-augmentation": {"problem"},
    "kodcode/question-zero-shot": {"topic", "subtopic", "focus"},
    "kodcode/question-from-question": {"seed_question"},
    "kodcode/question-from-snippet": {"snippet"},
    "kodcode/question-from-doc": {"package", "doc"},
    "kodcode/solution-and-tests": {"question"},
    "kodcode/style-to-stdin": {"question", "solution", "test_code"},
    "kodcode/style-to-function": {"question", "solution", "tests_json"},
}


@pytest.mark.parametrize("name,fields", SHIPPED.items())
def test_shipped_prompts_fill(name, fields):
    cfg = load_prompt_config(name)
    assert template_fields(cfg.user) - {"examples"} == fields
    row = {f: f"<{f}>" for f in fields}
    msgs = Prompt(cfg).messages(row)
    assert msgs[-1]["role"] == "user"
    for f in fields:
        assert f"<{f}>" in msgs[-1]["content"]
        assert "{" + f + "}" not in msgs[-1]["content"]  # no unfilled slot left


def test_math_prompt_asks_for_boxed_and_examples():
    p = Prompt(load_prompt_config("generic/math"), examples_type="math_basic", system_message="Be brief.")
    msgs = p.messages({"problem": "What is 1+1?"})
    assert msgs[0] == {"role": "system", "content": "Be brief."}
    assert "\\boxed{}" in msgs[1]["content"] and "\\boxed{14}" in msgs[1]["content"]
    assert msgs[1]["content"].rstrip().endswith("What is 1+1?")


def test_missing_field_names_field_and_row():
    with pytest.raises(NslError) as e:
        Prompt(load_prompt_config("judge/math")).messages({"problem": "p", "expected_answer": "1"}, "row 7")
    assert "predicted_answer" in str(e.value) and "row 7" in str(e.value) and "judge/math" in str(e.value)


def test_unknown_prompt_lists_available():
    with pytest.raises(NslError) as e:
        load_prompt_config("generic/maths")
    assert "generic/math" in str(e.value)


def test_prompt_by_path_and_unknown_key(tmp_path):
    good = tmp_path / "p.yaml"
    good.write_text("system: sys {topic}\nuser: 'Q: {q} {{literal}}'\n")
    msgs = Prompt(load_prompt_config(str(good))).messages({"q": "x", "topic": "t"})
    assert msgs == [{"role": "system", "content": "sys t"}, {"role": "user", "content": "Q: x {literal}"}]
    bad = tmp_path / "bad.yaml"
    bad.write_text("user: hi\nsystm: oops\n")
    with pytest.raises(NslError, match="systm"):
        load_prompt_config(str(bad))


def test_text_endpoint_uses_tokenizer_chat_template(tiny_model_dir):
    p = Prompt(load_prompt_config("generic/math"), tokenizer=str(tiny_model_dir))
    text = p.text({"problem": "What is 2+2?"})
    assert text.startswith("<|im_start|>user\n") and text.endswith("<|im_start|>assistant\n")
    assert "What is 2+2?" in text


def test_text_endpoint_without_tokenizer_is_clear():
    with pytest.raises(NslError, match="tokenizer"):
        Prompt(load_prompt_config("generic/math")).text({"problem": "x"})


def test_all_prompt_files_are_covered():
    names = {str(p.relative_to(PROMPTS_DIR).with_suffix("")) for p in PROMPTS_DIR.rglob("*.yaml")
             if p.parts[-2] != "examples"}
    assert names == set(SHIPPED)


def test_defaults_fill_fields_a_row_leaves_out():
    p = Prompt(load_prompt_config("opencodereasoning/python-solution"))
    plain = p.messages({"question": "Add two numbers."})[-1]["content"]
    assert "reads from standard input and writes to standard output" in plain
    own = p.messages({"question": "q", "io_format": "Define twoSum(nums, target)."})[-1]["content"]
    assert "Define twoSum(nums, target)." in own and "standard input" not in own
