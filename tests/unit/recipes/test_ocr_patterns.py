"""OCR reasoning-pattern analysis: parsing of hand-written segmentation outputs (well formed and the ways
LLMs bend the format), coverage and <unannotated> marking, and the report through the script's steps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.recipes.ocr_scripts import load

pat = load("ocr_patterns")
rp = load("reasoning_patterns")

REASONING = ("We need the maximum of three numbers. So the input is x, y, z on one line.\n"
             "Maybe sort them and take the last one. Sorting three numbers is cheap enough.\n"
             "Wait, what if two are equal? Then max still works, sorting is fine.\n"
             "Let me check with 1 5 3: sorted gives 1 3 5, last is 5, which matches the sample output.")

INITIAL_WELL_FORMED = """<segment>
<content>We need the maximum of three numbers. So the input is x, y, z on one line.</content>
<pattern>problem rephrasing</pattern>
</segment>
<segment>
<content>Maybe sort them and take the last one. Sorting three numbers is cheap enough.</content>
<pattern>new idea</pattern>
</segment>
<segment>
<content>Let me check with 1 5 3: sorted gives 1 3 5, last is 5, which matches the sample output.</content>
<pattern>verification</pattern>
</segment>"""

# R1-style think block first, no </segment>, a missing </content>, other case, markdown, a hyphenated name,
# an unknown name, and content with different line breaks than the reasoning
INITIAL_SLOPPY = """<think>I should split this into parts.</think>
Here is the segmentation:
<Segment>
<CONTENT>We need the maximum of three numbers.
So the input is x, y, z on one line.</CONTENT>
<pattern>**Problem Rephrasing**</pattern>
<segment>
<content>Maybe sort them and take the last one. Sorting three numbers is cheap enough.
<pattern>Sub-goal generation</pattern>
</segment>
<segment><content>Wait, what if two are equal?</content><pattern>musing</pattern></segment>
"""

WAIT_SEGMENT = """<segment>
<content>Wait, what if two are equal? Then max still works, sorting is fine.</content>
<pattern>backtracking</pattern>
</segment>
<segment>
"""

FINAL = """<segment>
<content>Wait, what if two are equal? Then max still works, sorting is fine.</content>
<reason>The writer questions an earlier step and confirms it.</reason>
<pattern>Self-Evaluation.</pattern>
</segment>"""


def test_well_formed_output() -> None:
    segs = pat.parse_segments(INITIAL_WELL_FORMED)
    assert [s.pattern for s in segs] == ["problem rephrasing", "new idea", "verification"]
    assert segs[1].content == "Maybe sort them and take the last one. Sorting three numbers is cheap enough."


def test_sloppy_output_keeps_every_segment() -> None:
    segs = pat.parse_segments(INITIAL_SLOPPY)
    assert [s.pattern for s in segs] == ["problem rephrasing", "subgoal generation", None]
    assert segs[0].content == "We need the maximum of three numbers.\nSo the input is x, y, z on one line."
    assert segs[1].content.endswith("cheap enough.")  # ended by <pattern> although </content> is missing
    assert segs[2].raw_pattern == "musing"


def test_final_output_with_reason() -> None:
    (seg,) = pat.parse_segments(FINAL)
    assert seg.pattern == "self-evaluation" and seg.reason == "The writer questions an earlier step and confirms it."


@pytest.mark.parametrize("text", [None, "", "I cannot do this.", "<pattern>verification</pattern>"])
def test_outputs_without_segments(text) -> None:
    assert pat.parse_segments(text) == []


@pytest.mark.parametrize("name, expected", [
    ("Verification", "verification"), ("  backtrack ", "backtracking"), ("SELF EVALUATION", "self-evaluation"),
    ("`new_idea`", "new idea"), ("Subgoal", "subgoal generation"), ("1. Problem restatement", "problem rephrasing"),
    ("backtracking (to the greedy idea)", "backtracking"), ("summary", None), ("", None),
])
def test_normalize_pattern(name, expected) -> None:
    assert pat.normalize_pattern(name) == expected


def test_coverage_finds_segments_despite_whitespace_and_marks_the_rest() -> None:
    segs = pat.parse_segments(INITIAL_SLOPPY)[:2] + pat.parse_segments(INITIAL_WELL_FORMED)[2:]
    segs.insert(1, pat.Segment("text the model made up and never wrote", "new idea", "new idea"))
    found, gaps = pat.coverage(REASONING, segs)
    assert [s.pattern for s in found] == ["problem rephrasing", "subgoal generation", "verification"]
    assert [REASONING[a:b].strip() for a, b in gaps] == ["Wait, what if two are equal? Then max still works, sorting is fine."]
    marked = pat.mark_unannotated(REASONING, gaps)
    assert marked.count("<unannotated>") == 1 and marked.replace("<unannotated>", "").replace("</unannotated>", "") == REASONING
    assert "<unannotated>\nWait, what if two are equal?" in marked


def test_short_leftovers_are_not_unannotated() -> None:
    segs = pat.parse_segments(INITIAL_WELL_FORMED)
    text = REASONING.replace("Wait, what if two are equal? Then max still works, sorting is fine.", "Ok.")
    assert pat.coverage(text, segs)[1] == []


def _write(path: Path, rows: list[dict]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_prepare_mark_report_chain(tmp_path: Path) -> None:
    sols = tmp_path / "solutions"
    gen = f"<think>\n{REASONING}\n</think>\n```python\nprint(max(map(int, input().split())))\n```"
    _write(sols / "output-rs0.jsonl", [
        {"id": "a", "difficulty": "easy", "generation": gen, "is_correct": True},
        {"id": "b", "difficulty": "hard", "generation": gen.replace("<think>\n", ""), "is_correct": False},
        {"id": "c", "difficulty": "hard", "generation": "no reasoning block here"}])
    inp = tmp_path / "input.jsonl"
    counts = rp.prepare(str(sols), str(inp))
    assert (counts["read"], counts["kept"], counts["no_reasoning"]) == (3, 2, 1)
    rows = [json.loads(x) for x in inp.read_text().splitlines()]
    assert [(r["pattern_id"], r["correctness"], r["reasoning"]) for r in rows] == [
        ("output-rs0:1", "correct", REASONING), ("output-rs0:2", "incorrect", REASONING)]

    # stage 1 output by hand: row a fully covered, row b leaves the "Wait, ..." sentence out
    initial = _write(tmp_path / "initial" / "output.jsonl", [
        {**rows[0], "generation": INITIAL_WELL_FORMED.replace("<segment>\n<content>Let me", WAIT_SEGMENT + "<content>Let me")},
        {**rows[1], "generation": INITIAL_WELL_FORMED}])
    c = rp.mark(initial, str(tmp_path / "annotated.jsonl"), str(tmp_path / "final-input.jsonl"))
    assert (c["rows"], c["rows_with_unannotated"], c["segments_not_in_text"]) == (2, 1, 0)
    final_in = [json.loads(x) for x in (tmp_path / "final-input.jsonl").read_text().splitlines()]
    assert [r["pattern_id"] for r in final_in] == ["output-rs0:2"] and "<unannotated>" in final_in[0]["reasoning"]
    assert "generation" not in final_in[0]

    final = _write(tmp_path / "final" / "output.jsonl", [{**final_in[0], "generation": FINAL}])
    summary = rp.report(str(tmp_path / "annotated.jsonl"), final, str(tmp_path / "report"))
    correct = summary["all"]["correct"]["patterns"]
    incorrect = summary["all"]["incorrect"]["patterns"]
    assert summary["all"]["correct"]["solutions"] == 1 and correct["backtracking"]["mean_count"] == 1.0
    assert correct["self-evaluation"]["mean_count"] == 0.0 and incorrect["self-evaluation"]["share_with"] == 1.0
    assert list(summary) == ["all", "easy", "hard"] and list(summary["hard"]) == ["incorrect"]
    saved = json.loads((tmp_path / "report" / "patterns.json").read_text())
    assert saved == {"solutions": 2, "by_difficulty": summary}
    assert "verification" in (tmp_path / "report" / "patterns.txt").read_text()
    assert (tmp_path / "report" / "patterns.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_correctness_from_prepare_data_rejected_rows(tmp_path: Path) -> None:
    sols = tmp_path / "s"
    kept, dropped = f"<think>{REASONING}</think>\n```python\nprint(1)\n```", f"{REASONING}</think>\nno code"
    _write(sols / "output-rs0.jsonl", [{"id": "a", "generation": kept}, {"id": "b", "generation": dropped}])
    # prepare_data's validate_think_tags prepended "<think>\n" before extract_code_block dropped the row
    rejected = _write(tmp_path / "rejected.jsonl", [{"generation": "<think>\n" + dropped, "drop_reason": "no_code_block"}])
    rp.prepare(str(sols), str(tmp_path / "in.jsonl"), rejected_path=rejected)
    assert [json.loads(x)["correctness"] for x in (tmp_path / "in.jsonl").read_text().splitlines()] == ["correct", "incorrect"]


def test_report_with_no_solutions_still_writes_outputs(tmp_path: Path) -> None:
    _write(tmp_path / "annotated.jsonl", [])
    summary = rp.report(str(tmp_path / "annotated.jsonl"), str(tmp_path / "missing.jsonl"), str(tmp_path / "r"))
    assert summary == {} and json.loads((tmp_path / "r" / "patterns.json").read_text())["solutions"] == 0
    assert (tmp_path / "r" / "patterns.png").exists()


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.unit.recipes.ocr_scripts import ROOT, SCRIPTS

    bad = _write(tmp_path / "initial.jsonl", [{"generation": INITIAL_WELL_FORMED}])
    p = subprocess.run([sys.executable, str(SCRIPTS / "reasoning_patterns.py"), "mark", bad, str(tmp_path / "a.jsonl"),
                        str(tmp_path / "f.jsonl")], capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert p.returncode == 2 and p.stderr.strip().splitlines() == [
        f"error: {bad}: rows need 'reasoning' and 'pattern_id' (the prepare step's output); keys present: ['generation']"]
    assert not (tmp_path / "a.jsonl").exists() and not (tmp_path / "f.jsonl").exists()
    p = subprocess.run([sys.executable, str(SCRIPTS / "reasoning_patterns.py"), "prepare", str(tmp_path / "none"),
                        str(tmp_path / "i.jsonl")], capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert p.returncode == 2 and f"no output-rs*.jsonl files in {tmp_path / 'none'}" in p.stderr
