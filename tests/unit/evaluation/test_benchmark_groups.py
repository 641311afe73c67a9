"""Benchmark groups, packing into jobs, row-layout errors, MCQ letter extraction, IFEval input errors."""

from __future__ import annotations

import json

import pytest

from nemo_skills_lite.benchmarks import available, parse_benchmarks
from nemo_skills_lite.benchmarks.formats import evalplus_humaneval, ifeval, multichoice, plus_check
from nemo_skills_lite.benchmarks.groups import GROUPS, expand_groups, pack
from nemo_skills_lite.benchmarks.prepare import prepare
from nemo_skills_lite.evaluation.graders import extract_letter, grade_multichoice_rows
from nemo_skills_lite.utils.errors import NslError


def test_every_group_member_is_a_benchmark():
    names = set(available())
    for group, members in GROUPS.items():
        assert group not in names and set(members) <= names, group


def test_groups_expand_with_their_seeds():
    assert expand_groups("competition-math:4,human-eval") == (
        "aime24:4,aime25:4,amc23:4,hmmt_feb25:4,brumo25:4,human-eval")
    plan = parse_benchmarks("mcq, ifeval:2")
    assert plan[0] == ("gpqa-diamond", 4) and plan[-1] == ("ifeval", 2) and len(plan) == 6
    with pytest.raises(NslError, match="names 'aime24' twice"):
        parse_benchmarks("competition-math,aime24")


def test_pack_balances_cost_and_is_deterministic():
    costs = {"a": 10, "b": 1, "c": 9, "d": 2, "e": 5}
    bins = pack(costs, 2)
    assert bins == pack(dict(costs), 2)
    assert sorted(sum(costs[n] for n in b) for b in bins) == [13, 14]
    assert sorted(n for b in bins for n in b) == sorted(costs)
    assert pack(costs, 10) == [["a"], ["c"], ["e"], ["d"], ["b"]]  # never more bins than benchmarks
    assert pack({"x": 3, "y": 3}, 1) == [["x", "y"]]
    with pytest.raises(NslError, match="num_jobs=0 must be a positive integer"):
        pack(costs, 0)
    with pytest.raises(NslError, match="costs must be numbers >= 0"):
        pack({"a": -1}, 2)


def test_multichoice_layouts():
    gpqa = {"Question": "Q?", "Correct Answer": "right", "Incorrect Answer 1": "w1", "Incorrect Answer 2": "w2",
            "Incorrect Answer 3": "w3"}
    row = multichoice(gpqa)
    assert row == multichoice(dict(gpqa))  # the shuffle is fixed per question
    assert f"{row['expected_answer']}) right" in row["problem"]
    assert multichoice({"question": "q", "choices": ["a", "b"], "answer": 1})["expected_answer"] == "B"
    pro = multichoice({"question": "q", "options": ["a", "b", "c"], "answer": "C", "category": "law"})
    assert pro["expected_answer"] == "C" and pro["subset_for_metrics"] == "law"  # per-category sections
    assert multichoice({"question": "q", "options": ["x", "y"], "answer": "y", "answer_letter": "B"})["expected_answer"] == "B"
    arc = {"question": "q", "choices": {"text": ["a", "b"], "label": ["1", "2"]}, "answerKey": "2"}
    assert multichoice(arc)["expected_answer"] == "B"
    with pytest.raises(NslError, match="cannot tell the correct option"):
        multichoice({"question": "q", "options": ["a"], "answer": "zzz"})


