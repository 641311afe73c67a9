"""The same recipe on the local executor: background runners, a CPU slot budget, run_after,
dependent_jobs chains across a local time limit, and reruns that submit nothing."""

from __future__ import annotations

from pathlib import Path

from nemo_skills_lite.pipeline.cli import generate, run_cmd, wrap_arguments
from tests.integration.pipeline.helpers import TASK, max_overlap, rows, wait_stage, write_config, write_input


def test_local_recipe_with_run_after_and_rerun(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", "local", local_cpus=2)
    inp = write_input(tmp_path / "in.jsonl", 6)
    out = tmp_path / "out"
    kw = dict(cluster=cfg, input_file=inp, output_dir=str(out), expname="gen", generation_module=TASK,
              num_random_seeds=2, num_chunks=2)
    h = generate(ctx=wrap_arguments("++delay=0.2"), **kw)
    assert h.units_submitted == 4
    run_cmd(ctx=wrap_arguments(f"cat {out}/output-rs0.jsonl {out}/output-rs1.jsonl > {tmp_path}/all.jsonl"),
            cluster=cfg, expname="join", run_after="gen", log_dir=str(tmp_path / "logs"))
    assert wait_stage(cfg, "join") == "finished"
    assert [r["idx"] for r in rows(tmp_path / "all.jsonl")] == list(range(6)) * 2
    assert max_overlap(sorted(out.glob("*.trace"))) <= 2  # the local CPU budget held
    assert generate(ctx=wrap_arguments("++delay=0.2"), **kw).units_submitted == 0


def test_local_chain_resumes_after_time_limit(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", "local", timeouts={"default": "00:00:06"}, signal_before_timeout_s=2)
    inp = write_input(tmp_path / "in.jsonl", 12)
    generate(ctx=wrap_arguments("++delay=1 ++ignore_usr1=true"), cluster=cfg, input_file=inp,
             output_dir=str(tmp_path / "out"), expname="chain", generation_module=TASK, dependent_jobs=3)
    assert wait_stage(cfg, "chain", timeout=120) == "finished"
    assert [r["idx"] for r in rows(tmp_path / "out" / "output.jsonl")] == list(range(12))
    starts = [r for r in rows(tmp_path / "out" / "output.jsonl.trace") if r["event"] == "start"]
    assert len(starts) >= 2


def test_cli_generate_status_logs(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.integration.pipeline.helpers import ROOT

    cfg = write_config(tmp_path / "c.yaml", "local")
    inp = write_input(tmp_path / "in.jsonl", 3)
    nsl = [sys.executable, "-m", "nemo_skills_lite.cli"]
    p = subprocess.run(nsl + ["generate", "--cluster", cfg, "--input_file", inp, "--output_dir", str(tmp_path / "out"),
                              "--expname", "cli", "--generation_module", TASK, "--num_random_seeds", "2", "++delay=0.1"],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert wait_stage(cfg, "cli", timeout=60) == "finished"
    status = subprocess.run(nsl + ["status", "cli", "--cluster", cfg], capture_output=True, text=True, cwd=ROOT)
    assert status.returncode == 0 and status.stdout.count("DONE") == 2 and "output-rs1.jsonl" in status.stdout
    bad = subprocess.run(nsl + ["generate", "--cluster", cfg, "--input_file", inp, "--output_dir", str(tmp_path / "o2"),
                                "--num_chunks", "0"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "num_chunks=0 must be >= 1" in bad.stderr and "Traceback" not in bad.stderr
    unknown = subprocess.run(nsl + ["status", "nope", "--cluster", cfg], capture_output=True, text=True, cwd=ROOT)
    assert unknown.returncode == 2 and "no stage named 'nope'" in unknown.stderr


def test_status_overview_names_why_a_stage_failed(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.integration.pipeline.helpers import ROOT

    cfg = write_config(tmp_path / "c.yaml", "local")
    run_cmd(ctx=wrap_arguments("echo working; echo 'error: the input has no problem key' >&2; exit 3"), cluster=cfg,
            expname="broken", log_dir=str(tmp_path / "logs"))
    run_cmd(ctx=wrap_arguments("true"), cluster=cfg, expname="fine", log_dir=str(tmp_path / "logs2"))
    assert wait_stage(cfg, "broken") == "failed" and wait_stage(cfg, "fine") == "finished"
    p = subprocess.run([sys.executable, "-m", "nemo_skills_lite.cli", "status", "--cluster", cfg],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    lines = {ln.split()[1]: ln for ln in p.stdout.splitlines() if ln.startswith("│")}
    assert "failed" in lines["broken"] and "error: the input has no problem key" in lines["broken"]
    assert "finished" in lines["fine"] and "1/1" in lines["fine"]


def test_command_with_sandbox_beside_it(tmp_path: Path) -> None:
    """with_sandbox=True starts the isolated sandbox service beside the command (NSL_SANDBOX_URL)."""
    import pytest

    pytest.importorskip("fastapi")
    cfg = write_config(tmp_path / "c.yaml", "local")
    script = tmp_path / "use_sandbox.py"
    script.write_text(
        "import json, sys\n"
        "from nemo_skills_lite.code_execution.client import verify_rows_remote\n"
        "rows = [{'code': 'print(int(input()) * 2)', 'tests': [{'input': '21', 'output': '42'}]},\n"
        "        {'code': 'print(1)', 'tests': [{'input': '', 'output': '2'}]}]\n"
        "json.dump(verify_rows_remote(rows), open(sys.argv[1], 'w'))\n")
    run_cmd(ctx=wrap_arguments(f"python {script} {tmp_path}/verdicts.json"), cluster=cfg, expname="sbx",
            with_sandbox=True, log_dir=str(tmp_path / "logs"))
    assert wait_stage(cfg, "sbx", timeout=180) == "finished"
    import json

    verdicts = json.loads((tmp_path / "verdicts.json").read_text())
    assert [v["verdict"] for v in verdicts] == ["accepted", "wrong_answer"]
