"""Sharded checkpoints for real (vLLM's own saver at TP=1, served with --load-format sharded_state through
servers.server_launch + wait_ready), then that server killed mid-run: the job fails within its deadline
with the server log tail, and the chained job (against another server) completes the same rows."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from nemo_skills_lite.inference.servers import ServerFailed, server_launch, wait_ready
from nemo_skills_lite.runtime.markers import is_done
from tests.fixtures.common import require
from tests.fixtures.vllm import VLLM_PYTHON, _free_port

from .conftest import GEN, PY, gen_args, rows_of, run_gen, strip_timing, subset

pytestmark = [pytest.mark.vllm, pytest.mark.slow]


def test_sharded_state_serve_then_server_dies(tmp_path, vllm_server, tiny_model_dir, monkeypatch):
    require(Path(VLLM_PYTHON).exists(), f"vLLM venv {VLLM_PYTHON}")
    monkeypatch.setenv("NSL_VLLM_PYTHON", VLLM_PYTHON)
    env = {**os.environ, "NSL_VLLM_PYTHON": VLLM_PYTHON, "VLLM_CPU_KVCACHE_SPACE": "1", "HF_HUB_OFFLINE": "1"}
    sharded = tmp_path / "tiny-tp1"
    r = subprocess.run([VLLM_PYTHON, "-m", "nemo_skills_lite.inference.save_sharded_state", "--model-path",
                        str(tiny_model_dir), "--output", str(sharded), "--tensor-parallel-size", "1",
                        "--dtype", "float32", "--max-model-len", "1024"],
                       capture_output=True, text=True, env=env, timeout=400)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (sharded / "model-rank-0-part-0.safetensors").exists() and (sharded / "tokenizer.json").exists()
    r = subprocess.run([VLLM_PYTHON, "-m", "nemo_skills_lite.inference.save_sharded_state", "--model-path",
                        str(tiny_model_dir), "--output", str(sharded)], capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "already holds model files" in r.stderr  # never mixes shards

    port = _free_port()  # not a fixed number: the session's own server may hold any port of the range
    launch = server_launch("vllm", str(sharded), port=port, num_gpus=0, served_model_name="tiny-sharded",
                           server_args="--load-format sharded_state --dtype float32 --max-model-len 1024 "
                                       "--enforce-eager")
    assert "--no-enable-chunked-prefill" in launch.argv  # CPU: see servers.py
    log = tmp_path / "server.log"
    with open(log, "wb") as f:
        proc = subprocess.Popen(launch.argv, env={**env, **launch.env}, stdout=f, stderr=f, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, timeout_s=300, proc=proc, log_path=str(log))
        server = type(vllm_server)(url, "tiny-sharded", str(sharded), str(log))

        # same weights, same seed: the sharded server answers exactly like the session server
        inp = subset(tmp_path, 120)
        ref, out = tmp_path / "ref.jsonl", tmp_path / "output-rs3.jsonl"
        assert run_gen(*gen_args(inp, ref, vllm_server, "++inference.random_seed=3")).returncode == 0
        few = tmp_path / "few.jsonl"
        assert run_gen(*gen_args(subset(tmp_path, 10), few, server, "++inference.random_seed=3")).returncode == 0
        assert strip_timing(rows_of(few)) == strip_timing(rows_of(ref))[:10]

        # the server dies mid-run
        args = gen_args(inp, out, server, "++inference.random_seed=3", "++max_concurrent_requests=1",
                        "++server.max_retries=3", "++server.retry_backoff_s=0.2")
        job = subprocess.Popen([PY, "-m", GEN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "NSL_SERVER_LOG": str(log)})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (Path(f"{out}-async").exists()
                                                   and len(Path(f"{out}-async").read_text().splitlines()) >= 10):
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        _, err = job.communicate(timeout=120)
        assert job.returncode == 1 and time.monotonic() - killed_at < 30
        assert "server unreachable" in err and "server log tail" in err and "Traceback" not in err
        assert "APIServer" in err or "vllm" in err.lower()  # real lines from the server's log, not its access log
        assert "request lines left out" in err
        assert not is_done(out)
        with pytest.raises(ServerFailed, match="exited with code"):
            wait_ready(url, timeout_s=5, proc=proc, log_path=str(log))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    # the chained job, on a live server, completes exactly the rows an uninterrupted run gives
    r = run_gen(*gen_args(inp, out, vllm_server, "++inference.random_seed=3"))
    assert r.returncode == 0, r.stderr
    assert strip_timing(rows_of(out)) == strip_timing(rows_of(ref))
