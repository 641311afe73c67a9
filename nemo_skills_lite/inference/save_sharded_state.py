"""Save a model as per-rank weight shards for a given tensor-parallel size, with vLLM's own saver.

Loading such a folder (``--load-format sharded_state``) skips re-sharding the full checkpoint on every
start: the seed recipe does this once for DeepSeek-R1 on 2x8 GPUs, then serves it many times. Runs
inside the vLLM environment (``run_cmd`` with the vllm container, or /opt/nsl/vllm-venv here)::

    python -m nemo_skills_lite.inference.save_sharded_state --model-path /models/R1 \\
        --output /models/R1-tp16 --tensor-parallel-size 16

then ``generate(..., model="/models/R1-tp16", server_args="--load-format sharded_state")``.
Config, tokenizer and other non-weight files are copied next to the shards.

On CPU, vLLM packs linear weights for oneDNN and drops the originals, so its saver would write shards
without them. There (CPU, TP=1 only) the engine runs in this process and the packing step is told to
keep the original weights; GPUs use the saver unchanged.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

WEIGHT_SUFFIXES = (".bin", ".pt", ".safetensors")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m nemo_skills_lite.inference.save_sharded_state",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--model-path", required=True, help="HF model folder to shard")
    ap.add_argument("--output", required=True, help="folder to write the shards into (must be empty or absent)")
    ap.add_argument("--tensor-parallel-size", type=int, default=1)
    ap.add_argument("--pipeline-parallel-size", type=int, default=1)
    ap.add_argument("--dtype", default="auto")
    ap.add_argument("--max-model-len", type=int, default=None)
    ap.add_argument("--file-pattern", default=None, help="shard file name pattern (vLLM's default if unset)")
    ap.add_argument("--max-file-size", type=int, default=5 * 1024**3, help="bytes per shard file")
    ap.add_argument("--enforce-eager", action="store_true", default=True)
    ap.add_argument("--trust-remote-code", action="store_true")
    return ap.parse_args(argv)


def copy_metadata(model_path: Path, output: Path) -> list[str]:
    """Copy every non-weight file/folder (config, tokenizer, generation config, ...) into ``output``."""
    copied = []
    for item in sorted(model_path.iterdir()):
        if item.suffix in WEIGHT_SUFFIXES or item.name.endswith(".safetensors.index.json") \
                or item.name.endswith(".bin.index.json"):
            continue
        dst = output / item.name
        if item.is_dir():
            shutil.copytree(item, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(item, dst)
        copied.append(item.name)
    return copied


def _keep_cpu_linear_weights() -> None:
    """Run the engine in-process and make vLLM-CPU's GEMM packing keep the original weights."""
    os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
    from vllm.model_executor.layers import utils as layer_utils

    original = layer_utils.dispatch_cpu_unquantized_gemm

    def keep_weights(layer, remove_weight: bool) -> None:  # noqa: ARG001 - signature of the original
        original(layer, remove_weight=False)

    layer_utils.dispatch_cpu_unquantized_gemm = keep_weights


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    model_path, output = Path(args.model_path), Path(args.output)
    if not (model_path / "config.json").exists():
        print(f"error: --model-path {model_path} is not a model folder (no config.json)", file=sys.stderr)
        return 2
    if output.exists() and any(output.iterdir()):
        print(f"error: --output {output} exists and is not empty; refusing to mix shards", file=sys.stderr)
        return 2
    try:
        from vllm import LLM
        from vllm.platforms import current_platform
    except ImportError as e:
        print(f"error: vLLM is not importable here ({e}); run this in the vLLM environment "
              "(e.g. /opt/nsl/vllm-venv/bin/python or the vllm container)", file=sys.stderr)
        return 2
    if current_platform.is_cpu():
        if args.tensor_parallel_size * args.pipeline_parallel_size != 1:
            print("error: on CPU only --tensor-parallel-size 1 can be saved (vLLM-CPU drops packed linear "
                  "weights in worker processes); shard for GPUs on a GPU node", file=sys.stderr)
            return 2
        _keep_cpu_linear_weights()
    kwargs = dict(model=str(model_path), tensor_parallel_size=args.tensor_parallel_size,
                  pipeline_parallel_size=args.pipeline_parallel_size, dtype=args.dtype,
                  enforce_eager=args.enforce_eager, trust_remote_code=args.trust_remote_code)
    if args.max_model_len:
        kwargs["max_model_len"] = args.max_model_len
    llm = LLM(**kwargs)
    tmp = output.with_name(output.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    llm.llm_engine.engine_core.save_sharded_state(path=str(tmp), pattern=args.file_pattern,
                                                  max_size=args.max_file_size)
    copied = copy_metadata(model_path, tmp)
    for f in tmp.iterdir():  # safetensors writes 0600; jobs may run as other users
        if f.is_file():
            f.chmod(0o644)
    if output.exists():
        output.rmdir()
    os.replace(tmp, output)
    shards = sorted(p.name for p in output.iterdir() if p.suffix in WEIGHT_SUFFIXES)
    print(f"saved {len(shards)} shard file(s) for tp={args.tensor_parallel_size} to {output} "
          f"(+ {len(copied)} metadata files): {', '.join(shards[:8])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
