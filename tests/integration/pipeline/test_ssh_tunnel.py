"""ssh_tunnel for real: every scheduler command of a pipeline on the REAL local Slurm cluster goes through
a private sshd on 127.0.0.1 (tests/fixtures/ssh.py); specs, logs, markers and the registry stay on the
shared filesystem. Proof of the route: the sshd log counts the logins, and the jobs' environment (sbatch
exports its own) carries the SSH_CONNECTION of the tunnel."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from nemo_skills_lite.cluster.slurm import Slurm
from nemo_skills_lite.pipeline.cli import generate, run_cmd, submit, wrap_arguments
from tests.integration.pipeline.helpers import TASK, nsl, poll, rows, wait_stage, write_config, write_input

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]


def test_generate_then_run_cmd_through_the_tunnel(tmp_path: Path, sshd) -> None:
    cfg = write_config(tmp_path / "c.yaml", "slurm", ssh_tunnel=sshd.tunnel())
    inp = write_input(tmp_path / "in.jsonl", 6)
    out = tmp_path / "out"
    before = sshd.logins()
    h = generate(ctx=wrap_arguments("++delay=0.2"), cluster=cfg, input_file=inp, output_dir=str(out),
                 expname="ssh-gen", generation_module=TASK, num_chunks=2)
    assert h.units_submitted == 2 and len(h.job_ids) == 1
    after_submit = sshd.logins()
    assert after_submit > before  # sbatch (and scontrol show config) logged in through the tunnel
    copy = run_cmd(ctx=wrap_arguments(f'echo "$SSH_CONNECTION" > {tmp_path}/conn.txt; '
                                      f'cp {out}/output.jsonl {tmp_path}/copied.jsonl'),
                   cluster=cfg, expname="ssh-copy", run_after="ssh-gen", log_dir=str(tmp_path / "logs"))
    assert len(copy.job_ids) == 1
    assert wait_stage(cfg, "ssh-copy", timeout=180) == "finished"
    assert [r["idx"] for r in rows(out / "output.jsonl")] == list(range(6))  # 2 chunks merged in order
    assert [r["idx"] for r in rows(tmp_path / "copied.jsonl")] == list(range(6))  # ran after generate
    assert not (out / "output_chunk_0.jsonl").exists()
    conn = (tmp_path / "conn.txt").read_text().split()
    assert conn[:1] == ["127.0.0.1"] and conn[-1] == str(sshd.port)  # submitted from inside an ssh session
    assert sshd.logins() > after_submit  # run_cmd's sbatch and wait's squeue polls went through ssh too

    status = nsl("status", "ssh-copy", "--cluster", cfg)
    assert status.returncode == 0, status.stderr
    assert "ssh-copy" in status.stdout


def test_cancel_through_the_tunnel(tmp_path: Path, sshd) -> None:
    cfg = write_config(tmp_path / "c.yaml", "slurm", ssh_tunnel=sshd.tunnel())
    h = run_cmd(ctx=wrap_arguments("sleep 300"), cluster=cfg, expname="ssh-long", log_dir=str(tmp_path / "logs"))
    submit()
    time.sleep(1)
    before = sshd.logins()
    p = nsl("cancel", "ssh-long", "--cluster", cfg)
    assert p.returncode == 0, p.stderr
    assert sshd.logins() > before  # scancel went through ssh
    poll(lambda: set(Slurm().states(h.job_ids).values()) == {"CANCELLED"}, 30, "the job to be cancelled")
