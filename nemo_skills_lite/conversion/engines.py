"""The engine-specific half of save_sharded_state: build the engine, ask every rank to save, run followers.

vLLM (rank 0): ``LLM(...)`` then ``engine_core.save_sharded_state`` (each worker writes its own shard);
other node ranks run ``vllm serve --headless`` (``inference.vllm_headless``) with the same parallel flags (vLLM's own multi-node mode:
``--nnodes/--node-rank/--master-addr/--master-port``). On CPU, vLLM packs linear weights for oneDNN and
drops the originals; ``conversion.vllm_cpu_keep_weights`` is loaded in every worker process (vLLM's
``worker_extension_cls``) and keeps them, so TP>1 shards are complete.

SGLang (rank 0): ``sglang.Engine(**ServerArgs)`` then ``save_sharded_model`` (a collective RPC: every
scheduler, on every node, writes its rank's shard); other node ranks run ``sglang.launch_server`` with the
same ``--tp/--nnodes/--node-rank/--dist-init-addr`` (SGLang's documented multi-node flags).
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version

CPU_KEEP_WEIGHTS = "nemo_skills_lite.conversion.vllm_cpu_keep_weights.KeepCpuWeights"


def engine_version(engine: str) -> str:
    for dist in ((engine, "vllm-cpu") if engine == "vllm" else (engine,)):
        try:
            return version(dist)
        except PackageNotFoundError:
            continue
    return "unknown"


def _split_addr(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    return host, int(port)


# ---- vLLM ----------------------------------------------------------------------------------------------------
def vllm_engine_args(args: argparse.Namespace, extra: list[str]) -> list[str]:
    """``vllm serve`` CLI flags for this sharding run (rank 0 parses them into EngineArgs too)."""
    argv = ["--tensor-parallel-size", str(args.tp), "--pipeline-parallel-size", str(args.pp),
            "--dtype", args.dtype, "--enforce-eager"]
    if args.context_len:
        argv += ["--max-model-len", str(args.context_len)]
    if args.trust_remote_code:
        argv.append("--trust-remote-code")
    if args.nnodes > 1:
        host, port = _split_addr(args.dist_init_addr)
        argv += ["--nnodes", str(args.nnodes), "--node-rank", str(args.node_rank), "--master-addr", host,
                 "--master-port", str(port), "--distributed-executor-backend", "mp"]
    if _vllm_on_cpu():
        argv += ["--worker-extension-cls", CPU_KEEP_WEIGHTS]
    return argv + extra


def _vllm_on_cpu() -> bool:
    from vllm.platforms import current_platform

    return current_platform.is_cpu()


def cpu_env() -> None:
    """vLLM-CPU with TP/PP > 1: its automatic thread binding wants one NUMA node per rank and refuses
    otherwise ("Not enough allowed NUMA nodes"); unbound threads work everywhere."""
    os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", "nobind")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")


def save_vllm(args: argparse.Namespace, extra: list[str], path: str) -> None:
    import dataclasses

    from vllm import LLM, EngineArgs
    from vllm.utils.argparse_utils import FlexibleArgumentParser

    if _vllm_on_cpu():
        cpu_env()
    parser = EngineArgs.add_cli_args(FlexibleArgumentParser())
    ns = parser.parse_args(["--model", args.model_path, *vllm_engine_args(args, extra)])
    engine_args = EngineArgs.from_cli_args(ns)
    llm = LLM(**{f.name: getattr(engine_args, f.name) for f in dataclasses.fields(engine_args)})
    llm.llm_engine.engine_core.save_sharded_state(path=path, pattern=args.file_pattern, max_size=args.max_file_size)


def vllm_follower_argv(args: argparse.Namespace, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "nemo_skills_lite.inference.vllm_headless", "--model", args.model_path,
            *vllm_engine_args(args, extra)]


# ---- SGLang --------------------------------------------------------------------------------------------------
def sglang_server_argv(args: argparse.Namespace, extra: list[str]) -> list[str]:
    """SGLang ServerArgs CLI flags (its documented names: --tp-size, --pp-size, --context-length, ...)."""
    argv = ["--model-path", args.model_path, "--tp-size", str(args.tp), "--pp-size", str(args.pp),
            "--dtype", args.dtype]
    if args.context_len:
        argv += ["--context-length", str(args.context_len)]
    if args.trust_remote_code:
        argv.append("--trust-remote-code")
    if args.nnodes > 1:
        argv += ["--nnodes", str(args.nnodes), "--node-rank", str(args.node_rank),
                 "--dist-init-addr", args.dist_init_addr]
    return argv + extra


def save_sglang(args: argparse.Namespace, extra: list[str], path: str) -> None:
    import dataclasses

    from sglang import Engine
    from sglang.srt.server_args import ServerArgs

    parser = argparse.ArgumentParser()
    ServerArgs.add_cli_args(parser)
    server_args = ServerArgs.from_cli_args(parser.parse_args(sglang_server_argv(args, extra)))
    llm = Engine(**dataclasses.asdict(server_args))
    try:
        llm.save_sharded_model(path=path, pattern=args.file_pattern, max_size=args.max_file_size)
    finally:
        llm.shutdown()


def sglang_follower_argv(args: argparse.Namespace, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "sglang.launch_server", *sglang_server_argv(args, extra)]


# ---- common --------------------------------------------------------------------------------------------------
def save(engine: str, args: argparse.Namespace, extra: list[str], staging) -> str:
    """Write every rank's shards into ``staging``; returns the engine version."""
    (save_sglang if engine == "sglang" else save_vllm)(args, extra, str(staging))
    return engine_version(engine)


def start_follower(engine: str, args: argparse.Namespace, extra: list[str]) -> subprocess.Popen:
    if engine == "vllm" and _vllm_on_cpu():
        cpu_env()
    argv = (sglang_follower_argv if engine == "sglang" else vllm_follower_argv)(args, extra)
    print(f"node rank {args.node_rank}: {shlex.join(argv)}", flush=True)
    return subprocess.Popen(argv, preexec_fn=os.setpgrp)


def stop(proc: subprocess.Popen, grace_s: float = 20) -> None:
    """Stop the follower's whole process group (engines fork workers)."""
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        try:  # the leader is gone; take its leftovers with it
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return