def test_prepare_names_the_bad_row(tmp_path):
    (tmp_path / "mcq").mkdir()
    rows = [{"question": "q", "choices": ["a", "b"], "answer": 0}, {"question": "q2"}]
    (tmp_path / "mcq" / "mmlu_test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(NslError, match=r"mmlu \(.*mmlu_test.jsonl\) row 2: .*cannot tell the correct option"):
        prepare("mmlu", source_dir=tmp_path, output_dir=tmp_path / "out")
    assert not (tmp_path / "out" / "mmlu" / "test.jsonl").exists()  # nothing half-written
    (tmp_path / "mcq" / "mmlu_test.jsonl").write_text(json.dumps({"prompt": "p"}) + "\n")
    with pytest.raises(NslError, match=r"row 1: not in the expected layout \(KeyError: 'question'\); keys: prompt"):
        prepare("mmlu", source_dir=tmp_path, output_dir=tmp_path / "out")


def test_extract_letter():
    assert extract_letter("so \\boxed{B}. Answer: C") == "B"  # boxed wins over the text
    assert extract_letter("I think (A)... The answer is (d)") == "D"
    assert extract_letter("Answer: \\boxed{\\text{(C)}}") == "C"
    assert extract_letter("no idea") is None and extract_letter(None) is None
    assert extract_letter("The answer is a bit unclear; Answer: B") == "B"
    assert extract_letter("the answer is a bit unclear") is None  # prose, not option (A)
    rows = [{"generation": "Answer: B", "expected_answer": "B"}, {}, {"generation": "x", "expected_answer": "A"}]
    assert grade_multichoice_rows(rows) == 1
    assert rows[2] == {"generation": "x", "expected_answer": "A", "predicted_answer": None, "symbolic_correct": False}
    with pytest.raises(NslError, match=r"rows:1: no 'expected_answer' key"):
        grade_multichoice_rows([{"generation": "Answer: B"}])


def test_ifeval_row_errors():
    from nemo_skills_lite.evaluation.ifeval import grade_row

    with pytest.raises(NslError, match="2 instructions but 1 kwargs"):
        ifeval({"key": 1, "prompt": "p", "instruction_id_list": ["a", "b"], "kwargs": [{}]})
    row = {"prompt": "p", "instruction_id_list": ["punctuation:no_comas"], "kwargs": [{}], "generation": "x"}
    with pytest.raises(NslError, match="unknown instruction id.*punctuation:no_comas; known: .*punctuation:no_comma"):
        grade_row(row)


def test_ifeval_sentence_count_offline():
    """number_sentences and capital_word_frequency (NLTK punkt) work without NLTK's downloadable data."""
    from nemo_skills_lite.evaluation.ifeval import grade_row

    row = {"prompt": "p", "instruction_id_list": ["length_constraints:number_sentences"],
           "kwargs": [{"relation": "at least", "num_sentences": 3}], "generation": "Dr. Smith came. He sat. He left."}
    grade_row(row)
    assert row["strict_eval"]["follow_instruction_list"] == [True]  # "Dr." is not a sentence end
    row["generation"] = "Dr. Smith came. He left."
    grade_row(row)
    assert row["strict_eval"]["follow_instruction_list"] == [False]
    caps = {"prompt": "p", "instruction_id_list": ["change_case:capital_word_frequency"],
            "kwargs": [{"capital_frequency": 2, "capital_relation": "at least"}], "generation": "THIS is VERY good"}
    grade_row(caps)
    assert caps["strict_eval"]["follow_instruction_list"] == [True]


def test_punkt_tab_written_in_nltks_layout(tmp_path, monkeypatch):
    import nltk
    import nltk.tokenize.punkt as nltk_punkt

    from nemo_skills_lite.evaluation.ifeval import write_punkt_tab

    lang = write_punkt_tab(tmp_path)
    assert sorted(p.name for p in lang.iterdir()) == ["abbrev_types.txt", "collocations.tab", "ortho_context.tab",
                                                       "sent_starters.txt"]
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])  # only our folder: NLTK's own loader reads it
    tok = nltk_punkt.PunktTokenizer("english")
    assert tok.tokenize("Mr. Jones met Dr. Smith at 5 p.m. on Monday. They talked.") == [
        "Mr. Jones met Dr. Smith at 5 p.m. on Monday.", "They talked."]
    assert write_punkt_tab(tmp_path) == lang  # second call: already there


