"""Answer extraction paths, their switches and defaults (NeMo-Skills: the last \\boxed{} only)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from nemo_skills_lite.configs.evaluation import EvaluateConfig
from nemo_skills_lite.evaluation.answer_extraction import (DEFAULT_EXTRACT_REGEX, extract_answer,
                                                           extract_answer_path)

DATA = Path(__file__).resolve().parents[2] / "data" / "math"
ALL_ON = {"join_boxes": True, "extract_phrases": True, "extract_mcq_letter": True, "extract_last_math": True,
          "extract_last_number": True}


def test_defaults_follow_nemo_skills():
    """NeMo-Skills' MathEvaluatorConfig: extract_from_boxed=True, extract_regex='The final answer is (.+)$',
    no other extraction; exact numbers (no tolerance)."""
    cfg = EvaluateConfig()
    assert (cfg.extract_from_boxed, cfg.extract_regex) == (True, "The final answer is (.+)$")
    assert DEFAULT_EXTRACT_REGEX == cfg.extract_regex
    assert (cfg.join_boxes, cfg.extract_phrases, cfg.extract_mcq_letter, cfg.extract_last_math,
            cfg.extract_last_number) == (False, False, False, False, False)
    assert cfg.numeric_tolerance is None
    # and the function's own defaults are the config's
    defaults = {f.name: f.default for f in dataclasses.fields(EvaluateConfig)}
    import inspect
    params = inspect.signature(extract_answer_path).parameters
    for name in ("extract_from_boxed", "extract_regex", "join_boxes", "extract_phrases", "extract_mcq_letter",
                 "extract_last_math", "extract_last_number"):
        assert params[name].default == defaults[name], name
    text = "We get 7.\nThe final answer is 7. Answer: 7\n#### 7"
    assert extract_answer_path(text) == (None, "none")  # no box: nothing, like NeMo-Skills


@pytest.mark.parametrize("text,switches,expected", [
    # boxed (default path)
    ("so \\boxed{1} and \\boxed{\\frac{1}{2}}.", {}, ("\\frac{1}{2}", "boxed")),
    # NeMo-Skills: extract_from_boxed=False uses extract_regex instead (the box is ignored)
    ("\\boxed{3}\nThe final answer is $5$. I hope it is correct.", {"extract_from_boxed": False}, ("5", "regex")),
    ("Final answer: 12", {"extract_from_boxed": False, "extract_regex": r"Final answer: (.+)$"}, ("12", "regex")),
    # phrases (lm-eval minerva, Qwen2.5-Math "the answer is", GSM8K "####", "Answer:")
    ("Final Answer: The final answer is $28\\%$. I hope it is correct.", {"extract_phrases": True}, ("28\\%", "phrase")),
    ("The final answer is 7.\nThe final answer is 9.", {"extract_phrases": True}, ("9", "phrase")),
    ("Natalia sold 48/2 = 24 clips.\n#### 72", {"extract_phrases": True}, ("72", "phrase")),
    ("Therefore, the answer is $\\frac{1}{2}$ meters.", {"extract_phrases": True}, ("\\frac{1}{2}", "phrase")),
    ("**Answer:** 42", {"extract_phrases": True}, ("42", "phrase")),
    ("Thus, the answer is:\n\\[ \\frac{207}{64} \\]", {"extract_phrases": True}, ("\\frac{207}{64}", "phrase")),
    ("So, the final answer", {"extract_phrases": True}, (None, "none")),  # cut off before the answer
    # last number (lm-eval gsm8k flexible-extract); thousands separators dropped
    ("She pays 3 + 4 = 7 dollars, so 1,234 in total.", {"extract_last_number": True}, ("1234", "last_number")),
    ("-3.5 is the root", {"extract_last_number": True}, ("-3.5", "last_number")),
    ("no digits at all", {"extract_last_number": True}, (None, "none")),
    # order: boxed beats every fallback; a phrase beats the last number
    ("The answer is 5. \\boxed{6} then 7", ALL_ON, ("6", "boxed")),
    ("The answer is 5, checked with 7 and 8", {**ALL_ON, "extract_mcq_letter": False}, ("5, checked with 7 and 8", "phrase")),
    # a box cut off by the token limit: a truncated generation, no fallback guesses
    ("The answer is 5, so \\boxed{\\frac{1}{", ALL_ON, (None, "none")),
    # join_boxes (Math-Verify): boxes that only commas / "and" / "or" / math delimiters separate
    ("so \\(\\boxed{1}\\) and \\(\\boxed{-2}\\).", {"join_boxes": True}, ("1, -2", "boxes")),
    ("\\[\n\\boxed{(1, 2)}, \\boxed{(2, 1)}\n\\]", {"join_boxes": True}, ("(1, 2), (2, 1)", "boxes")),
    ("\\fbox{3}, or \\boxed{\\frac{1}{2}}", {"join_boxes": True}, ("3, \\frac{1}{2}", "boxes")),
    ("\\boxed{1} papers, then \\boxed{2}", {"join_boxes": True}, ("2", "boxed")),  # prose between: last box
    ("so \\boxed{1} and \\boxed{-2}.", {}, ("-2", "boxed")),  # NeMo-Skills default: the last box only
    # last_math (Math-Verify's LaTeX extraction), adjacent environments joined
    ("Here is a zero matrix: $ \\begin{pmatrix}0 \\end{pmatrix} $", {"extract_last_math": True},
     ("\\begin{pmatrix}0 \\end{pmatrix}", "last_math")),
    ("The roots are $1$, $2$ and $3$.", {"extract_last_math": True}, ("1, 2, 3", "last_math")),
    ("We get $x=1$ here, so finally \\[ y = 2 \\]", {"extract_last_math": True}, ("y = 2", "last_math")),
    ("so the answer is 4.\nCheck: $x=4$", {"extract_phrases": True, "extract_last_math": True}, ("4", "phrase")),
    # a phrase's value after "is", and a prose answer with one number
    ("Final Answer: The largest $n$ is 34.", {"extract_phrases": True}, ("34", "phrase")),
    ("The answer is: Jane started growing it 3 hours ago.", {"extract_phrases": True}, ("3", "phrase")),
    # a generation that ran past its turn is cut at the chat template's tokens (fallbacks on)
    ("The answer is 12,000,023. I hope it is correct. <|im_start|>user\n\\boxed{5}", ALL_ON, ("12,000,023", "phrase")),
    ("The answer is 12,000,023. <|im_start|>user\n\\boxed{5}", {}, ("5", "boxed")),  # NeMo-Skills default
])
def test_extraction_paths(text, switches, expected):
    assert extract_answer_path(text, **switches) == expected


@pytest.mark.parametrize("text,mcq,expected", [
    ("... so the correct option is\nAnswer: C", True, ("C", "mcq_letter")),          # NeMo-Skills eval_mcq regex
    ("**Answer:** (B) because ...", True, ("B", "mcq_letter")),
    ("the value is \\boxed{\\text{(B) } 12}", True, ("B", "mcq_letter")),              # reduced to its letter
    ("\\boxed{D}", True, ("D", "boxed")),                                              # already a letter
    ("Answer: C", False, (None, "none")),                                              # not an MCQ row
    ("\\boxed{\\text{(B) } 12}", False, ("\\text{(B) } 12", "boxed")),
])
def test_mcq_letter_path_only_for_letter_rows(text, mcq, expected):
    assert extract_answer_path(text, extract_mcq_letter=True, mcq=mcq) == expected


def test_fallbacks_never_change_a_boxed_answer_on_nemo_skills_generations():
    """150 real generations (NeMo-Skills fixtures): the default reproduces NeMo-Skills'
    predicted_answer (except \\fbox, see test_math_grader); with every fallback on, rows that had a box
    keep exactly that answer, and only box-less rows get a fallback path."""
    fired = {}
    for seed in range(3):
        for line in (DATA / f"nemo_skills_math_output_rs{seed}.jsonl").read_text().splitlines():
            row = json.loads(line)
            default = extract_answer_path(row["generation"])
            answer, path = extract_answer_path(row["generation"], **ALL_ON)
            if default[1] == "boxed":
                assert (answer, path) == default
            else:
                fired[path] = fired.get(path, 0) + 1
            assert extract_answer(row["generation"]) == default[0]
    assert set(fired) <= {"phrase", "last_math", "last_number", "none"} and sum(fired.values()) == 25
