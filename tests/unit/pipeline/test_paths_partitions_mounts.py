"""Planning fixes: relative user paths become absolute, the time limit follows the partition the job
goes to, and ``mount_paths=`` counts for the mount check and the host-path mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_skills_lite.cluster.config import parse_config
from nemo_skills_lite.cluster.sbatch import ArraySlice, render_sbatch
from nemo_skills_lite.pipeline.options import GenerateArgs, RunCmdArgs
from nemo_skills_lite.pipeline.planner import Env, plan_generate, plan_run_cmd
from nemo_skills_lite.utils.errors import NslError

ENV = Env("/py", "/code", "s-1")
CTX = ["++prompt_config=generic/math"]
HOST = parse_config({"executor": "slurm", "partition": "gpu", "cpu_partition": "cpu",
                     "timeouts": {"gpu": "04:00:00", "cpu": "00:10:00"}}, name="h", source="h.yaml")
PYXIS = parse_config({"executor": "slurm", "partition": "batch", "containers": {"nemo-skills": "nsl:1", "vllm": "v:1"},
                      "mounts": ["/lustre/w:/workspace"]}, name="p", source="p.yaml")


def test_relative_paths_resolve_against_the_submitting_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    local = parse_config({"executor": "local"}, name="l", source="l.yaml")
    stage = plan_generate(GenerateArgs(input_file="data/in.jsonl", output_dir="out", server_address="http://h:1"),
                          CTX, local, ENV)
    u = stage.units[0]
    assert u.inputs == (f"{tmp_path}/data/in.jsonl",) and u.marker == f"{tmp_path}/out/output.jsonl"
    assert f"++input_file={tmp_path}/data/in.jsonl" in u.command and stage.log_dir == f"{tmp_path}/out/logs"
    judge = plan_generate(GenerateArgs(input_dir="sol", output_dir="/abs/j", log_dir="l", num_random_seeds=1,
                                       server_address="http://h:1"), CTX, local, ENV)
    assert judge.units[0].inputs == (f"{tmp_path}/sol/output-rs0.jsonl",) and judge.log_dir == f"{tmp_path}/l"
    assert judge.units[0].marker == "/abs/j/output-rs0.jsonl"  # absolute paths are kept as given
    cmd = plan_run_cmd(RunCmdArgs(log_dir="logs"), "true", local, ENV, "/default/logs")
    assert cmd.log_dir == f"{tmp_path}/logs" and cmd.units[0].marker.startswith(f"{tmp_path}/logs/.nsl/")
    assert plan_run_cmd(RunCmdArgs(), "true", local, ENV, "rel/logs").log_dir == f"{tmp_path}/rel/logs"


def test_relative_paths_on_a_container_cluster_map_through_the_mounts(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = parse_config({"executor": "slurm", "containers": {"nemo-skills": "nsl:1"},
                        "mounts": [f"{tmp_path}:/workspace"]}, name="p", source="p.yaml")
    (tmp_path / "proj").mkdir()
    monkeypatch.chdir(tmp_path / "proj")
    stage = plan_generate(GenerateArgs(input_file="in.jsonl", output_dir="/workspace/out",
                                       server_address="http://h:1"), CTX, cfg, ENV)
    assert stage.units[0].inputs == ("/workspace/proj/in.jsonl",)  # where the job sees it
    assert stage.units[0].marker == "/workspace/out/output.jsonl"  # a container path given: left alone
    monkeypatch.chdir("/")
    with pytest.raises(NslError, match="input_file 'in.jsonl' is relative and /in.jsonl is not inside any mount"):
        plan_generate(GenerateArgs(input_file="in.jsonl", output_dir="/workspace/out", server_address="http://h:1"),
                      CTX, cfg, ENV)


@pytest.mark.parametrize("kind,kw,partition,limit", [
    ("run_cmd", {}, "cpu", "00:10:00"),  # CPU job -> cpu_partition and ITS time limit
    ("run_cmd", {"num_gpus": 2}, "gpu", "04:00:00"),
    ("run_cmd", {"partition": "gpu"}, "gpu", "04:00:00"),  # the call's partition wins
    ("generate", {"server_address": "http://h:1"}, "cpu", "00:10:00"),  # an endpoint: no GPU in the job
    ("generate", {"server_type": "vllm", "model": "/m", "server_gpus": 8}, "gpu", "04:00:00"),
])
def test_time_limit_follows_the_partition_the_job_goes_to(kind, kw, partition, limit) -> None:
    if kind == "run_cmd":
        stage = plan_run_cmd(RunCmdArgs(**kw), "true", HOST, ENV, "/logs")
    else:
        stage = plan_generate(GenerateArgs(input_file="/i.jsonl", output_dir="/o", **kw), CTX, HOST, ENV)
    assert (stage.partition, stage.time_limit) == (partition, limit)
    script = render_sbatch(stage, HOST, ArraySlice(0, (0,)), dependency=None, code_dir="/code")
    assert f"#SBATCH --partition={partition}\n" in script and f"#SBATCH --time={limit}\n" in script


def test_local_executor_uses_timeouts_default() -> None:
    local = parse_config({"executor": "local", "timeouts": {"default": "00:05:00"}}, name="l", source="l.yaml")
    stage = plan_run_cmd(RunCmdArgs(), "true", local, ENV, "/logs")
    assert (stage.partition, stage.time_limit) == (None, "00:05:00")


def test_mount_paths_satisfy_the_mount_check() -> None:
    a = GenerateArgs(input_file="/scratch/in.jsonl", output_dir="/scratch/out", server_address="http://h:1")
    with pytest.raises(NslError, match="input_file '/scratch/in.jsonl' is not inside any mount.*pass mount_paths"):
        plan_generate(a, CTX, PYXIS, ENV)
    a.mount_paths = "/lustre/scratch:/scratch"
    stage = plan_generate(a, CTX, PYXIS, ENV)
    assert stage.mounts == ("/lustre/w:/workspace", "/lustre/scratch:/scratch")
    assert stage.host_log_dir == "/lustre/scratch/out/logs"  # the submitting side finds the logs
    from nemo_skills_lite.pipeline.planner import stage_config

    assert stage_config(a, PYXIS).host_path("/scratch/out/output.jsonl") == "/lustre/scratch/out/output.jsonl"
    with pytest.raises(NslError, match="log_dir '/elsewhere' is not inside any mount"):
        plan_run_cmd(RunCmdArgs(mount_paths="/lustre/scratch:/scratch"), "true", PYXIS, ENV, "/elsewhere")
    ok = plan_run_cmd(RunCmdArgs(mount_paths="/lustre/scratch:/scratch:ro"), "true", PYXIS, ENV, "/scratch/logs")
    assert ok.mounts[-1] == "/lustre/scratch:/scratch"


def test_eval_commands_name_absolute_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nemo_skills_lite.pipeline.cli import eval as eval_, submit

    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(f"executor: local\nregistry_dir: {tmp_path}/reg\n")
    (tmp_path / "data" / "gsm8k").mkdir(parents=True)
    (tmp_path / "data" / "gsm8k" / "test.jsonl").write_text('{"problem": "1+1", "expected_answer": "2"}\n')
    eval_(cluster="c.yaml", benchmarks="gsm8k", output_dir="res", data_dir="data", expname="ev",
          server_address="http://h:1", model="m", dry_run=True)
    submit()
    specs = [p.read_text() for p in (tmp_path / "res" / "eval-results").glob("**/.nsl/*.json")]
    grade = next(s for s in specs if "nemo_skills_lite.evaluation.evaluate" in s)
    assert f"++input_files='{tmp_path}/res/eval-results/gsm8k/output-rs*.jsonl'" in grade
    assert any(f"{tmp_path}/data/gsm8k/" in s for s in specs)  # the benchmark input, from data_dir


def test_required_env_vars_reach_the_jobs(tmp_path, monkeypatch):
    """NeMo-Skills: required_env_vars are checked at load time and set inside the jobs, like env_vars."""
    from nemo_skills_lite.cluster.config import load_cluster_config

    monkeypatch.setenv("NSL_TEST_TOKEN", "s3cret")
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("executor: local\nrequired_env_vars: [NSL_TEST_TOKEN]\nenv_vars: [A=1]\n")
    assert load_cluster_config(str(cfg_file)).env_vars == {"A": "1", "NSL_TEST_TOKEN": "s3cret"}
