"""The sbatch renderer is pure: fixed inputs give byte-identical scripts (golden files).

Regenerate after an intended change with NSL_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nemo_skills_lite.cluster.config import parse_config
from nemo_skills_lite.cluster.sbatch import ArraySlice, array_spec, render_sbatch
from nemo_skills_lite.runtime.spec import MergeSpec, ServerSpec, StageSpec, UnitSpec

GOLDEN = Path(__file__).parent / "golden"


def _stage(**kw) -> StageSpec:
    units = tuple(UnitSpec(index=i, command=f"python -m task ++seed={i}", marker=f"/w/out/output-rs{i}.jsonl",
                           seed=i, merge=None) for i in range(4))
    base = dict(expname="r1-math", stage_id="r1-math-S", kind="generate", cluster="c", executor="slurm",
                log_dir="/w/out/logs", units=units, python="/opt/venv/bin/python",
                env={"HF_HOME": "/w/hf", "NSL_CODE_DIR": "/code"}, time_limit="04:00:00")
    base.update(kw)
    return StageSpec(**base)


HOST_CFG = parse_config({"executor": "slurm", "partition": "gpu", "cpu_partition": "cpu", "account": "acct",
                         "job_name_prefix": "nsl-"}, name="c", source="c.yaml")
PYXIS_CFG = parse_config({"executor": "slurm", "partition": "batch", "account": "acct",
                          "containers": {"sglang": "lmsys/sglang:1", "nemo-skills": "nsl:1", "sandbox": "sbx:1"},
                          "mounts": ["/lustre/w:/workspace"]}, name="c", source="c.yaml")

CASES = {
    # partitions as the planner picks them (ClusterConfig.partition_for): cpu_partition without GPUs
    "cpu_command": (_stage(kind="run_cmd", partition="cpu"), HOST_CFG, ArraySlice(0, (0,)), None),
    "server_2x8_chain": (
        _stage(server=ServerSpec("sglang", "/workspace/R1", gpus=8, nodes=2, args="--load-format sharded_state",
                                 container="lmsys/sglang:1"),
               client_container="nsl:1", mounts=("/lustre/w:/workspace",), python="python3",
               sbatch_lines=("--exclusive", "--time-min=01:00:00"), partition="batch"),
        PYXIS_CFG, ArraySlice(1, (0, 1, 2, 3), throttle=2), "afterany:100:101"),
    "sandbox_offset_slice": (
        _stage(with_sandbox=True, server=ServerSpec("vllm", "/m", gpus=1), partition="gpu"), HOST_CFG,
        ArraySlice(0, (1000, 1001, 1003), offset=1000), "afterok:7"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_render_matches_golden(name: str) -> None:
    stage, cfg, sl, dep = CASES[name]
    text = render_sbatch(stage, cfg, sl, dependency=dep, code_dir="/code")
    path = GOLDEN / f"{name}.sbatch"
    if os.environ.get("NSL_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert text == path.read_text()
    assert text.startswith("#!/bin/bash\n")
    assert render_sbatch(stage, cfg, sl, dependency=dep, code_dir="/code") == text  # pure


def test_pyxis_flags_only_with_containers() -> None:
    stage, cfg, sl, dep = CASES["server_2x8_chain"]
    text = render_sbatch(stage, cfg, sl, dependency=dep, code_dir="/code")
    assert "--container-image=lmsys/sglang:1" in text and "--no-container-mount-home" in text
    assert "--container-mounts=/lustre/w:/workspace,/code:/nemo_run/code" in text
    stage, cfg, sl, dep = CASES["cpu_command"]
    assert "--container" not in render_sbatch(stage, cfg, sl, dependency=dep, code_dir="/code")


def test_kill_on_invalid_dep_with_every_dependency() -> None:
    for stage, cfg, sl, dep in CASES.values():
        text = render_sbatch(stage, cfg, sl, dependency=dep, code_dir="/code")
        assert ("--kill-on-invalid-dep=yes" in text) == bool(dep)


@pytest.mark.parametrize("units,throttle,expected", [
    ((0,), None, "0"), ((0, 1, 2, 5, 7, 8), None, "0-2,5,7-8"), ((3, 1, 2), 4, "1-3%4"),
])
def test_array_spec(units, throttle, expected) -> None:
    assert array_spec(units, throttle) == expected


def test_merge_spec_roundtrip(tmp_path: Path) -> None:
    units = (UnitSpec(0, "c", "/o/output-rs0_chunk_0.jsonl", seed=0, chunk=0, inputs=("/i.jsonl",),
                      merge=MergeSpec("/o/output-rs0.jsonl", ("/o/output-rs0_chunk_0.jsonl",))),)
    stage = _stage(units=units, log_dir=str(tmp_path), server=ServerSpec("vllm", "/m", gpus=1))
    back = StageSpec.read(stage.write())
    assert back == stage
