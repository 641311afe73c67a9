"""The OpenReasoning science scripts on hand-written rows: MCQ parsing/validation, the option letter a
solution picked, the majority vote, topic inputs, and one-line errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nemo_skills_lite.utils.errors import NslError

ROOT = Path(__file__).resolve().parents[3]
SCRIPTS = ROOT / "recipes" / "openreasoning" / "scripts"
sys.path.insert(0, str(SCRIPTS))
from science_majority import majority_letter  # noqa: E402
from science_mcq import extract_choice, parse_mcq  # noqa: E402
from science_topics import load_topics, make_rows  # noqa: E402

TEN = """An ideal monatomic gas expands reversibly and adiabatically from volume V to 8V. By what factor does its
absolute temperature change?
A) 1/2  B) 1/4  C) 1/8  D) 2  E) 4  F) 1/16  G) 1/3  H) 1/√8  I) 8  J) 1"""


def test_parse_inline_ten_options():
    mcq, reason = parse_mcq(TEN)
    assert reason is None
    assert mcq.options == ("1/2", "1/4", "1/8", "2", "4", "1/16", "1/3", "1/√8", "8", "1")
    assert mcq.stem.startswith("An ideal monatomic gas") and mcq.stem.endswith("temperature change?")
    assert mcq.problem().endswith("\nA) 1/2\nB) 1/4\nC) 1/8\nD) 2\nE) 4\nF) 1/16\nG) 1/3\nH) 1/√8\nI) 8\nJ) 1")


def test_parse_label_think_tags_parenthesised_options_and_cut_tail():
    text = ("<think>A question on bacterial genetics; options (A)-(D).</think>\n**Question:** Which organism is the "
            "usual model for bacterial conjugation studies?\n(A) Saccharomyces cerevisiae\n(B) E. coli\n"
            "(C) Drosophila melanogaster\n(D) Arabidopsis thaliana\n\nCorrect answer: (B)")
    mcq, reason = parse_mcq(text)
    assert reason is None
    assert mcq.stem == "Which organism is the usual model for bacterial conjugation studies?"
    assert mcq.options == ("Saccharomyces cerevisiae", "E. coli", "Drosophila melanogaster", "Arabidopsis thaliana")
    assert "Correct answer" not in mcq.problem()  # the revealed answer is not part of the question


@pytest.mark.parametrize("text,reason", [
    ("", "empty_generation"),
    (None, "empty_generation"),
    ("<think>Let me think of a hard optics question about", "unfinished_reasoning"),
    ("Light passes through two polarizers whose axes are 60 degrees apart. What fraction is transmitted?",
     "no_options"),
    ("What is the SI unit of force?\nA) newton\nB) joule\nC) watt", "too_few_options"),
    ("What is the SI unit of force?\nA) newton\nB) joule\nD) watt\nE) pascal", "too_few_options"),  # C missing
    ("A) 1 B) 2 C) 3 D) 4", "no_question_text"),
    ("Which quantity is conserved in an elastic collision?\nA) kinetic energy\nB) Kinetic  energy\n"
     "C) heat\nD) entropy", "duplicate_options"),
    ("Which quantity is conserved in an elastic collision?\nA) kinetic energy\nB) \nC) heat\nD) entropy",
     "empty_option"),
])
def test_parse_rejects_malformed(text, reason):
    assert parse_mcq(text) == (None, reason)


def test_min_options():
    three = "What is the SI unit of force?\nA) newton\nB) joule\nC) watt"
    assert parse_mcq(three, min_options=3)[1] is None


@pytest.mark.parametrize("generation,num_options,letter", [
    ("<think>B looks tempting, \\boxed{B}? No.</think>\nThe temperature falls to 1/4. \\boxed{B}", 10, "B"),
    ("<think>...</think>\nThe answer is \\boxed{\\text{(C)}}.", 4, "C"),
    ("<think>...</think>\nSo the image is 60 cm away.\n\nAnswer: C", 4, "C"),
    ("<think>...</think>\nThe final answer is D", 4, "D"),
    ("<think>...</think>\nThe answer is a mix of both effects. Answer: (A)", 4, "A"),
    ("<think>the answer is \\boxed{A} I think", 4, None),  # reasoning never ended
    ("<think>...</think>\n\\boxed{E}", 4, None),  # not one of the four options
    ("<think>...</think>\n\\boxed{60 cm}", 4, None),
    ("<think>...</think>\nI am not sure.", 4, None),
    (None, 4, None),
])
def test_extract_choice(generation, num_options, letter):
    assert extract_choice(generation, num_options) == letter


def test_majority_letter():
    assert majority_letter(["B", "B", "A", None]) == ("B", 2)
    assert majority_letter(["C", "D", "C", "D"]) == (None, 0)  # a tie for first place is no majority
    assert majority_letter([None, None]) == (None, 0)
    assert majority_letter(["A", "B", "A", "C", "B", "A"]) == ("A", 3)


def test_topics_rows_are_deterministic(tmp_path: Path):
    topics = load_topics(ROOT / "recipes" / "openreasoning" / "data" / "science_topics.yaml")
    assert {"physics", "chemistry", "biology"} <= set(topics) and all(len(s) >= 3 for s in topics.values())
    a = make_rows(topics, ["hard", "brutal"], subtopics_per_topic=2, max_topics=3, seed=7)
    assert a == make_rows(topics, ["hard", "brutal"], subtopics_per_topic=2, max_topics=3, seed=7)
    assert len(a) == 3 * 2 * 2 and {r["topic"] for r in a} == set(list(topics)[:3])
    assert all(r["subtopic"] in topics[r["topic"]] and r["id"] == f"{r['topic']}/{r['subtopic']}/{r['difficulty']}"
               for r in a)
    draws = {tuple(r["subtopic"] for r in make_rows(topics, ["hard"], subtopics_per_topic=2, seed=s)) for s in range(8)}
    assert len(draws) > 1  # the seed changes which subtopics are drawn
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text('{"topic": "physics", "subtopic": "optics"}\n{"topic": "physics", "subtopic": "optics"}\n')
    assert load_topics(jsonl) == {"physics": ["optics"]}


def test_topics_errors(tmp_path: Path):
    with pytest.raises(NslError, match="topics file not found"):
        load_topics(tmp_path / "missing.yaml")
    bad = tmp_path / "t.jsonl"
    bad.write_text('{"topic": "physics"}\n')
    with pytest.raises(NslError, match=r"t.jsonl:1: key 'subtopic' missing"):
        load_topics(bad)
    y = tmp_path / "t.yaml"
    y.write_text("physics: optics\n")
    with pytest.raises(NslError, match="topic 'physics' needs a non-empty list"):
        load_topics(y)
    with pytest.raises(NslError, match="difficulties"):
        make_rows({"physics": ["optics"]}, [""])


def _run(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPTS / script), *args], capture_output=True, text=True, timeout=120)


def test_scripts_give_one_line_errors(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "output-rs0.jsonl").write_text(json.dumps({"topic": "physics"}) + "\n")
    p = _run("parse_science_questions.py", str(tmp_path / "q.jsonl"), "--input-dir", str(raw))
    assert p.returncode == 2 and "output-rs0.jsonl: row 1: no 'generation' field" in p.stderr
    assert "Traceback" not in p.stderr
    p = _run("parse_science_questions.py", str(tmp_path / "q.jsonl"), "--input-dir", str(tmp_path / "nope"))
    assert p.returncode == 2 and "folder not found" in p.stderr
    sol = tmp_path / "sol"
    sol.mkdir()
    row = {"problem": "Q", "generation": "\\boxed{A}"}
    (sol / "output-rs0.jsonl").write_text(json.dumps(row) + "\n")
    (sol / "output-rs1.jsonl").write_text(json.dumps(row) + "\n" + json.dumps(row) + "\n")
    p = _run("science_majority.py", str(sol), str(tmp_path / "maj"))
    assert p.returncode == 2 and "output-rs0.jsonl end(s) after 1 rows" in p.stderr and "Traceback" not in p.stderr
    p = _run("science_topics.py", str(tmp_path / "none.yaml"), str(tmp_path / "t.jsonl"), "--difficulties", "hard")
    assert p.returncode == 2 and p.stderr.strip().count("\n") == 0 and "topics file not found" in p.stderr
