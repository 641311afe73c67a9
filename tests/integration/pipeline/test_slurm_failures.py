"""Failures, reruns and what ``nsl status/logs`` show, on the REAL local Slurm cluster: a dependent
cancelled when its upstream fails, the state of the running attempt of a chained unit, the batch
``.out`` in ``nsl logs``, a rerun while the stage still runs, and the time limit of ``cpu_partition``."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_skills_lite.cluster.slurm import Slurm
from nemo_skills_lite.pipeline.cli import run_cmd, submit, wrap_arguments
from tests.integration.pipeline.helpers import nsl, poll, wait_stage, write_config

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]


def test_dependent_is_cancelled_when_its_upstream_fails(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", "slurm")
    run_cmd(ctx=wrap_arguments("sleep 3; exit 3"), cluster=cfg, expname="up", log_dir=str(tmp_path / "up"))
    down = run_cmd(ctx=wrap_arguments(f"touch {tmp_path}/ran"), cluster=cfg, expname="down", run_after="up",
                   log_dir=str(tmp_path / "down"))
    assert wait_stage(cfg, "down", timeout=120) == "failed"
    assert wait_stage(cfg, "up") == "failed" and not (tmp_path / "ran").exists()
    assert set(Slurm().states(down.job_ids).values()) == {"CANCELLED"}  # --kill-on-invalid-dep=yes
    assert "CANCELLED" in nsl("status", "down", "--cluster", cfg).stdout


def test_status_shows_the_running_attempt_and_logs_show_the_batch_output(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", "slurm")
    h = run_cmd(ctx=wrap_arguments("echo hello-from-the-client; sleep 8"), cluster=cfg, expname="chained",
                log_dir=str(tmp_path / "logs"), dependent_jobs=1)
    assert len(h.job_ids) == 2
    # the first attempt runs while the second waits on it: the unit is RUNNING, not PENDING
    poll(lambda: "RUNNING" in nsl("status", "chained", "--cluster", cfg).stdout, 60, "status RUNNING")
    assert wait_stage(cfg, "chained", timeout=120) == "finished"
    poll(lambda: Slurm().states(h.job_ids[1:]).get(f"{h.job_ids[1]}_0") == "COMPLETED", 60, "the second attempt")
    logs = nsl("logs", "chained", "--cluster", cfg).stdout
    assert f"-L1-{h.job_ids[1]}_0.out <==" in logs and "unit 0 is already done" in logs  # the batch .out
    assert "-L0-u0-client.log <==" in logs and "hello-from-the-client" in logs


def test_rerun_while_running_does_not_resubmit(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    cfg = write_config(tmp_path / "c.yaml", "slurm")
    kw = dict(cluster=cfg, expname="busy", log_dir=str(tmp_path / "logs"))
    first = run_cmd(ctx=wrap_arguments("sleep 60"), **kw)
    submit()  # the first submission is running before the rerun is planned
    try:
        again = run_cmd(ctx=wrap_arguments("sleep 60"), **kw)
        assert again.units_submitted == 0 and again.job_ids == []
        assert "busy: 1 unit(s) still running; not resubmitted" in capsys.readouterr().out
    finally:
        Slurm().cancel(first.job_ids + again.job_ids if "again" in locals() else first.job_ids)
    assert wait_stage(cfg, "busy", timeout=60) == "failed"
    assert run_cmd(ctx=wrap_arguments("true"), **kw).units_submitted == 1  # ended: a rerun submits again


def test_cpu_jobs_get_the_time_limit_of_cpu_partition(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", "slurm", partition="gpu", cpu_partition="cpu",
                       timeouts={"gpu": "00:30:00", "cpu": "00:02:00"})
    h = run_cmd(ctx=wrap_arguments("true"), cluster=cfg, expname="cpu-limit", log_dir=str(tmp_path / "logs"))
    out = Slurm().run(["squeue", "-h", "-r", "-t", "all", "-j", h.job_ids[0], "-o", "%P|%l"])
    assert out.split() and set(out.split()) == {"cpu|2:00"}
    assert wait_stage(cfg, "cpu-limit", timeout=120) == "finished"
