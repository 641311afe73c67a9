"""KodCode recipe parsing: questions, solution + test trials, style conversions, seed files (pure, no sandbox)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPTS = ROOT / "recipes" / "kodcode" / "scripts"
sys.path.insert(0, str(SCRIPTS))

from parse_converted import parse_converted  # noqa: E402
from parse_questions import extract_question  # noqa: E402
from parse_trials import TrialParseError, parse_solution_and_tests  # noqa: E402

SOL = "def add(a, b):\n    return a + b\n"
TESTS = "from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"


def block(code: str, lang: str = "python") -> str:
    return f"```{lang}\n{code.rstrip()}\n```\n"


@pytest.mark.parametrize("subset, text, want", [
    ("zero_shot", "<|Analysis Begin|>x<|Analysis End|>\n<|Question Begin|>\n Write f(x).\n<|Question End|>", ("Write f(x).", None)),
    ("zero_shot", "<|Question Begin|>draft<|Question End|> then <|Question Begin|>final<|Question End|>", ("final", None)),
    ("snippets", "Write a function that merges intervals.", (None, "no_question_section")),
    ("snippets", "<think><|Question Begin|>in reasoning<|Question End|></think>no section", (None, "no_question_section")),
    ("docs", "<|Question Begin|>\nBAD_DOCUMENT\n<|Question End|>", (None, "bad_document")),
    ("questions", "<think>hmm</think>\nQuestion: Write g(y).", ("Write g(y).", None)),
    ("questions", "   ", (None, "empty")),
])
def test_extract_question(subset: str, text: str, want: tuple) -> None:
    assert extract_question(subset, text) == want


def test_solution_and_tests_from_markers_and_from_plain_blocks() -> None:
    marked = f"<think>{block('print(1)')}</think><|Solution Begin|>\n{block(SOL)}<|Solution End|>\n" \
             f"<|Test Begin|>\n{block(TESTS)}<|Test End|>"
    assert parse_solution_and_tests(marked) == (SOL, TESTS)
    plain = f"Solution:\n{block('import math')}{block(SOL)}Tests:\n{block(TESTS)}Done."
    assert parse_solution_and_tests(plain) == (SOL, TESTS)  # the last non-test block before the tests


def test_tests_without_import_get_star_import() -> None:
    tests = "def test_add():\n    assert add(1, 2) == 3\n"
    sol, got = parse_solution_and_tests(f"<|Solution Begin|>{block(SOL)}<|Solution End|><|Test Begin|>{block(tests)}<|Test End|>")
    assert got == "from solution import *\n\n" + tests


@pytest.mark.parametrize("text, reason", [
    ("no code at all", "no_code_block"),
    (block(SOL), "no_test_block"),
    (block(TESTS), "no_solution_block"),
    (block(SOL) + block("from solution import add\nassert add(1, 1) == 2\n"), "no_test_functions"),
    (f"<think>{block(SOL)}{block(TESTS)}</think>answer without code", "no_code_block"),
    (block(SOL, "cpp") + block(TESTS), "no_solution_block"),
])
def test_malformed_trials(text: str, reason: str) -> None:
    with pytest.raises(TrialParseError) as e:
        parse_solution_and_tests(text)
    assert e.value.reason == reason


STDIN_OK = ("<|Question Begin|>Read a and b, print a+b.<|Question End|>\n<|Program Begin|>\n"
            + block("a, b = map(int, input().split())\nprint(a + b)\n") + "<|Program End|>\n<|Tests Begin|>\n"
            + block('[{"input": "1 2\\n", "output": "3\\n"}, {"input": "0 0", "output": 0}]', "json") + "<|Tests End|>")


def test_convert_to_stdin() -> None:
    src = {"id": "zero_shot-3", "question": "Write add(a, b).", "subset": "zero_shot", "difficulty": "easy",
           "pass_rate": 1.0, "generation": STDIN_OK}
    (row,), summary = parse_converted([src], "to_stdin")
    assert row["id"] == "zero_shot-3-stdin" and row["source_id"] == "zero_shot-3" and row["difficulty"] == "easy"
    assert row["tests"] == [{"input": "1 2\n", "output": "3\n"}, {"input": "0 0", "output": "0"}]
    assert json.loads(row["tests_json"]) == row["tests"] and row["code"].startswith("a, b =")
    assert summary["parsed"] == 1


@pytest.mark.parametrize("generation, reason", [
    (STDIN_OK.replace("<|Question Begin|>", ""), "no_question_section"),
    (STDIN_OK.replace('[{"input"', '[{"inp"'), "bad_tests"),
    (STDIN_OK.replace("}]", "}"), "bad_tests_json"),
    (STDIN_OK.split("<|Tests Begin|>")[0], "no_tests"),
    ("<|Question Begin|>q<|Question End|>" + block("[]", "json"), "no_program_block"),
])
def test_convert_to_stdin_malformed(generation: str, reason: str) -> None:
    (row,), summary = parse_converted([{"id": 1, "question": "q", "generation": generation}], "to_stdin")
    assert row["parse_error"] == reason and "code" not in row and summary["malformed"] == {reason: 1}


def test_convert_to_function() -> None:
    gen = (f"<|Question Begin|>Write add(a, b).<|Question End|><|Solution Begin|>{block(SOL)}<|Solution End|>"
           f"<|Test Begin|>{block(TESTS)}<|Test End|>")
    (row,), _ = parse_converted([{"id": "x-stdin", "question": "stdin q", "generation": gen}], "to_function")
    assert (row["id"], row["style"], row["code"], row["test_code"]) == ("x-stdin-function", "instruct", SOL, TESTS)


def run_script(name: str, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPTS / f"{name}.py"), *argv], capture_output=True, text=True,
                          timeout=60)


def test_build_seeds_errors_are_one_line(tmp_path: Path) -> None:
    data = ROOT / "recipes" / "kodcode" / "data"
    ok = {k: str(data / f"{k}.jsonl") for k in ("topics", "questions", "snippets", "docs")}

    def build(**over: str) -> subprocess.CompletedProcess:
        files = {**ok, **over}
        return run_script("build_seeds", str(tmp_path / "seeds"), *(f"--{k}={v}" for k, v in files.items()))

    assert build().returncode == 0 and len((tmp_path / "seeds" / "docs.jsonl").read_text().splitlines()) == 6
    cases = {"missing.jsonl": "file not found", "empty.jsonl": "no seed rows", "nokey.jsonl": "no string key 'snippet'",
             "wrong.jsonl": "subset 'docs' in the snippets seed file"}
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "nokey.jsonl").write_text(json.dumps({"code": "x = 1"}) + "\n")
    (tmp_path / "wrong.jsonl").write_text(json.dumps({"subset": "docs", "snippet": "x = 1"}) + "\n")
    for name, msg in cases.items():
        p = build(snippets=str(tmp_path / name))
        assert p.returncode == 2 and msg in p.stderr and "Traceback" not in p.stderr, p.stderr
        assert len(p.stderr.strip().splitlines()) == 1


def test_stage_scripts_name_bad_input(tmp_path: Path) -> None:
    p = run_script("parse_trials", str(tmp_path), str(tmp_path / "t.jsonl"))
    assert p.returncode == 2 and "no file matches" in p.stderr and "output-rs*.jsonl" in p.stderr
    (tmp_path / "output-rs0.jsonl").write_text(json.dumps({"problem": "x", "generation": "y"}) + "\n")
    p = run_script("parse_trials", str(tmp_path), str(tmp_path / "t.jsonl"))
    assert p.returncode == 2 and "output-rs0.jsonl:1" in p.stderr and "'id', 'question'" in p.stderr
    p = run_script("parse_questions", str(tmp_path), str(tmp_path / "q.jsonl"))
    assert p.returncode == 2 and "no <subset>/output.jsonl" in p.stderr
    p = run_script("kodcode_report", str(tmp_path))
    assert p.returncode == 2 and "stage summary not found" in p.stderr and "seeds.summary.json" in p.stderr


def test_verify_code_unreachable_sandbox_url_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "rows.jsonl").write_text(json.dumps({"code": "print(1)", "tests": [{"input": "", "output": "1"}]}) + "\n")
    p = subprocess.run([sys.executable, "-m", "nemo_skills_lite.cli", "verify-code", str(tmp_path / "rows.jsonl"),
                        str(tmp_path / "out.jsonl"), "--sandbox-url", "http://127.0.0.1:9"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "sandbox service at http://127.0.0.1:9" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "out.jsonl").exists()
