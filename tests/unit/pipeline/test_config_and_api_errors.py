"""Bad input gets one clear error naming the key/path and what is valid, and nothing is submitted."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nemo_skills_lite.cluster.config import load_cluster_config
from nemo_skills_lite.pipeline.cli import generate, run_cmd, submit, wrap_arguments
from nemo_skills_lite.utils.errors import NslError

ROOT = Path(__file__).resolve().parents[3]


def cfg(tmp_path: Path, **data) -> str:
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump({"registry_dir": str(tmp_path / "reg"), **data}))
    return str(p)


def test_wrap_arguments_splits_like_a_shell() -> None:
    ctx = wrap_arguments("++a=1 ++input_files='dir/output-rs*.jsonl' ++msg=\"two words\"")
    assert ctx.args == ["++a=1", "++input_files=dir/output-rs*.jsonl", "++msg=two words"]
    with pytest.raises(NslError, match="cannot split"):
        wrap_arguments("++a='unclosed")


def test_shipped_example_configs_load(monkeypatch) -> None:
    monkeypatch.setenv("USER", "me")
    monkeypatch.setenv("HF_TOKEN", "x")
    assert load_cluster_config(str(ROOT / "cluster_configs" / "example-slurm.yaml")).containers["sglang"]
    assert load_cluster_config(str(ROOT / "cluster_configs" / "example-local.yaml")).executor == "local"
    assert load_cluster_config("local").executor == "local"  # built-in default


@pytest.mark.parametrize("data,match", [
    ({"executor": "slurm", "partitoin": "x"}, "unknown key 'partitoin'.*Did you mean 'partition'"),
    ({"executor": "kubernetes"}, "executor is 'kubernetes'; valid: slurm, local, none"),
    ({"executor": "slurm", "mounts": ["relative:/x"]}, r"mounts\[0\] = 'relative:/x'"),
    ({"executor": "slurm", "timeouts": {"batch": "four hours"}}, "timeouts.batch"),
    ({"executor": "slurm", "env_vars": ["A=${NSL_SURELY_UNSET_VAR}"]}, r"NSL_SURELY_UNSET_VAR\} is not set"),
    ({"executor": "slurm", "dependency_type": "after"}, "dependency_type 'after'"),
])
def test_config_errors(tmp_path: Path, data, match) -> None:
    with pytest.raises(NslError, match=match):
        load_cluster_config(cfg(tmp_path, **data))


def test_yaml_error_names_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("executor: slurm\nmounts: [a\n")
    with pytest.raises(NslError, match=r"bad.yaml:\d+: not valid YAML"):
        load_cluster_config(str(p))


def test_api_errors_submit_nothing(tmp_path: Path) -> None:
    c = cfg(tmp_path, executor="local")
    inp = tmp_path / "in.jsonl"
    inp.write_text('{"problem": "1+1"}\n')
    base = dict(cluster=c, input_file=str(inp), output_dir=str(tmp_path / "out"), expname="e",
                server_address="http://127.0.0.1:1")
    cases = [
        (dict(num_chunks=0), "num_chunks=0 must be >= 1"),
        (dict(server_type="vllm", model="/m", server_address=None, server_gpus=0, typo_arg=1), "unknown key 'typo_arg'"),
        (dict(input_file=str(tmp_path / "missing.jsonl")), "input file\\(s\\) not found"),
        (dict(run_after="e"), "names this stage itself"),
        (dict(run_after="nope"), "run_after='nope' names no stage of this recipe and none in the registry"),
        (dict(generation_type="math_jduge"), "generation_type 'math_jduge' is not known"),
        (dict(server_type="tgi", model="/m", server_address=None), "server_type 'tgi' is not valid"),
    ]
    for extra, match in cases:
        with pytest.raises(NslError, match=match):  # at the call, or when the graph is submitted (run_after)
            generate(ctx=wrap_arguments("++prompt_config=generic/math"), **{**base, **extra})
            submit()
    with pytest.raises(NslError, match="unknown key 'inference.temprature'.*inference.temperature"):
        generate(ctx=wrap_arguments("++prompt_config=generic/math ++inference.temprature=0.6"), **base)
    assert not (tmp_path / "out").exists()  # nothing planned was written, nothing submitted
    assert not list((tmp_path / "reg").glob("*.json"))


def test_container_cluster_needs_server_image_and_mounts(tmp_path: Path) -> None:
    c = cfg(tmp_path, executor="slurm", containers={"nemo-skills": "nsl:1"}, mounts=["/lustre:/workspace"])
    kw = dict(cluster=c, input_file="/workspace/in.jsonl", output_dir="/workspace/out", dry_run=True)
    with pytest.raises(NslError, match="containers has no 'vllm' entry"):
        generate(ctx=wrap_arguments("++prompt_config=generic/math"), model="/workspace/m", server_type="vllm", **kw)
    with pytest.raises(NslError, match="output_dir '/elsewhere/out' is not inside any mount"):
        generate(ctx=wrap_arguments("++prompt_config=generic/math"), server_address="http://h:1",
                 **{**kw, "output_dir": "/elsewhere/out"})
    with pytest.raises(NslError, match="no command given"):
        run_cmd(ctx=wrap_arguments("  "), cluster=c, log_dir="/workspace/logs")


def test_run_cmd_checks_task_keys_before_submitting(tmp_path: Path) -> None:
    c = cfg(tmp_path, executor="local")
    with pytest.raises(NslError, match="unknown key 'filters.remove_no_think_tag'.*filters.remove_no_think_tags"):
        run_cmd(ctx=wrap_arguments("echo start && python -m nemo_skills_lite.training.prepare_data "
                                   "++input_files='a/*.jsonl' ++filters.remove_no_think_tag=true"),
                cluster=c, log_dir=str(tmp_path / "logs"))
    assert not (tmp_path / "logs").exists()
