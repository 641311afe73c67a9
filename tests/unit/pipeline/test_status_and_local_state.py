"""What ``nsl status`` / ``nsl logs`` show per unit, and how a dead local runner is noticed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from nemo_skills_lite.cluster.local_state import args_path, pid_path, read_state
from nemo_skills_lite.runtime.markers import mark_done
from nemo_skills_lite.runtime.spec import StageSpec, UnitSpec


@pytest.mark.parametrize("by_level,expected", [
    (["RUNNING", "PENDING", "PENDING"], "RUNNING"),  # dependent_jobs=2: the first attempt runs
    (["FAILED", "RUNNING", "PENDING"], "RUNNING"),
    (["TIMEOUT", "PENDING"], "TIMEOUT"),  # the latest attempt that ran; the next one is waiting
    (["COMPLETED", "COMPLETED"], "COMPLETED"),
    (["PENDING", "PENDING"], "PENDING"),
    (["FAILED", "CANCELLED"], "CANCELLED"),
])
def test_unit_state_is_the_running_or_latest_attempt(by_level, expected) -> None:
    from nemo_skills_lite.pipeline.submission import pick_state

    assert pick_state(by_level) == expected


def test_unit_logs_include_the_slurm_batch_output(tmp_path: Path) -> None:
    from nemo_skills_lite.pipeline.status import unit_logs

    names = ["S-L0-100_0.out", "S-L0-100_1.out", "S-L1-101_1.out", "S-L0-u1-client.log", "S-L0-u1-server-0.log",
             "S-L0-u10-client.log", "S-L0-200_0.out", "T-L0-100_1.out"]
    for n in names:
        (tmp_path / n).write_text("x\n")
    rec = {"executor": "slurm", "stage_id": "S", "log_dir": str(tmp_path), "levels": [["100", "200"], ["101"]],
           "offsets": {"100": 0, "200": 1000, "101": 0}}
    assert [p.name for p in unit_logs(rec, 1)] == ["S-L0-100_1.out", "S-L0-u1-client.log", "S-L0-u1-server-0.log",
                                                  "S-L1-101_1.out"]
    assert [p.name for p in unit_logs(rec, 1000)] == ["S-L0-200_0.out"]  # second array slice, task 0
    local = {"executor": "local", "stage_id": "S", "log_dir": str(tmp_path), "levels": [["local:x"]]}
    (tmp_path / "S-L0-u1.out").write_text("x\n")
    assert [p.name for p in unit_logs(local, 1)] == ["S-L0-u1-client.log", "S-L0-u1-server-0.log", "S-L0-u1.out"]


def _stage_files(tmp_path: Path, units: dict[str, str], pid: int | None, **extra) -> str:
    spec = StageSpec(expname="e", stage_id="S", kind="run_cmd", cluster="l", executor="local", log_dir=str(tmp_path),
                     units=tuple(UnitSpec(i, "true", str(tmp_path / f"out{i}.jsonl")) for i in range(len(units))))
    spec.write()
    state = tmp_path / ".nsl" / "S.state.json"
    state.write_text(json.dumps({"stage": "RUNNING", "units": units, **({"pid": pid} if pid else {}), **extra}))
    return str(state)


def test_a_dead_runner_reports_its_unfinished_units_failed(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    state = _stage_files(tmp_path, {"0": "RUNNING", "1": "PENDING", "2": "COMPLETED", "3": "RUNNING"}, gone.pid)
    mark_done(str(tmp_path / "out3.jsonl"), rows=1)  # its unit process finished after the runner died
    st = read_state(state)
    assert st["stage"] == "FAILED" and "is gone" in st["reason"]
    assert st["units"] == {"0": "FAILED", "1": "FAILED", "2": "COMPLETED", "3": "COMPLETED"}


def test_runner_liveness_checks_the_process_is_the_runner(tmp_path: Path) -> None:
    state = str(tmp_path / ".nsl" / "S.state.json")
    runner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", args_path(state)])
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", str(tmp_path / ".nsl" / "S.json")])
    try:
        _stage_files(tmp_path, {"0": "RUNNING", "1": "RUNNING"}, runner.pid, procs={"0": orphan.pid, "1": 1})
        assert read_state(state)["stage"] == "RUNNING" and "reason" not in read_state(state)
        runner.kill()  # not reaped: a zombie counts as dead
        while psutil.Process(runner.pid).status() != psutil.STATUS_ZOMBIE:
            time.sleep(0.05)
        st = read_state(state)
        assert st["units"] == {"0": "RUNNING", "1": "FAILED"}  # unit 0's process outlived the runner
        assert st["stage"] == "RUNNING"
        orphan.kill()
        orphan.wait()
        assert read_state(state)["stage"] == "FAILED"
        # a pid that is alive but is not the runner (pid reuse) does not count either
        _stage_files(tmp_path, {"0": "PENDING"}, None)
        Path(pid_path(state)).write_text(str(os.getpid()))  # no pid in the state: the launcher's file
        assert read_state(state)["units"] == {"0": "FAILED"}
    finally:
        for p in (runner, orphan):
            p.kill()
            p.wait()


def test_a_runner_on_another_host_or_a_finished_stage_is_taken_as_written(tmp_path: Path) -> None:
    state = _stage_files(tmp_path, {"0": "RUNNING"}, 999999, host="some-other-node")
    assert read_state(state)["stage"] == "RUNNING"
    state = _stage_files(tmp_path, {"0": "COMPLETED"}, 999999)
    Path(state).write_text(json.dumps({"stage": "COMPLETED", "pid": 999999, "units": {"0": "COMPLETED"}}))
    assert read_state(state)["stage"] == "COMPLETED"
    assert read_state(str(tmp_path / "missing.state.json"))["stage"] == "UNKNOWN"
