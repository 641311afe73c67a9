"""Shared helpers for orchestration integration tests (real Slurm and the local executor)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import yaml

from nemo_skills_lite.cluster.config import load_cluster_config
from nemo_skills_lite.pipeline.registry import Registry, registry_root
from nemo_skills_lite.pipeline.submit import stage_status

ROOT = Path(__file__).resolve().parents[3]
TASK = "tests.integration.pipeline.slow_task"


def write_config(path: Path, executor: str, **extra) -> str:
    cfg = {"executor": executor, "registry_dir": str(path.parent / "registry"), **extra}
    if executor == "slurm":
        cfg.update(partition="cpu", job_name_prefix="nsl-it-")
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def write_input(path: Path, n: int) -> str:
    path.write_text("".join(json.dumps({"problem": f"p{i}", "idx": i}) + "\n" for i in range(n)))
    return str(path)


def wait_stage(config: str, expname: str, timeout: float = 240) -> str:
    """Poll until the expname's latest stage is finished or failed; returns that status."""
    cfg = load_cluster_config(config)
    reg = Registry(registry_root(cfg))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, _ = stage_status(reg.stages(expname)[-1], cfg)
        if status != "running":
            return status
        time.sleep(1)
    raise TimeoutError(f"{expname} still running after {timeout}s")


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
