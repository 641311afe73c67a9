"""The recipe API on the REAL local Slurm cluster (scripts/slurm_cluster.sh): arrays with a
throttle, afterany chains across a real --time limit, run_after across processes, failures,
cancel, and reruns that submit nothing."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from nemo_skills_lite.cluster.config import load_cluster_config
from nemo_skills_lite.cluster.slurm import Slurm
from nemo_skills_lite.pipeline.cli import generate, run_cmd, submit, wrap_arguments
from nemo_skills_lite.utils.errors import NslError
from tests.integration.pipeline.helpers import ROOT, TASK, max_overlap, rows, wait_stage, write_config, write_input

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]


def test_array_with_throttle_merges_chunks_and_rerun_submits_nothing(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", "slurm")
    inp = write_input(tmp_path / "in.jsonl", 6)
    kw = dict(cluster=cfg, input_file=inp, output_dir=str(tmp_path / "out"), expname="arr",
              generation_module=TASK, num_random_seeds=3, num_chunks=2, array_throttle=2)
    h = generate(ctx=wrap_arguments("++delay=0.5"), **kw)
    assert h.units_submitted == 6 and len(h.job_ids) == 1  # one array job for 6 units
    assert wait_stage(cfg, "arr") == "finished"
    for seed in range(3):
        out = rows(tmp_path / "out" / f"output-rs{seed}.jsonl")
        assert [r["idx"] for r in out] == list(range(6))  # chunks merged in order, each row once
        assert all(r["seed"] == str(seed) for r in out)
        assert not (tmp_path / "out" / f"output-rs{seed}_chunk_0.jsonl").exists()  # merged exactly once
    assert max_overlap(sorted((tmp_path / "out").glob("*.trace"))) <= 2
    again = generate(ctx=wrap_arguments("++delay=0.5"), **kw)
    assert again.units_submitted == 0 and again.job_ids == []


def test_afterany_chain_finishes_work_after_a_real_time_limit(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", "slurm", timeouts={"cpu": "00:01:00"}, signal_before_timeout_s=30)
    inp = write_input(tmp_path / "in.jsonl", 60)  # 120 s of work: more than one 60 s job
    h = generate(ctx=wrap_arguments("++delay=2 ++ignore_usr1=true"), cluster=cfg, input_file=inp,
                 output_dir=str(tmp_path / "out"), expname="chain", generation_module=TASK, dependent_jobs=2)
    assert len(h.job_ids) == 3
    assert wait_stage(cfg, "chain", timeout=300) == "finished"
    out = rows(tmp_path / "out" / "output.jsonl")
    assert [r["idx"] for r in out] == list(range(60))
    states = Slurm().states(h.job_ids[:1])
    assert set(states.values()) == {"TIMEOUT"}  # the first job really hit --time ...
    starts = [r for r in rows(tmp_path / "out" / "output.jsonl.trace") if r["event"] == "start"]
    assert len(starts) >= 2  # ... and a chained job resumed the work


def test_run_after_from_another_process_and_failure_handling(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", "slurm")
    inp = write_input(tmp_path / "in.jsonl", 4)
    out = tmp_path / "out"
    first = (f"from nemo_skills_lite.pipeline.cli import generate, wrap_arguments\n"
             f"generate(ctx=wrap_arguments('++delay=1'), cluster={cfg!r}, input_file={inp!r}, "
             f"output_dir={str(out)!r}, expname='producer', generation_module={TASK!r})\n")
    subprocess.run([sys.executable, "-c", first], check=True, cwd=ROOT)
    second = (f"from nemo_skills_lite.pipeline.cli import run_cmd, wrap_arguments\n"
              f"run_cmd(ctx=wrap_arguments('cp {out}/output.jsonl {tmp_path}/copied.jsonl'), cluster={cfg!r}, "
              f"expname='consumer', run_after='producer', log_dir={str(tmp_path / 'logs')!r})\n")
    subprocess.run([sys.executable, "-c", second], check=True, cwd=ROOT)
    assert wait_stage(cfg, "consumer") == "finished"
    assert len(rows(tmp_path / "copied.jsonl")) == 4  # ran after the producer finished

    run_cmd(ctx=wrap_arguments("echo failing on purpose; exit 3"), cluster=cfg, expname="broken",
            log_dir=str(tmp_path / "blogs"))
    assert wait_stage(cfg, "broken") == "failed"
    with pytest.raises(NslError, match="rerun 'broken' first"):
        run_cmd(ctx=wrap_arguments("true"), cluster=cfg, expname="after-broken", run_after="broken",
                log_dir=str(tmp_path / "alogs"))
        submit()
    with pytest.raises(NslError, match="run_after='never-submitted' names no stage"):
        run_cmd(ctx=wrap_arguments("true"), cluster=cfg, expname="x", run_after="never-submitted")
        submit()
    logs = subprocess.run([sys.executable, "-m", "nemo_skills_lite.cli", "logs", "broken", "--cluster", cfg,
                           "--failed"], capture_output=True, text=True, cwd=ROOT)
    assert "failing on purpose" in logs.stdout


def test_cancel(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", "slurm")
    h = run_cmd(ctx=wrap_arguments("sleep 300"), cluster=cfg, expname="long", log_dir=str(tmp_path / "logs"))
    submit()
    time.sleep(2)
    p = subprocess.run([sys.executable, "-m", "nemo_skills_lite.cli", "cancel", "long", "--cluster", cfg],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        states = Slurm().states(h.job_ids)
        if states and set(states.values()) == {"CANCELLED"}:
            break
        time.sleep(1)
    assert set(Slurm().states(h.job_ids).values()) == {"CANCELLED"}
    assert load_cluster_config(cfg).executor == "slurm"
