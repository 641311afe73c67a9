"""ssh_tunnel.options: parsed into SshTunnel.options and passed as `-o` options before the ssh target."""

from __future__ import annotations

import pytest

from nemo_skills_lite.cluster.config import SshTunnel, parse_config
from nemo_skills_lite.cluster.slurm import Slurm
from nemo_skills_lite.utils.errors import NslError


def _ssh(**tunnel) -> SshTunnel | None:
    return parse_config({"executor": "slurm", "ssh_tunnel": tunnel}, name="c", source="c.yaml").ssh_tunnel


def test_options_are_parsed_and_go_before_the_target() -> None:
    ssh = _ssh(host="login", user="me", identity="/k",
               options=["Port=22022", "StrictHostKeyChecking=accept-new", "UserKnownHostsFile=/tmp/kh"])
    assert ssh.options == ("Port=22022", "StrictHostKeyChecking=accept-new", "UserKnownHostsFile=/tmp/kh")
    argv = Slurm(ssh).command_argv(["sbatch", "--parsable"])
    assert argv == ["ssh", "-o", "BatchMode=yes", "-o", "Port=22022", "-o", "StrictHostKeyChecking=accept-new",
                    "-o", "UserKnownHostsFile=/tmp/kh", "-i", "/k", "me@login", "--", "sbatch --parsable"]


def test_no_options_keeps_the_plain_argv() -> None:
    ssh = _ssh(host="login")
    assert ssh.options == ()
    assert Slurm(ssh).command_argv(["scancel", "7"]) == ["ssh", "-o", "BatchMode=yes", "login", "--", "scancel 7"]


@pytest.mark.parametrize("bad", ["Port=22", ["Port 22"], [22], ["=x"], ["Port="], {"Port": 22}])
def test_bad_options_name_the_key(bad) -> None:
    with pytest.raises(NslError, match=r"c\.yaml: ssh_tunnel\.options must be a list of 'Key=Value'"):
        _ssh(host="login", options=bad)


def test_unknown_tunnel_key_lists_options() -> None:
    with pytest.raises(NslError, match="may have identity, job_dir, options, port, pre_command, shell, user; unknown: prot"):
        _ssh(host="login", prot=2222)


def test_stage_status_sees_a_marker_written_while_the_scheduler_was_asked(tmp_path, monkeypatch) -> None:
    """Over ssh a squeue takes ~0.3 s: a job that writes its marker and ends meanwhile is finished, not failed."""
    from nemo_skills_lite.pipeline import submission as submit
    from nemo_skills_lite.runtime.markers import mark_done

    marker = str(tmp_path / "out.jsonl")

    class Backend:
        def states(self, job_ids):
            mark_done(marker)  # the job finishes during the query ...
            return {"7_0": "COMPLETED"}  # ... and the scheduler already reports it ended

    monkeypatch.setattr(submit, "backend_for", lambda cfg: Backend())
    rec = {"units": [{"index": 0, "marker": marker, "merge": None}], "final_jobs": ["7"]}
    assert submit.stage_status(rec, None) == ("finished", [])
    rec = {"units": [{"index": 0, "marker": str(tmp_path / "never.jsonl"), "merge": None}], "final_jobs": ["7"]}
    assert submit.stage_status(rec, None) == ("failed", [0])
