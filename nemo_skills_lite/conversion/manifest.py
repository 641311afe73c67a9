"""The manifest of a sharded checkpoint, and the checks that use it (pure: stdlib only, no engine imports).

``save_sharded_state`` writes ``nsl_sharding.json`` into the output folder LAST, after every shard and
metadata file is in place::

    {"format": "sharded_state", "engine": "vllm", "engine_version": "0.32.0", "tensor_parallel_size": 2,
     "pipeline_parallel_size": 1, "model": "/models/R1", "files": ["model-rank-0-part-0.safetensors", ...],
     "created": "2026-12-06T13:40:00Z"}

While it writes, the folder holds ``nsl_sharding.incomplete``; a folder with that marker (a saver that
died half-way) is refused by the server launch just like one of another engine or parallel size.
Folders sharded by the engines' own example scripts (no manifest) are checked by their file names.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nemo_skills_lite.utils.errors import NslError

MANIFEST = "nsl_sharding.json"
INCOMPLETE = "nsl_sharding.incomplete"
FORMAT = "sharded_state"
ENGINES = ("vllm", "sglang")
WEIGHT_SUFFIXES = (".bin", ".pt", ".safetensors", ".pth", ".gguf")
# vLLM and SGLang name their shards alike: TP only, or PP and TP (vLLM >= 0.11 with PP > 1)
_TP_FILE = re.compile(r"^model-rank-(\d+)-part-\d+\.safetensors$")
_PP_TP_FILE = re.compile(r"^model-pp-(\d+)-tp-(\d+)-part-\d+\.safetensors$")


@dataclass(frozen=True)
class ShardManifest:
    engine: str
    engine_version: str
    tensor_parallel_size: int
    pipeline_parallel_size: int
    model: str
    files: list[str] = field(default_factory=list)
    format: str = FORMAT
    created: str = ""

    def write(self, folder: Path) -> Path:
        """Write atomically (temp + rename); the caller writes it after everything else."""
        tmp = folder / f".{MANIFEST}.tmp"
        tmp.write_text(json.dumps(asdict(self), indent=1) + "\n")
        tmp.chmod(0o644)
        tmp.replace(folder / MANIFEST)
        return folder / MANIFEST

    @classmethod
    def read(cls, folder: Path) -> "ShardManifest | None":
        path = folder / MANIFEST
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
            return cls(**{k: data[k] for k in ("engine", "engine_version", "tensor_parallel_size",
                                               "pipeline_parallel_size", "model")},
                       files=list(data.get("files", [])), format=data.get("format", FORMAT),
                       created=data.get("created", ""))
        except (ValueError, KeyError, TypeError) as e:
            raise NslError(f"{path}: not a valid sharding manifest ({type(e).__name__}: {e}); re-run "
                           "save_sharded_state into an empty folder") from None


def shard_ranks(folder: Path) -> tuple[set[int], set[tuple[int, int]]]:
    """(TP ranks of model-rank-R-part-K files, (pp, tp) pairs of model-pp-P-tp-T-part-K files)."""
    tp_only, pp_tp = set(), set()
    for p in folder.iterdir():
        if m := _TP_FILE.match(p.name):
            tp_only.add(int(m.group(1)))
        elif m := _PP_TP_FILE.match(p.name):
            pp_tp.add((int(m.group(1)), int(m.group(2))))
    return tp_only, pp_tp


def check_heads(config: dict, tp: int, where: str) -> None:
    """vLLM and SGLang split attention heads evenly over TP ranks; KV heads split or replicate."""
    heads = config.get("num_attention_heads") or (config.get("text_config") or {}).get("num_attention_heads")
    kv = config.get("num_key_value_heads") or (config.get("text_config") or {}).get("num_key_value_heads") or heads
    if tp < 1:
        raise NslError(f"--tensor-parallel-size={tp}: must be >= 1")
    if heads and heads % tp:
        valid = [d for d in range(1, heads + 1) if heads % d == 0]
        raise NslError(f"--tensor-parallel-size={tp} does not divide num_attention_heads={heads} of {where}; "
                       f"valid sizes: {', '.join(map(str, valid))}")
    if kv and (kv % tp if kv >= tp else tp % kv):
        raise NslError(f"--tensor-parallel-size={tp} neither divides nor is a multiple of "
                       f"num_key_value_heads={kv} of {where}")


def check_sharded_model(model: str, *, engine: str, tp: int, pp: int = 1) -> ShardManifest | None:
    """Refuse to launch ``engine`` with ``--load-format sharded_state`` on ``model`` unless its shards were
    written by that engine for exactly this TP x PP. Returns the manifest (None for folders made by other
    tools, which are checked by their file names)."""
    folder = Path(model)
    if not folder.is_dir():
        raise NslError(f"--load-format sharded_state: model folder {model} does not exist on this node")
    if (folder / INCOMPLETE).exists():
        raise NslError(f"--load-format sharded_state: {model} holds {INCOMPLETE}: its save_sharded_state run "
                       "did not finish (see its log); delete the folder and shard again")
    man = ShardManifest.read(folder)
    if man is not None:
        if man.engine != engine:
            raise NslError(f"--load-format sharded_state: {model} was sharded for engine={man.engine} "
                           f"{man.engine_version} but server_type={engine}; shards are engine-specific "
                           f"(parameter names and layouts differ): shard again under {engine} or serve with "
                           f"server_type={man.engine}")
        if (man.tensor_parallel_size, man.pipeline_parallel_size) != (tp, pp):
            raise NslError(f"--load-format sharded_state: {model} holds shards for tensor_parallel_size="
                           f"{man.tensor_parallel_size}, pipeline_parallel_size={man.pipeline_parallel_size} "
                           f"but this server runs tensor_parallel_size={tp}, pipeline_parallel_size={pp} "
                           "(server_gpus x server_nodes, or --tensor-parallel-size/--tp in server_args); "
                           "serve it with that size or shard again")
        missing = [f for f in man.files if not (folder / f).exists()]
        if missing:
            raise NslError(f"--load-format sharded_state: {model} misses {len(missing)} shard file(s) its "
                           f"manifest lists, e.g. {missing[0]}")
        return man
    tp_only, pp_tp = shard_ranks(folder)
    if not tp_only and not pp_tp:
        raise NslError(f"--load-format sharded_state: {model} holds no model-rank-*-part-*.safetensors or "
                       "model-pp-*-tp-*-part-*.safetensors files; shard it first with "
                       "nemo_skills_lite/conversion/save_sharded_state.py (or drop --load-format sharded_state)")
    if tp_only and (pp != 1 or tp_only != set(range(tp))):
        raise NslError(f"--load-format sharded_state: {model} holds shards for TP ranks {sorted(tp_only)} "
                       f"(tensor_parallel_size={max(tp_only) + 1}) but this server runs tensor_parallel_size={tp}, "
                       f"pipeline_parallel_size={pp}")
    if pp_tp and pp_tp != {(p, t) for p in range(pp) for t in range(tp)}:
        got = (max(p for p, _ in pp_tp) + 1, max(t for _, t in pp_tp) + 1)
        raise NslError(f"--load-format sharded_state: {model} holds shards for pipeline_parallel_size={got[0]}, "
                       f"tensor_parallel_size={got[1]} but this server runs pipeline_parallel_size={pp}, "
                       f"tensor_parallel_size={tp}")
    return None
