"""Smoke tests of the real local Slurm cluster itself (not of the framework's backend).

They submit real jobs with sbatch and check what the Slurm backend relies on: multi-node jobs,
throttled arrays, large arrays (MaxArraySize), fake GPUs -> CUDA_VISIBLE_DEVICES, afterany chains.
"""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from tests.fixtures.slurm import SlurmClusterInfo, job_field, wait_jobs

pytestmark = pytest.mark.slurm
PREFIX = "nsl-ci-smoke-"


def sbatch(script: Path, *args: str) -> str:
    res = subprocess.run(
        ["sbatch", "--parsable", *args, str(script)], capture_output=True, text=True, timeout=30
    )
    assert res.returncode == 0, f"sbatch {args} failed: {res.stderr}"
    return res.stdout.strip().split(";")[0]


def write_script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/bash\nset -euo pipefail\n" + body)
    return path


def test_cluster_shape(slurm_cluster: SlurmClusterInfo) -> None:
    assert slurm_cluster.nodes == ("node1", "node2")
    assert slurm_cluster.default_partition == "gpu"
    assert set(slurm_cluster.partitions) == {"gpu", "cpu"}
    assert slurm_cluster.gpus_per_node == 4
    assert slurm_cluster.max_array_size > 1024
    assert slurm_cluster.config_path.is_file()


def test_two_node_job_runs_a_step_on_each_node(slurm_cluster: SlurmClusterInfo, tmp_path: Path) -> None:
    script = write_script(tmp_path / "two.sh", 'srun bash -c \'echo "rank=$SLURM_PROCID node=$SLURMD_NODENAME"\'\n')
    jid = sbatch(script, "-J", PREFIX + "2node", "-N2", "--ntasks-per-node=1", "-o", str(tmp_path / "out.txt"))
    assert wait_jobs([jid]) == {jid: "COMPLETED"}
    lines = sorted((tmp_path / "out.txt").read_text().split())
    assert "node=node1" in lines and "node=node2" in lines, lines


def test_array_with_throttle(slurm_cluster: SlurmClusterInfo, tmp_path: Path) -> None:
    body = (
        f'echo "$(date +%s.%N) start" > {tmp_path}/t$SLURM_ARRAY_TASK_ID\n'
        "sleep 1.5\n"
        f'echo "$(date +%s.%N) end $SLURM_ARRAY_JOB_ID" >> {tmp_path}/t$SLURM_ARRAY_TASK_ID\n'
    )
    script = write_script(tmp_path / "arr.sh", body)
    jid = sbatch(script, "-J", PREFIX + "array", "--array=0-5%2", "-c1", "-o", "/dev/null")
    assert job_field(jid, "ArrayTaskThrottle") == "2"
    states = wait_jobs([jid])
    assert sorted(states) == sorted(f"{jid}_{i}" for i in range(6)), states
    assert set(states.values()) == {"COMPLETED"}
    intervals = []
    for i in range(6):
        start, end = (tmp_path / f"t{i}").read_text().splitlines()
        assert end.split()[2] == jid  # SLURM_ARRAY_JOB_ID
        intervals.append((float(start.split()[0]), float(end.split()[0])))
    # At no moment did more than 2 tasks run (checked at every task start).
    peak = max(sum(s <= t0 < e for s, e in intervals) for t0, _ in intervals)
    assert 1 <= peak <= 2, intervals


def test_large_array_is_accepted_and_too_large_rejected(slurm_cluster: SlurmClusterInfo, tmp_path: Path) -> None:
    script = write_script(tmp_path / "noop.sh", "true\n")
    jid = sbatch(script, "-J", PREFIX + "big", "--hold", "--array=0-3999", "-o", "/dev/null")
    try:
        assert job_field(jid, "ArrayTaskId") == "0-3999"
    finally:
        subprocess.run(["scancel", jid], check=True, timeout=30)
    res = subprocess.run(
        ["sbatch", "--hold", "--array=0-4001", str(script)], capture_output=True, text=True, timeout=30
    )
    assert res.returncode != 0 and "array" in res.stderr.lower(), res.stderr


def test_gpu_job_gets_cuda_visible_devices(slurm_cluster: SlurmClusterInfo, tmp_path: Path) -> None:
    script = write_script(tmp_path / "gpu.sh", 'echo "cvd=$CUDA_VISIBLE_DEVICES"\n')
    jid = sbatch(script, "-J", PREFIX + "gpu", "--gpus-per-node=2", "-o", str(tmp_path / "gpu.txt"))
    assert wait_jobs([jid]) == {jid: "COMPLETED"}
    cvd = (tmp_path / "gpu.txt").read_text().strip().removeprefix("cvd=")
    assert len(cvd.split(",")) == 2 and all(d.isdigit() for d in cvd.split(",")), cvd
    # Asking for more GPUs than a node has is refused at submit time, not left pending forever.
    res = subprocess.run(
        ["sbatch", "--gpus-per-node=5", str(script)], capture_output=True, text=True, timeout=30
    )
    assert res.returncode != 0, res.stdout


def test_afterany_chain_runs_after_a_failure(slurm_cluster: SlurmClusterInfo, tmp_path: Path) -> None:
    fail = write_script(tmp_path / "fail.sh", "sleep 1\nexit 3\n")
    nxt = write_script(tmp_path / "next.sh", f"date +%s > {tmp_path}/next.txt\n")
    first = sbatch(fail, "-J", PREFIX + "fail", "-p", "cpu", "-o", "/dev/null")
    second = sbatch(nxt, "-J", PREFIX + "next", "-p", "cpu", f"--dependency=afterany:{first}", "-o", "/dev/null")
    states = wait_jobs([first, second])
    assert states == {first: "FAILED", second: "COMPLETED"}
    assert job_field(first, "ExitCode") == "3:0"
    end_first = datetime.fromisoformat(job_field(first, "EndTime"))
    start_second = datetime.fromisoformat(job_field(second, "StartTime"))
    assert start_second >= end_first
