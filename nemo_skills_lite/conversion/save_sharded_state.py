"""Save a model as per-rank weight shards (``--load-format sharded_state``), with the serving engine's own saver.

Run it in the environment of the server that will load the shards: SGLang's format where ``sglang`` is
importable (the seed's sglang container), vLLM's otherwise (``--engine`` forces one). The seed's command
works as written, on one node or on several (one process per node, started by the job's ``srun``)::

    python3 nemo_skills_lite/conversion/save_sharded_state.py --model-path=/workspace/R1 \\
        --output=/workspace/R1-tp16 --tensor-parallel-size=16 --context-len=8192 --trust-remote-code \\
        --nnodes 2 --dist-init-addr $SLURM_MASTER_NODE:20000 --node-rank $SLURM_PROCID

(also ``python -m nemo_skills_lite.conversion.save_sharded_state``). Node rank 0 drives the save; the
other ranks run the engine's worker side (SGLang ``launch_server`` rank R, vLLM ``serve --headless``) until
rank 0 has finished or failed. Shards go into a staging folder next to ``--output`` and reach it with the
config/tokenizer files; ``nsl_sharding.json`` (engine + version, TP/PP size, model, files) is written
last, and the server launch refuses shards of another engine or size (``conversion.manifest``). The
output may exist when it holds only logs (the seed logs into it); any model file there is refused.
Other engine flags pass through unchanged (e.g. ``--quantization``, ``--mem-fraction-static``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import datetime, timezone
from importlib.util import find_spec
from pathlib import Path

if __package__ in (None, ""):  # run as a script (the seed's form): import the package it sits in
    _ROOT = str(Path(__file__).resolve().parents[2])
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
    sys.path.insert(0, _ROOT)

from nemo_skills_lite.conversion.manifest import (INCOMPLETE, MANIFEST, WEIGHT_SUFFIXES, ShardManifest,  # noqa: E402
                                                  check_heads, shard_ranks)
from nemo_skills_lite.utils.errors import NslError, run_main  # noqa: E402

ENGINES = ("auto", "vllm", "sglang")
FAILED = "nsl_rank0_failed"  # in the staging folder: rank 0 tells the other ranks to stop
MODEL_FILES = ("config.json", MANIFEST, INCOMPLETE)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="save_sharded_state", description=__doc__.splitlines()[0])
    ap.add_argument("--model-path", "--model", dest="model_path", required=True, help="HF model folder to shard")
    ap.add_argument("--output", "-o", required=True, help="folder for the shards: absent, empty or only logs")
    ap.add_argument("--tensor-parallel-size", "--tp-size", "--tp", dest="tp", type=int, default=1)
    ap.add_argument("--pipeline-parallel-size", "--pp-size", dest="pp", type=int, default=1)
    ap.add_argument("--context-len", "--context-length", "--max-model-len", dest="context_len", type=int,
                    default=None, help="max sequence length the engine is set up for while saving")
    ap.add_argument("--trust-remote-code", action="store_true")
    ap.add_argument("--dtype", default="auto")
    ap.add_argument("--nnodes", type=int, default=1, help="nodes the engine spans (must match the job's)")
    ap.add_argument("--node-rank", type=int, default=0, help="this node's rank ($SLURM_PROCID)")
    ap.add_argument("--dist-init-addr", default=None, help="host:port of rank 0 for the engine's rendezvous")
    ap.add_argument("--engine", choices=ENGINES, default="auto",
                    help="auto: sglang where importable (its container), else vllm")
    ap.add_argument("--file-pattern", default=None, help="shard file name pattern (the engine's default if unset)")
    ap.add_argument("--max-file-size", type=int, default=5 * 1024**3, help="bytes per shard file")
    ap.add_argument("--follower-timeout", type=float, default=6 * 3600,
                    help="seconds a rank > 0 waits for rank 0 to finish")
    return ap


def pick_engine(requested: str) -> str:
    if requested != "auto":
        if find_spec(requested) is None:
            raise NslError(f"--engine {requested}: the {requested} package is not importable with {sys.executable}; "
                           f"run this in the {requested} environment/container")
        return requested
    for engine in ("sglang", "vllm"):
        if find_spec(engine) is not None:
            return engine
    raise NslError(f"neither sglang nor vllm is importable with {sys.executable}: run save_sharded_state in the "
                   "server's environment (run_cmd(..., container='sglang'|'vllm'), or /opt/nsl/vllm-venv here)")


def job_nodes(env: dict[str, str]) -> int | None:
    for key in ("SLURM_JOB_NUM_NODES", "SLURM_NNODES"):
        if env.get(key, "").isdigit():
            return int(env[key])
    return None


def validate(args: argparse.Namespace, env: dict[str, str]) -> dict:
    """Every check that needs no engine; returns the model config. Raises NslError naming the value."""
    model = Path(args.model_path)
    if not model.is_dir():
        raise NslError(f"--model-path {args.model_path}: no such folder (on this node, {os.uname().nodename})")
    if not (model / "config.json").is_file():
        raise NslError(f"--model-path {args.model_path}: not a Hugging Face model folder (no config.json)")
    try:
        config = json.loads((model / "config.json").read_text())
    except ValueError as e:
        raise NslError(f"{model / 'config.json'}: not valid JSON ({e})") from None
    if args.pp < 1:
        raise NslError(f"--pipeline-parallel-size={args.pp}: must be >= 1")
    check_heads(config, args.tp, args.model_path)
    if args.nnodes < 1:
        raise NslError(f"--nnodes={args.nnodes}: must be >= 1")
    nodes = job_nodes(env)
    if nodes is not None and nodes != args.nnodes:
        raise NslError(f"--nnodes={args.nnodes} but this Slurm job has {nodes} node(s) (SLURM_JOB_NUM_NODES); "
                       f"give run_cmd(num_nodes={args.nnodes}) or --nnodes {nodes}")
    if not 0 <= args.node_rank < args.nnodes:
        raise NslError(f"--node-rank={args.node_rank}: must be in 0..{args.nnodes - 1} for --nnodes={args.nnodes}")
    if (args.tp * args.pp) % args.nnodes:
        raise NslError(f"--tensor-parallel-size={args.tp} x --pipeline-parallel-size={args.pp} is not divisible "
                       f"by --nnodes={args.nnodes}: every node runs the same number of ranks")
    if args.nnodes > 1:
        host, _, port = (args.dist_init_addr or "").rpartition(":")
        if not host or not port.isdigit():
            raise NslError(f"--dist-init-addr={args.dist_init_addr!r}: --nnodes={args.nnodes} needs HOST:PORT of "
                           "node rank 0 (e.g. $SLURM_MASTER_NODE:20000)")
    return config


def output_mode(output: Path) -> str:
    """'new' (absent or empty: staged folder renamed into place) or 'merge' (only logs in it)."""
    if not output.exists():
        return "new"
    if not output.is_dir():
        raise NslError(f"--output {output}: exists and is not a folder")
    taken = sorted(p.name for p in output.iterdir()
                   if p.name in MODEL_FILES or p.suffix in WEIGHT_SUFFIXES or p.name.endswith(".index.json"))
    if taken:
        raise NslError(f"--output {output}: already holds model files ({', '.join(taken[:5])}); refusing to mix "
                       "shards: give an empty or new folder (or delete these)")
    return "merge" if any(output.iterdir()) else "new"


def staging_dir(output: Path) -> Path:
    """Same path on every node (shared filesystem), next to the output (same filesystem: renames)."""
    return output.parent / f".{output.name}.nsl-staging"


def copy_metadata(model_path: Path, dst: Path) -> list[str]:
    """Copy every non-weight file/folder (config, tokenizer, generation config, chat template, ...)."""
    copied = []
    for item in sorted(model_path.iterdir()):
        if item.suffix in WEIGHT_SUFFIXES or item.name.endswith(".index.json") or item.name.startswith("."):
            continue
        if item.is_dir():
            shutil.copytree(item, dst / item.name, dirs_exist_ok=True)
        else:
            shutil.copy2(item, dst / item.name)
        copied.append(item.name)
    return copied


def expected_ranks_present(staging: Path, tp: int, pp: int) -> list[str]:
    tp_only, pp_tp = shard_ranks(staging)
    if pp == 1 and tp_only == set(range(tp)):
        return []
    if pp_tp == {(p, t) for p in range(pp) for t in range(tp)}:
        return []
    return [f"expected shards of TP ranks 0..{tp - 1} x PP ranks 0..{pp - 1}; found TP-only ranks {sorted(tp_only)}, "
            f"(pp, tp) pairs {sorted(pp_tp)}"]


def finish(args: argparse.Namespace, engine: str, version: str, staging: Path, output: Path, mode: str) -> ShardManifest:
    """Shards are in ``staging``: check them, add metadata, move into ``output``, manifest last."""
    problems = expected_ranks_present(staging, args.tp, args.pp)
    if problems:
        raise NslError(f"{engine} wrote incomplete shards into {staging}: {problems[0]}")
    shards = sorted(p.name for p in staging.iterdir() if p.suffix in WEIGHT_SUFFIXES)
    copy_metadata(Path(args.model_path), staging)
    for f in staging.iterdir():  # safetensors writes 0600; jobs may run as other users
        if f.is_file():
            f.chmod(0o644)
    man = ShardManifest(engine=engine, engine_version=version, tensor_parallel_size=args.tp,
                        pipeline_parallel_size=args.pp, model=str(Path(args.model_path).resolve()), files=shards,
                        created=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    if mode == "new":
        man.write(staging)
        if output.exists():
            output.rmdir()  # empty (checked)
        os.replace(staging, output)
        return man
    for item in sorted(staging.iterdir()):
        os.replace(item, output / item.name)
    man.write(output)
    (output / INCOMPLETE).unlink(missing_ok=True)
    staging.rmdir()
    return man


def lead(args: argparse.Namespace, extra: list[str], engine: str) -> int:
    from nemo_skills_lite.conversion import engines

    output = Path(args.output).resolve()
    mode = output_mode(output)
    staging = staging_dir(output)
    if staging.exists():
        shutil.rmtree(staging)  # left by an earlier attempt that died
    staging.mkdir(parents=True)
    if mode == "merge":
        (output / INCOMPLETE).write_text("save_sharded_state is writing here; the shards are not usable yet\n")
    t0 = time.monotonic()
    try:
        version = engines.save(engine, args, extra, staging)
        man = finish(args, engine, version, staging, output, mode)
    except BaseException as e:
        if staging.exists():
            (staging / FAILED).write_text(f"{type(e).__name__}: {e}\n")
        raise
    print(f"saved {len(man.files)} {engine} {version} shard file(s) for tp={args.tp} pp={args.pp} to {output} "
          f"in {time.monotonic() - t0:.1f} s: {', '.join(man.files[:8])}", flush=True)
    return 0


def follow(args: argparse.Namespace, extra: list[str], engine: str) -> int:
    """Node rank > 0: run the engine's worker side until rank 0 has written the manifest (or failed)."""
    from nemo_skills_lite.conversion import engines

    output = Path(args.output).resolve()
    staging, started = staging_dir(output), time.time()
    proc = engines.start_follower(engine, args, extra)
    deadline = time.monotonic() + args.follower_timeout
    try:
        while True:
            man = output / MANIFEST
            if man.exists() and man.stat().st_mtime >= started - 5:
                print(f"node rank {args.node_rank}: rank 0 wrote {man}; stopping the {engine} workers", flush=True)
                return 0
            if (staging / FAILED).exists() and (staging / FAILED).stat().st_mtime >= started - 5:
                print(f"node rank {args.node_rank}: rank 0 failed: {(staging / FAILED).read_text().strip()}",
                      file=sys.stderr, flush=True)
                return 1
            if proc.poll() is not None:
                print(f"node rank {args.node_rank}: the {engine} worker process exited with code {proc.returncode} "
                      "before rank 0 finished", file=sys.stderr, flush=True)
                return proc.returncode or 1
            if time.monotonic() > deadline:
                print(f"node rank {args.node_rank}: rank 0 did not finish in {args.follower_timeout:.0f} s",
                      file=sys.stderr, flush=True)
                return 1
            time.sleep(1)
    finally:
        engines.stop(proc)


def main(argv: list[str] | None = None) -> int:
    args, extra = build_parser().parse_known_args(argv)
    unknown = [a for a in extra if not a.startswith("-")] if extra else []
    if unknown and not any(a.startswith("-") for a in extra[: extra.index(unknown[0])]):
        raise NslError(f"unexpected argument(s) {unknown}; engine flags look like --name value")
    config = validate(args, dict(os.environ))
    engine = pick_engine(args.engine)
    longest = config.get("max_position_embeddings")
    if args.context_len and isinstance(longest, int) and args.context_len > longest:
        # the length only sizes the engine while it saves; the shards do not depend on it
        print(f"note: --context-len={args.context_len} > max_position_embeddings={longest} of {args.model_path}; "
              f"saving with {longest} (the shards are the same)", flush=True)
        args.context_len = longest
    if args.node_rank > 0:
        return follow(args, extra, engine)
    return lead(args, extra, engine)


if __name__ == "__main__":
    run_main(main)
