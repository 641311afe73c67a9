"""The Slurm backend's own code paths against a fake ``sbatch``/``squeue``/``scancel`` on PATH (fault injection):
a graph whose third sbatch fails cancels what it had submitted; array slices count task ids from their offset;
squeue's output is parsed into JobState values. The same paths run on the real local Slurm in tests/integration."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from nemo_skills_lite.cluster.config import load_cluster_config
from nemo_skills_lite.cluster.slurm import JobState, Slurm
from nemo_skills_lite.pipeline.cli import generate, run_cmd, submit, wrap_arguments
from nemo_skills_lite.pipeline.submission import unit_job_states
from nemo_skills_lite.utils.errors import NslError

FAKE_SBATCH = """#!/bin/bash
n=$(( $(cat "$FAKE/count" 2>/dev/null || echo 0) + 1 )); echo $n > "$FAKE/count"
cat > "$FAKE/script-$n.sbatch"
if [ "$n" = "${FAKE_FAIL_AT:-0}" ]; then echo "sbatch: error: QOSMaxSubmitJobPerUserLimit" >&2; exit 1; fi
echo "$((100 + n))"
"""
FAKE_SCANCEL = """#!/bin/bash
echo "$@" >> "$FAKE/scancel.log"
"""
FAKE_SQUEUE = """#!/bin/bash
cat "$FAKE/squeue.out"
"""


@pytest.fixture
def fake_slurm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    fake = tmp_path / "fake"
    fake.mkdir()
    for name, text in (("sbatch", FAKE_SBATCH), ("scancel", FAKE_SCANCEL), ("squeue", FAKE_SQUEUE)):
        (fake / name).write_text(text)
        (fake / name).chmod(0o755)
    monkeypatch.setenv("FAKE", str(fake))
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    return fake


def _cfg(tmp_path: Path, **extra) -> str:
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump({"executor": "slurm", "partition": "p", "max_array_size": 4,
                                 "registry_dir": str(tmp_path / "reg"), **extra}))
    return str(p)


def test_a_failing_sbatch_cancels_what_the_graph_submitted(tmp_path: Path, fake_slurm: Path, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_FAIL_AT", "3")
    cfg = _cfg(tmp_path)
    run_cmd(ctx=wrap_arguments("true"), cluster=cfg, expname="one", log_dir=str(tmp_path / "l1"))
    run_cmd(ctx=wrap_arguments("true"), cluster=cfg, expname="two", run_after="one", log_dir=str(tmp_path / "l2"))
    run_cmd(ctx=wrap_arguments("true"), cluster=cfg, expname="three", run_after="two", log_dir=str(tmp_path / "l3"))
    with pytest.raises(NslError, match=r"failed at stage 'three': sbatch failed \(exit 1\): sbatch: error: "
                                       r"QOSMaxSubmitJobPerUserLimit; cancelled the 2 stage\(s\) it had already "
                                       r"submitted: one, two"):
        submit()
    assert (fake_slurm / "scancel.log").read_text().split() == ["101", "102"]
    assert not list((tmp_path / "reg").glob("*.json"))  # no record of a graph that did not go in whole
    assert "--dependency=afterok:101" in (fake_slurm / "script-2.sbatch").read_text()


def test_array_slices_count_from_their_offset_and_states_map_back(tmp_path: Path, fake_slurm: Path) -> None:
    cfg = _cfg(tmp_path)
    inp = tmp_path / "in.jsonl"
    inp.write_text('{"problem": "x"}\n')
    h = generate(ctx=wrap_arguments("++prompt_config=generic/math"), cluster=cfg, input_file=str(inp),
                 output_dir=str(tmp_path / "out"), expname="arr", server_address="http://h:1", num_random_seeds=10)
    assert h.job_ids == ["101", "102", "103"]  # units 0-3, 4-7, 8-9: task ids stay below MaxArraySize=4
    scripts = [(fake_slurm / f"script-{i}.sbatch").read_text() for i in (1, 2, 3)]
    assert ["#SBATCH --array=0-3" in s for s in scripts] == [True, True, False]
    assert "#SBATCH --array=0-1" in scripts[2] and "UNIT=$(( 8 + ${SLURM_ARRAY_TASK_ID:-0} ))" in scripts[2]
    (fake_slurm / "squeue.out").write_text("103_1|RUNNING|None\n103_0|CANCELLED by 0|None\n101_2|PENDING|Dependency\n")
    rec = json.loads((tmp_path / "reg" / "arr.json").read_text())[-1]
    states = unit_job_states(rec, load_cluster_config(cfg))
    assert states == {9: [JobState.RUNNING], 8: [JobState.CANCELLED], 2: [JobState.PENDING]}
    assert Slurm().states(["103"])["103_0"] == "CANCELLED"  # the enum compares equal to the scheduler's text
