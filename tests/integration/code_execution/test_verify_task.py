"""``generation_type="verify_code"``: sandbox verification as a chunked, seeded, resumable stage, run in the real
sandbox, directly and through the pipeline on the local executor."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nemo_skills_lite.inference.resume import POSITION_KEY
from nemo_skills_lite.pipeline.cli import generate, wait
from nemo_skills_lite.runtime.markers import done_path
from tests.fixtures.common import require
from tests.fixtures.sandbox import sandbox_problem

pytestmark = pytest.mark.sandbox
ROOT = Path(__file__).resolve().parents[3]
ADD = "a, b = map(int, input().split())\nprint(a + b)\n"
TESTS = [{"input": "1 2\n", "output": "3\n"}, {"input": "5 5\n", "output": "10\n"}]


def solutions(seed: int) -> list[dict]:
    """Six R1-style rows: the code is the last fenced block of 'generation', as a generate stage writes it."""
    good = f"<think>sum them</think>\n```python\n{ADD}```"
    bad = "<think>oops</think>\n```python\nprint(0)\n```"
    return [{"id": i, "generation": good if (i + seed) % 2 == 0 else bad, "tests": TESTS} for i in range(5)] + [
        {"id": 5, "generation": good, "tests": []}]  # no tests: passes through unlabeled


def write(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def run_task(*overrides: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nemo_skills_lite.code_execution.verify_task", *overrides],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_labels_resume_and_marker(tmp_path: Path) -> None:
    require(sandbox_problem() is None, f"real sandbox: {sandbox_problem()}")
    inp, out = write(tmp_path / "in.jsonl", solutions(0)), tmp_path / "out.jsonl"
    # what a killed earlier run left: row 0 finished (deliberately mislabelled, so a re-run would show) + a torn line
    earlier = {**solutions(0)[0], "is_correct": "kept-from-earlier-run", POSITION_KEY: 0}
    Path(f"{out}-async").write_text(json.dumps(earlier) + "\n" + '{"id": 1, "gener')
    p = run_task(f"++input_file={inp}", f"++output_file={out}", "++workers=2", "++batch_size=2")
    assert p.returncode == 0, p.stderr
    rows = read(out)
    assert [r["id"] for r in rows] == list(range(6))  # input order
    assert rows[0]["is_correct"] == "kept-from-earlier-run"  # resumed, not redone
    assert [r["is_correct"] for r in rows[1:5]] == [False, True, False, True]
    assert rows[2]["verdict"] == "accepted" and rows[1]["verdict"] == "wrong_answer" and rows[2]["tests_total"] == 2
    assert "is_correct" not in rows[5] and "verdict" not in rows[5]
    marker = json.loads(done_path(out).read_text())
    assert (marker["passed"], marker["failed"], marker["untested"]) == (2, 2, 1)
    again = run_task(f"++input_file={inp}", f"++output_file={out}")
    assert again.returncode == 0 and "already done" in again.stdout
    strict = tmp_path / "strict.jsonl"  # KodCode's way: a trial without tests is a failed trial
    p = run_task(f"++input_file={inp}", f"++output_file={strict}", "++untested=fail", "++label_key=passed")
    assert p.returncode == 0, p.stderr
    last = read(strict)[5]
    assert (last["passed"], last["verdict"], last["tests_total"]) == (False, "no_tests", 0)


def test_bad_override_is_one_line(tmp_path: Path) -> None:
    p = run_task("++input_file=x", "++output_file=y", "++worker=2")
    assert p.returncode == 2 and "unknown key 'worker'" in p.stderr and "Did you mean 'workers'" in p.stderr
    assert "Traceback" not in p.stderr


def test_stage_over_seeds_and_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require(sandbox_problem() is None, f"real sandbox: {sandbox_problem()}")
    for seed in (0, 1):
        write(tmp_path / "solutions" / f"output-rs{seed}.jsonl", solutions(seed))
    cfg = tmp_path / "local.yaml"
    cfg.write_text(f"executor: local\nregistry_dir: {tmp_path / 'registry'}\n")
    h = generate(cluster=str(cfg), generation_type="verify_code", input_dir=str(tmp_path / "solutions"),
                 output_dir=str(tmp_path / "verified"), num_random_seeds=2, num_chunks=2, expname="verify",
                 ctx="++workers=2")
    assert h.units_submitted == 4  # 2 seeds x 2 chunks, each its own job
    assert wait("verify", str(cfg), timeout=300, poll_s=0.5) == "finished"
    for seed in (0, 1):
        rows = read(tmp_path / "verified" / f"output-rs{seed}.jsonl")
        assert [r["id"] for r in rows] == list(range(6))  # chunks merged once, in order
        assert [r.get("is_correct") for r in rows] == [(i + seed) % 2 == 0 for i in range(5)] + [None]


def test_unknown_override_fails_before_submitting(tmp_path: Path) -> None:
    from nemo_skills_lite.utils.errors import NslError

    cfg = tmp_path / "local.yaml"
    cfg.write_text(f"executor: local\nregistry_dir: {tmp_path / 'registry'}\n")
    write(tmp_path / "in.jsonl", solutions(0))
    with pytest.raises(NslError, match="unknown key 'time_limt'"):
        generate(cluster=str(cfg), generation_type="verify_code", input_file=str(tmp_path / "in.jsonl"),
                 output_dir=str(tmp_path / "v"), ctx="++time_limt=3")
    assert not (tmp_path / "registry" / "generate.json").exists()  # nothing submitted