def test_evalplus_check_compares_with_the_reference():
    row = evalplus_humaneval({"task_id": "t", "prompt": "def f(x):\n", "canonical_solution": "    return x * 2\n",
                              "entry_point": "f", "base_input": [[1]], "plus_input": [[2.5], [[1, 2]]], "atol": 0})
    ns: dict = {}
    exec(row["plus_test"], ns)  # noqa: S102 - our own generated test
    ns["check"](lambda x: x * 2)
    ns["check"](lambda x: int(x * 2) if isinstance(x, float) else x * 2)  # 5 == 5.0, like EvalPlus
    with pytest.raises(AssertionError, match="input #1: expected 5.0, got 2.5"):
        ns["check"](lambda x: x if isinstance(x, float) else x * 2)
    assert "_INPUTS = [[1]]" in plus_check("def f(x): return x", "f", [[1]], None)


def test_prepare_cli_takes_group_names(tmp_path):
    from nemo_skills_lite.benchmarks.prepare import main

    src = __import__("pathlib").Path(__file__).resolve().parents[2] / "data" / "benchmarks"
    assert main(["competition-math", "--source-dir", str(src), "--output-dir", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(GROUPS["competition-math"])


def test_pass_at_k_matches_chen_et_al_stable_form():
    """The estimator of Chen et al. (2021), in the paper's numerically stable product form."""
    import numpy as np

    from nemo_skills_lite.evaluation.metrics import pass_at_k

    def chen(n: int, c: int, k: int) -> float:
        return 1.0 if n - c < k else float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))

    for n in range(1, 21):
        for c in range(n + 1):
            for k in range(1, n + 1):
                assert pass_at_k(n, c, k) == pytest.approx(chen(n, c, k), abs=1e-12), (n, c, k)


def test_docs_table_lists_every_benchmark():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "evaluation.md").read_text()
    from nemo_skills_lite.benchmarks import load

    for name in available():
        spec = load(name)
        line = next((x for x in doc.splitlines() if x.startswith(f"| `{name}` |") and x.count("|") == 9), None)
        assert line is not None, f"docs/evaluation.md has no table row for {name}"
        assert spec["license"] in line and spec["eval_type"] in line, name
        assert ("offline" if spec["availability"] == "offline" else "hub only") in line, name


def test_estimate_costs_from_prepared_files(tmp_path):
    from nemo_skills_lite.benchmarks.groups import estimate_costs
    from nemo_skills_lite.benchmarks.prepare import main

    src = __import__("pathlib").Path(__file__).resolve().parents[2] / "data" / "benchmarks"
    assert main(["amc23", "gsm8k", "--source-dir", str(src), "--output-dir", str(tmp_path)]) == 0
    costs = estimate_costs([("amc23", 2), ("gsm8k", 1)], tmp_path)
    assert costs == {"amc23": 40 * 2 * 32768, "gsm8k": 20 * 1 * 2048}
    assert pack(costs, 2) == [["amc23"], ["gsm8k"]]
    with pytest.raises(NslError, match="mmlu: no prepared data at .*run `nsl prepare-benchmarks mmlu"):
        estimate_costs([("mmlu", 1)], tmp_path)


def test_judge_for():
    from nemo_skills_lite.benchmarks import judge_for, load

    assert judge_for(load("omni-math")) == {"prompt_config": "judge/math", "generation_type": "math_judge"}
    assert judge_for(load("gsm8k"))["generation_type"] == "math_judge"
    assert [n for n in available() if judge_for(load(n)) is None] == [
        n for n in available() if load(n)["eval_type"] != "math"]
    custom = {**load("gsm8k"), "judge": {"prompt_config": "judge/other"}}
    assert judge_for(custom) == {"prompt_config": "judge/other", "generation_type": "math_judge"}
