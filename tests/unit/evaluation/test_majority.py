"""Majority voting (exact and semantic) and the recipe's use_majority_if_no_answer step."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nemo_skills_lite.evaluation.majority import exact_majority, semantic_groups, semantic_majority, use_majority_if_no_answer
from nemo_skills_lite.utils.errors import NslError

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "math"
SCRIPT = ROOT / "recipes" / "openreasoning" / "scripts" / "use_majority_if_no_answer.py"


def test_exact_vs_semantic():
    answers = ["1/3", "0.5", "\\frac{1}{2}", None]
    assert exact_majority(answers) == ("1/3", 1)
    assert semantic_majority(answers) == ("0.5", 2)
    assert sorted(map(sorted, semantic_groups(answers))) == [["0.5", "\\frac{1}{2}"], ["1/3"]]
    assert exact_majority([None, None]) == (None, 0) == semantic_majority([None])


def _seed_dir(tmp_path: Path) -> Path:
    src = tmp_path / "judged"
    src.mkdir()
    for s in range(3):
        (src / f"output-rs{s}.jsonl").write_text((DATA / f"nemo_skills_math_output_rs{s}.jsonl").read_text())
    return src


def _rows(folder: Path) -> list[list[dict]]:
    return [[json.loads(x) for x in (folder / f"output-rs{s}.jsonl").read_text().splitlines()] for s in range(3)]


@pytest.mark.parametrize("voting", ["exact", "semantic"])
def test_recipe_script_on_nemo_skills_seed_files(tmp_path, voting):
    src = _seed_dir(tmp_path)
    before = _rows(src)
    out = tmp_path / "maj"
    proc = subprocess.run([sys.executable, str(SCRIPT), str(src), str(out), "--voting", voting],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "5 without a correct generation" in proc.stdout
    after = _rows(out)
    assert _rows(src) == before  # inputs untouched
    changed = 0
    for i in range(50):
        rows_b, rows_a = [before[s][i] for s in range(3)], [after[s][i] for s in range(3)]
        if any(r["symbolic_correct"] for r in rows_b):
            assert rows_a == rows_b
            continue
        answers = [r["predicted_answer"] for r in rows_b]
        expected = (exact_majority if voting == "exact" else semantic_majority)(answers)[0]
        for a, b in zip(rows_a, rows_b):
            assert a["expected_answer"] == (expected if expected is not None else b["expected_answer"])
            changed += a.get("updated_answer_from_r1", False)
    assert changed == 6


def test_refuses_to_overwrite_inputs_and_uneven_files(tmp_path):
    src = _seed_dir(tmp_path)
    with pytest.raises(NslError, match="is the input folder"):
        use_majority_if_no_answer(src, src)
    (src / "output-rs2.jsonl").write_text("\n".join((src / "output-rs2.jsonl").read_text().splitlines()[:10]))
    with pytest.raises(NslError, match="different row counts"):
        use_majority_if_no_answer(src, tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_missing_correctness_is_a_clear_error(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "output-rs0.jsonl").write_text('{"predicted_answer": "1", "expected_answer": "2"}\n')
    with pytest.raises(NslError, match="output-rs0.jsonl:1: row has neither"):
        use_majority_if_no_answer(tmp_path / "in", tmp_path / "out")
