"""NeMo-Skills configs load unchanged and its options mean what they mean there."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from nemo_skills_lite.cluster.config import load_cluster_config
from nemo_skills_lite.cluster.slurm import Slurm
from nemo_skills_lite.pipeline.cli import eval as eval_, generate, run_cmd, submit, wrap_arguments

DATA = Path(__file__).resolve().parents[2] / "data" / "cluster_configs" / "nemo_skills"


def test_nemo_skills_example_configs_load_unchanged(capsys) -> None:
    slurm = load_cluster_config(str(DATA / "slurm.yaml"))
    assert slurm.mail_type == "END,FAIL" and slurm.default_timeout == "06:00:00" and slurm.disable_gpus_per_node
    assert slurm.timeout_for("batch") == "04:00:00" and slurm.timeout_for("long") == "06:00:00"
    assert slurm.ssh_tunnel.port == 2222 and slurm.sandbox_extra_srun_args == (
        "--container-options=--cap-add=SYS_RESOURCE",)
    err = capsys.readouterr().err
    assert "'skip_hf_home_check' ignored" in err and "'num_workers' ignored" in err  # said, never silently dropped
    local = load_cluster_config(str(DATA / "local.yaml"))
    assert local.executor == "local" and local.containers["sandbox"].startswith("igitman/")


def test_ssh_tunnel_port_shell_and_pre_command() -> None:
    argv = Slurm(load_cluster_config(str(DATA / "slurm.yaml")).ssh_tunnel).command_argv(["squeue", "-j", "1,2"])
    assert argv[:2] == ["ssh", "-o"] and argv[argv.index("-p") + 1] == "2222"
    assert argv[-1] == "bash -l -c 'source ~/.bashrc && squeue -j 1,2'"


def _slurm_cfg(tmp_path: Path) -> str:
    text = (DATA / "slurm.yaml").read_text().replace("/lustre/alice", str(tmp_path / "lustre"))
    data = yaml.safe_load(text)
    data.pop("ssh_tunnel")  # submit from "the login node": dry runs only
    data["registry_dir"] = str(tmp_path / "reg")
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(data))
    (tmp_path / "lustre" / "data").mkdir(parents=True)
    (tmp_path / "lustre" / "data" / "in.jsonl").write_text('{"problem": "x"}\n')
    return str(tmp_path / "c.yaml")


def test_nemo_skills_options_reach_the_scripts(tmp_path: Path) -> None:
    cfg = _slurm_cfg(tmp_path)
    h = generate(ctx=wrap_arguments("++prompt_config=generic/math"), cluster=cfg, input_file="/data/in.jsonl",
                 output_dir="/workspace/out", expname="g", model="/models/m", server_type="vllm", server_gpus=8,
                 server_container="my/vllm:dev", server_entrypoint="my_pkg.serve", with_sandbox=True,
                 keep_mounts_for_sandbox=False, qos="high", installation_command="pip install sympy==1.13",
                 preprocess_cmd="echo pre", postprocess_cmd="echo post", random_seeds="0..1", dry_run=True)
    script = Path(h.scripts[0]).read_text()
    assert "#SBATCH --qos=high" in script and "#SBATCH --mail-type=END,FAIL" in script
    assert "#SBATCH --mail-user=alice@example.com" in script and "--gres" not in script  # disable_gpus_per_node
    assert "#SBATCH --time=04:00:00" in script
    assert "--container-image=my/vllm:dev" in script
    sandbox_line = next(line for line in script.splitlines() if "--role sandbox" in line)
    assert "/models" not in sandbox_line and "/nemo_run/code" in sandbox_line  # code only, as NeMo-Skills
    assert "--container-options=--cap-add=SYS_RESOURCE" in sandbox_line
    spec = json.loads(Path(h.scripts[0]).parent.parent.joinpath(f"{h.stage_id}.json").read_text())
    assert spec["server"]["entrypoint"] == "my_pkg.serve" and [u["seed"] for u in spec["units"]] == [0, 1]
    cmd = spec["units"][0]["command"]
    assert cmd.startswith("{ pip install sympy==1.13; } && { echo pre; } && python3 -m ") and cmd.endswith(
        "&& { echo post; }")


def test_eval_keeps_every_shared_option_and_warns_about_wandb(tmp_path: Path, capsys) -> None:
    cfg = _slurm_cfg(tmp_path)
    data = tmp_path / "lustre" / "data" / "bench"
    (data / "gsm8k").mkdir(parents=True)
    (data / "gsm8k" / "validation.jsonl").write_text('{"problem": "x", "expected_answer": "1"}\n')
    eval_(cluster=cfg, benchmarks="gsm8k", split="validation", output_dir="/workspace/ev", data_dir="/data/bench",
          server_address="http://h:1", model="m", with_sandbox=True, qos="low", wandb_project="p", log_samples=True,
          dry_run=True)
    assert "log_samples, wandb_project ignored" in capsys.readouterr().err
    submit()
    specs = [json.loads(p.read_text()) for p in (tmp_path / "lustre" / "workspace" / "ev").rglob(".nsl/*.json")]
    gen = next(s for s in specs if s["kind"] == "generate")
    assert gen["with_sandbox"] and "--qos=low" in gen["sbatch_lines"]
    assert gen["units"][0]["inputs"] == ["/data/bench/gsm8k/validation.jsonl"]  # split= picks the file
    grade = next(s for s in specs if "evaluation.evaluate" in s["units"][0]["command"])
    assert not grade["with_sandbox"] and grade["server"] is None


def test_reuse_code_exp_runs_an_earlier_snapshot(tmp_path: Path) -> None:
    cfg = tmp_path / "l.yaml"
    cfg.write_text(yaml.safe_dump({"executor": "local", "registry_dir": str(tmp_path / "reg")}))
    run_cmd(ctx=wrap_arguments("true"), cluster=str(cfg), expname="first", log_dir=str(tmp_path / "l1"))
    submit()
    first = json.loads((tmp_path / "reg" / "first.json").read_text())[-1]["code_dir"]
    assert Path(first, ".nsl-snapshot.json").exists()
    h = run_cmd(ctx=wrap_arguments("true"), cluster=str(cfg), expname="again", log_dir=str(tmp_path / "l2"),
                reuse_code_exp="first", dry_run=True)
    submit()
    spec = json.loads(next((tmp_path / "l2" / ".nsl").glob("*.json")).read_text())
    assert spec["code_dir"] == first and h.dry_run
    shutil.rmtree(first, ignore_errors=True)
    with pytest.raises(Exception, match="its code snapshot .* is gone"):
        run_cmd(ctx=wrap_arguments("true"), cluster=str(cfg), expname="x", log_dir=str(tmp_path / "l3"),
                reuse_code_exp="first")
