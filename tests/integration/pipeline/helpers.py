"""Shared helpers for orchestration integration tests (real Slurm and the local executor)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import yaml

from nemo_skills_lite.pipeline.cli import wait

ROOT = Path(__file__).resolve().parents[3]
TASK = "tests.integration.pipeline.slow_task"


def write_config(path: Path, executor: str, **extra) -> str:
    slurm = {"partition": "cpu", "job_name_prefix": "nsl-it-"} if executor == "slurm" else {}
    cfg = {"executor": executor, "registry_dir": str(path.parent / "registry"), **slurm, **extra}
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def write_input(path: Path, n: int) -> str:
    path.write_text("".join(json.dumps({"problem": f"p{i}", "idx": i}) + "\n" for i in range(n)))
    return str(path)


def wait_stage(config: str, expname: str, timeout: float = 240) -> str:
    """'finished' or 'failed' once the expname's stages ended (the public ``wait``)."""
    return wait(expname, config, timeout=timeout, poll_s=1.0)


def rows(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def max_overlap(trace_files: list[Path]) -> int:
    """Most jobs running at one time, from start/end events of the slow task's traces."""
    events = []
    for f in trace_files:
        for ev in rows(f):
            events.append((ev["t"], 1 if ev["event"] == "start" else -1))
    cur = best = 0
    for _, d in sorted(events):
        cur += d
        best = max(best, cur)
    return best


def nsl(*args: str) -> subprocess.CompletedProcess:
    """Run the ``nsl`` CLI in a fresh process, like a user would."""
    return subprocess.run([sys.executable, "-m", "nemo_skills_lite.cli", *args], capture_output=True, text=True,
                          cwd=ROOT)


def poll(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """``check()``'s first truthy value, polling; an AssertionError naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
