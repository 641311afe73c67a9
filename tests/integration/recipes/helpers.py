"""Running a recipe script as a user would, on the local executor or on the REAL local Slurm cluster."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nemo_skills_lite.pipeline.cli import wait

ROOT = Path(__file__).resolve().parents[3]
EXECUTORS = [pytest.param("local"), pytest.param("slurm", marks=pytest.mark.slurm)]


def recipe_cluster(executor: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A cluster config of its own for this test (its own registry): 'local', or a Slurm YAML using the real
    test cluster with GPU jobs on `gpu` and CPU jobs on `cpu` (the slurm_cluster fixture must answer)."""
    cfg = {"executor": executor, "registry_dir": str(tmp_path / "registry")}
    if executor == "slurm":
        request.getfixturevalue("slurm_cluster")
        cfg.update(partition="gpu", cpu_partition="cpu", job_name_prefix="nsl-recipe-",
                   timeouts={"gpu": "00:10:00", "cpu": "00:10:00"},
                   env_vars=["NSL_VLLM_PYTHON=/opt/nsl/vllm-venv/bin/python"])
    path = tmp_path / f"{executor}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def run_recipe(script: str, cluster: str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    p = subprocess.run([sys.executable, script, "--cluster", cluster, *args], cwd=ROOT, capture_output=True,
                       text=True, timeout=timeout)
    assert p.returncode == 0, p.stderr[-3000:]
    return p


def wait_all(cluster: str, stages: list[str], timeout: float = 900) -> None:
    """Every stage of the recipe finished (the last one is waited for first: it runs after all others)."""
    assert wait(stages[-1], cluster, timeout=timeout, poll_s=1.0) == "finished", stages[-1]
    # stages on parallel branches (C++ beside Python, say) may still be finishing: same deadline for each
    assert [wait(name, cluster, timeout=timeout, poll_s=1.0) for name in stages] == ["finished"] * len(stages)


def slurm_job_states(registry_dir: Path, stages: list[str], timeout: float = 120) -> set[str]:
    """The final Slurm states of every job the stages submitted. A job writes its marker before it tears down
    its server/sandbox and exits, so 'finished' can come a few seconds before the job leaves RUNNING."""
    import time

    from nemo_skills_lite.cluster.slurm import Slurm
    from nemo_skills_lite.pipeline.registry import Registry

    reg = Registry(registry_dir)
    assert set(stages) <= set(reg.known())
    job_ids = [j for name in stages for rec in reg.stages(name) for level in rec["levels"] for j in level]
    assert len(job_ids) >= len(stages)
    deadline = time.monotonic() + timeout
    while True:
        states = set(Slurm().states(job_ids).values())
        if not states & {"PENDING", "RUNNING", "COMPLETING", "CONFIGURING"} or time.monotonic() > deadline:
            return states
        time.sleep(1)


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


