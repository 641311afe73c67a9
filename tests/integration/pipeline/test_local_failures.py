"""Failures and reruns on the local executor: relative paths from another folder, a dependent
cancelled when its upstream fails, a rerun while the stage still runs, and a runner killed with -9."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from nemo_skills_lite.pipeline.cli import generate, run_cmd, submit, wrap_arguments
from tests.integration.pipeline.helpers import TASK, nsl, poll, rows, wait_stage, write_config, write_input


def _state(log_dir: Path) -> tuple[Path, dict]:
    path = next((log_dir / ".nsl").glob("*.state.json"))
    return path, json.loads(path.read_text())


def test_relative_paths_work_from_any_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write_config(tmp_path / "c.yaml", "local")
    work = tmp_path / "work"
    work.mkdir()
    write_input(work / "in.jsonl", 3)
    monkeypatch.chdir(work)  # jobs run in the checkout folder; these paths are the user's
    generate(ctx=wrap_arguments("++delay=0.05"), cluster=cfg, input_file="in.jsonl", output_dir="out",
             expname="rel", generation_module=TASK)
    run_cmd(ctx=wrap_arguments(f"cp {work}/out/output.jsonl {work}/copy.jsonl"), cluster=cfg, expname="rel-cp",
            run_after="rel", log_dir="cp-logs")
    assert wait_stage(cfg, "rel-cp", timeout=60) == "finished"
    assert [r["idx"] for r in rows(work / "out" / "output.jsonl")] == [0, 1, 2]
    assert (work / "cp-logs" / ".nsl").is_dir() and len(rows(work / "copy.jsonl")) == 3


def test_dependent_is_cancelled_when_its_upstream_fails(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", "local")
    run_cmd(ctx=wrap_arguments("sleep 2; exit 3"), cluster=cfg, expname="up", log_dir=str(tmp_path / "up"))
    run_cmd(ctx=wrap_arguments(f"touch {tmp_path}/ran"), cluster=cfg, expname="down", run_after="up",
            log_dir=str(tmp_path / "down"))
    assert wait_stage(cfg, "down", timeout=60) == "failed"
    assert wait_stage(cfg, "up") == "failed" and not (tmp_path / "ran").exists()
    _, st = _state(tmp_path / "down")
    assert st["stage"] == "CANCELLED" and st["reason"] == "DependencyNeverSatisfied"
    status = nsl("status", "down", "--cluster", cfg)
    assert "CANCELLED" in status.stdout, status.stdout + status.stderr


def test_rerun_while_running_does_not_resubmit(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    cfg = write_config(tmp_path / "c.yaml", "local")
    kw = dict(cluster=cfg, input_file=write_input(tmp_path / "in.jsonl", 4), output_dir=str(tmp_path / "out"),
              expname="busy", generation_module=TASK, num_random_seeds=2)
    assert generate(ctx=wrap_arguments("++delay=1"), **kw).units_submitted == 2
    again = generate(ctx=wrap_arguments("++delay=1"), **kw)
    assert again.units_submitted == 0 and again.job_ids == []
    assert "busy: 2 unit(s) still running; not resubmitted" in capsys.readouterr().out
    # a stage submitted after the rerun still waits for the units of the first submission
    run_cmd(ctx=wrap_arguments(f"cat {tmp_path}/out/output-rs0.jsonl > {tmp_path}/after.jsonl"), cluster=cfg,
            expname="after-busy", run_after="busy", log_dir=str(tmp_path / "logs"))
    assert wait_stage(cfg, "after-busy", timeout=60) == "finished"
    assert len(rows(tmp_path / "after.jsonl")) == 4
    for seed in range(2):  # each unit ran once: one start in its trace
        trace = rows(tmp_path / "out" / f"output-rs{seed}.jsonl.trace")
        assert [e["event"] for e in trace] == ["start", "end"]


def test_a_runner_killed_with_kill9_ends_failed_and_cancel_stops_its_orphans(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", "local")
    run_cmd(ctx=wrap_arguments("sleep 300"), cluster=cfg, expname="victim", log_dir=str(tmp_path / "v"))
    run_cmd(ctx=wrap_arguments(f"touch {tmp_path}/ran"), cluster=cfg, expname="victim-down", run_after="victim",
            log_dir=str(tmp_path / "d"))
    submit()
    poll(lambda: _state(tmp_path / "v")[1]["units"].get("0") == "RUNNING", 30, "the unit to start")
    path, st = _state(tmp_path / "v")
    worker = st["procs"]["0"]
    os.kill(st["pid"], signal.SIGKILL)  # the runner dies; its unit process (own session) lives on
    time.sleep(1)
    assert "RUNNING" in nsl("status", "victim", "--cluster", cfg).stdout  # the orphan is still working
    p = nsl("cancel", "victim", "--cluster", cfg)  # reaches the orphan although the runner is gone
    assert p.returncode == 0, p.stderr
    assert wait_stage(cfg, "victim", timeout=30) == "failed"
    poll(lambda: not _alive(worker), 30, "the orphaned unit process to exit")
    assert wait_stage(cfg, "victim-down", timeout=30) == "failed"  # the dependent does not wait forever
    assert not (tmp_path / "ran").exists()
    status = nsl("status", "victim", "--cluster", cfg).stdout
    assert "FAILED" in status and "RUNNING" not in status
    assert json.loads(path.read_text())["stage"] == "RUNNING"  # the file was left as the runner died


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
