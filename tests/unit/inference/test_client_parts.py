"""Pure parts of the client and the server launcher."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from nemo_skills_lite.configs.generation import InferenceConfig
from nemo_skills_lite.inference.client import normalize_base_url, parse_response, sampling_params, split_reasoning
from nemo_skills_lite.inference.servers import ServerFailed, server_launch, wait_ready
from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.logtail import log_tail


def test_split_reasoning_never_loses_text():
    assert split_reasoning("<think>a b</think>\n\nanswer") == {
        "generation": "answer", "reasoning_content": "a b", "reasoning_parse_failed": False}
    out = split_reasoning("<think>still thinking, cut by the length limit")
    assert out["generation"] == "<think>still thinking, cut by the length limit"
    assert out["reasoning_parse_failed"] is True and out["reasoning_content"] is None


def test_parse_response_counts_and_samples():
    data = {"choices": [{"index": 1, "message": {"content": "b"}, "finish_reason": "length"},
                        {"index": 0, "message": {"content": "a"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 7}}
    out = parse_response(data, chat=True)
    assert out == {"generation": ["a", "b"], "finish_reason": ["stop", "length"], "num_generated_tokens": 7,
                   "num_input_tokens": 5}


def test_sampling_params_openai_drops_server_only_knobs():
    inf = InferenceConfig(temperature=0.6, random_seed=4, stop_phrases=["X"], extra_body={"top_k": 5})
    p = sampling_params(inf, "openai")
    assert p["seed"] == 4 and p["stop"] == ["X"] and "min_p" not in p and p["top_k"] == 5
    assert sampling_params(inf, "vllm")["min_p"] == 0.0


def test_base_url_forms():
    assert {normalize_base_url(u) for u in ["http://h:1", "http://h:1/", "http://h:1/v1", "http://h:1/v1/"]} == {
        "http://h:1/v1"}


def test_launch_commands():
    v = server_launch("vllm", "/m", port=5000, num_gpus=8, server_args="--load-format sharded_state",
                      served_model_name="m")
    assert v.argv[1:3] == ["-m", "vllm.entrypoints.openai.api_server"]
    assert v.argv[v.argv.index("--tensor-parallel-size") + 1] == "8" and v.argv[-2:] == ["--load-format", "sharded_state"]
    head = server_launch("vllm", "/m", port=5000, num_gpus=8, num_nodes=2, master_addr="n0:7000")
    h = head.argv  # vLLM's own multi-node mode: same command everywhere, rank > 0 headless
    assert h[h.index("--tensor-parallel-size") + 1] == "16" and h[h.index("--nnodes") + 1] == "2"
    assert h[h.index("--master-addr") + 1] == "n0" and h[h.index("--master-port") + 1] == "7000"
    assert h[h.index("--node-rank") + 1] == "0" and "--headless" not in h
    worker = server_launch("vllm", "/m", port=5000, num_gpus=8, num_nodes=2, node_rank=1, master_addr="n0:7000")
    assert worker.argv[worker.argv.index("--node-rank") + 1] == "1" and "--port" not in worker.argv
    assert worker.argv[1:3] == ["-m", "nemo_skills_lite.inference.vllm_headless"]  # vllm serve --headless
    cpu = server_launch("vllm", "/m", port=5000, num_gpus=0, num_nodes=2, master_addr="n0")
    assert cpu.argv[cpu.argv.index("--tensor-parallel-size") + 1] == "2"  # CPU: one rank per node
    assert cpu.argv[cpu.argv.index("--master-port") + 1] == "29501"
    assert cpu.env["VLLM_CPU_OMP_THREADS_BIND"] == "nobind"  # auto binding refuses 2 ranks on 1 NUMA node
    s = server_launch("sglang", "/m", port=5000, num_gpus=8, num_nodes=2, node_rank=1, master_addr="n0",
                      server_args="--context-length 34768")
    a = s.argv
    assert a[a.index("--tp") + 1] == "16" and a[a.index("--node-rank") + 1] == "1"
    assert a[a.index("--dist-init-addr") + 1] == "n0:20000" and a[-2:] == ["--context-length", "34768"]
    with pytest.raises(NslError, match="external endpoint"):
        server_launch("openai", "gpt", port=1, num_gpus=0)


def test_wait_ready_reports_dead_process_with_log_tail(tmp_path):
    log = tmp_path / "server.log"
    with open(log, "w") as f:
        proc = subprocess.Popen([sys.executable, "-c", "print('CUDA out of memory: fake'); raise SystemExit(3)"],
                                stdout=f, stderr=f)
    t0 = time.monotonic()
    with pytest.raises(ServerFailed) as e:
        wait_ready("http://127.0.0.1:18049", timeout_s=30, proc=proc, log_path=str(log))
    assert "code 3" in str(e.value) and "CUDA out of memory: fake" in str(e.value)
    assert time.monotonic() - t0 < 10


def test_log_tail_leaves_out_request_lines(tmp_path):
    # a server under load: its last error line is followed by hundreds of access-log lines
    log = tmp_path / "server.log"
    requests = [f'INFO:     127.0.0.1:{40000 + i} - "POST /v1/chat/completions HTTP/1.1" 200 OK' for i in range(300)]
    log.write_text("\n".join(["(APIServer pid=7) INFO 12-06 loading weights", "ERROR engine core died: fake",
                              *requests, '(APIServer pid=7) INFO:     127.0.0.1:1 - "GET /v1/models HTTP/1.1" 200 OK',
                              "last real line"]) + "\n")
    tail = log_tail(str(log), lines=2)
    assert tail.splitlines() == ["ERROR engine core died: fake", "last real line", "(301 request lines left out)"]
    assert log_tail(str(tmp_path / "missing.log")).startswith("(cannot read server log")


def test_wait_ready_deadline(tmp_path):
    log = tmp_path / "server.log"
    log.write_text("loading weights...\n")
    t0 = time.monotonic()
    with pytest.raises(ServerFailed, match="not ready after 2 s(.|\n)*loading weights"):
        wait_ready("http://127.0.0.1:18049", timeout_s=2, log_path=str(log), poll_s=0.2)
    assert time.monotonic() - t0 < 6


def test_cpu_tp_from_server_args_unbinds_threads():
    one = server_launch("vllm", "/m", port=5000, num_gpus=0)
    if "VLLM_CPU_OMP_THREADS_BIND" not in os.environ:
        assert "VLLM_CPU_OMP_THREADS_BIND" not in one.env  # one rank: vLLM's automatic binding is kept
    two = server_launch("vllm", "/m", port=5000, num_gpus=0, server_args="--tensor-parallel-size 2")
    assert two.env["VLLM_CPU_OMP_THREADS_BIND"] == "nobind"
