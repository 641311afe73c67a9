"""Job specs: frozen dataclasses written to JSON by the launcher and read by the in-job worker.

Nothing is pickled, so the login node and the container may run different Pythons. A *stage* is one
``generate``/``run_cmd``/``eval`` call; a *unit* is one (seed, chunk) piece of it; a *job* is one
attempt of a unit (``dependent_jobs`` chains attempts so a wall-clock limit never loses work).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nemo_skills_lite.runtime import paths

SPEC_VERSION = 1


def _plain(obj: Any) -> Any:
    """Dataclasses -> dicts, tuples -> lists (what ``dataclasses.asdict`` gives, without its deep copies)."""
    if dataclasses.is_dataclass(obj):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [_plain(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    return obj


@dataclass(frozen=True)
class ServerSpec:
    """A model server started beside the client (or an external one when ``address`` is set)."""

    server_type: str  # vllm | sglang | trtllm | openai
    model: str
    gpus: int = 0
    nodes: int = 1
    args: str = ""
    address: str | None = None  # external OpenAI-compatible endpoint: nothing is launched
    container: str | None = None
    entrypoint: str | None = None  # server_entrypoint: module or .py script replacing the type's default
    ready_timeout_s: float = 1800.0


@dataclass(frozen=True)
class MergeSpec:
    """Chunked units merge their chunk files into ``output`` once every chunk is done."""

    output: str
    chunk_outputs: tuple[str, ...]


@dataclass(frozen=True)
class UnitSpec:
    index: int
    command: str  # bash command the client step runs
    marker: str  # the unit is finished when ``<marker>.done`` exists
    seed: int | None = None
    chunk: int | None = None
    inputs: tuple[str, ...] = ()  # files that must exist when the job starts
    merge: MergeSpec | None = None


@dataclass(frozen=True)
class StageSpec:
    expname: str
    stage_id: str
    kind: str  # generate | run_cmd | eval | merge
    cluster: str
    executor: str  # slurm | local | none
    log_dir: str
    units: tuple[UnitSpec, ...]
    dependent_jobs: int = 0
    server: ServerSpec | None = None
    with_sandbox: bool = False
    sandbox_container: str | None = None
    client_container: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    mounts: tuple[str, ...] = ()
    num_nodes: int = 1
    num_gpus: int = 0  # per node
    partition: str | None = None  # chosen at plan time (ClusterConfig.partition_for); None: the default
    time_limit: str | None = None  # HH:MM:SS or None
    sbatch_lines: tuple[str, ...] = ()  # extra '--key=value' (exclusive, time-min, user sbatch_kwargs)
    python: str = "python3"  # interpreter that runs the worker inside the job
    host_log_dir: str | None = None  # log_dir as the login node and the batch shell see it (containers)
    code_dir: str = ""  # host path of the code snapshot every job runs (mounted at /nemo_run/code in containers)
    sandbox_mounts: bool = False  # keep_mounts_for_sandbox: the sandbox container also gets the config mounts
    version: int = SPEC_VERSION

    @property
    def spec_path(self) -> str:
        return str(paths.spec_path(self.log_dir, self.stage_id))

    @property
    def host_spec_path(self) -> str:
        return str(paths.spec_path(self.host_log_dir or self.log_dir, self.stage_id))

    def to_json(self) -> str:
        # one line through json's C encoder, no deep copies: a 1024-unit spec is written in milliseconds
        return json.dumps(_plain(self), sort_keys=True)

    def write(self) -> str:
        from nemo_skills_lite.utils.io import atomic_write_text

        atomic_write_text(self.host_spec_path, self.to_json())
        return self.host_spec_path

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "StageSpec":
        d = dict(d)
        if d.get("version") != SPEC_VERSION:
            raise ValueError(f"job spec version {d.get('version')} is not supported (expected {SPEC_VERSION})")
        units = []
        for u in d.pop("units"):
            u = dict(u)
            if u.get("merge"):
                m = u["merge"]
                u["merge"] = MergeSpec(output=m["output"], chunk_outputs=tuple(m["chunk_outputs"]))
            u["inputs"] = tuple(u.get("inputs", ()))
            units.append(UnitSpec(**u))
        server = d.pop("server", None)
        return cls(units=tuple(units), server=ServerSpec(**server) if server else None,
                   mounts=tuple(d.pop("mounts", ())), sbatch_lines=tuple(d.pop("sbatch_lines", ())), **d)

    @classmethod
    def read(cls, path: str | Path) -> "StageSpec":
        return cls.from_dict(json.loads(Path(path).read_text()))
