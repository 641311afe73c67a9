"""Quick start set-up without a server: problem selection, the output-folder settings guard, the default
output folder, and the GSM8K few-shot examples (each renders, ends in a gradable \\boxed{} answer and its
arithmetic is right)."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from nemo_skills_lite.evaluation.math_grader import extract_answer
from nemo_skills_lite.inference.prompts import Prompt, load_examples, load_prompt_config
from nemo_skills_lite.utils.errors import NslError

ROOT = Path(__file__).resolve().parents[3]


def _load_quickstart():
    spec = importlib.util.spec_from_file_location("qs_recipe", ROOT / "recipes" / "quickstart" / "quickstart.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


qs = _load_quickstart()


def test_problems_are_the_first_two_step_ones(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in qs.DATA.read_text().splitlines()]
    path = qs.prepare_problems(tmp_path, 20, 2)
    got = [json.loads(line) for line in path.read_text().splitlines()]
    two_step = [r for r in rows if qs.solution_steps(r["answer"]) <= 2][:20]
    assert [g["problem"] for g in got] == [r["question"] for r in two_step]
    assert got[0]["expected_answer"] == "18"  # Janet's ducks: the first GSM8K test problem has 2 steps
    anything = [json.loads(line) for line in qs.prepare_problems(tmp_path, 5, 0).read_text().splitlines()]
    assert [a["problem"] for a in anything] == [r["question"] for r in rows[:5]]


def test_settings_guard(tmp_path: Path) -> None:
    qs.check_run_settings(tmp_path, {"seeds": 4, "model": "m"})
    qs.check_run_settings(tmp_path, {"seeds": 4, "model": "m"})  # same settings: fine
    with pytest.raises(NslError, match=r"seeds: 4 -> 8.*new --output-dir"):
        qs.check_run_settings(tmp_path, {"seeds": 8, "model": "m"})


def test_default_output_dir_is_outside_the_source_tree(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NSL_QUICKSTART_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert qs.default_output_dir() == str(tmp_path / "nsl_quickstart")
    monkeypatch.setenv("NSL_QUICKSTART_DIR", "/somewhere/else")
    assert qs.default_output_dir() == "/somewhere/else"
    with pytest.raises(NslError, match="--seeds=0"):
        qs.parse_args(["--seeds", "0"])


def test_gsm8k_examples_are_gradable_and_right() -> None:
    examples = load_examples("gsm8k")
    assert len(examples) >= 3
    text = Prompt(load_prompt_config("generic/math"), examples_type="gsm8k").messages({"problem": "P?"})[-1]["content"]
    for ex in examples:
        assert ex["problem"] in text and ex["solution"] in text
        answer = extract_answer(ex["solution"])
        assert answer is not None and ex["solution"].rstrip().endswith(f"\\boxed{{{answer}}}.")
        for a, op, b, c in re.findall(r"(\d+) ([-+*/]) (\d+) = (\d+)", ex["solution"]):
            assert eval(f"{a} {op} {b}") == int(c), (ex["problem"], a, op, b, c)  # noqa: S307 (digits only)
    assert text.endswith("P?")
