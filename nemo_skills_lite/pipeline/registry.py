"""The stage registry: expname -> submitted stages, on the shared filesystem.

``<root>/<expname>.json`` holds a list of stage records (job ids per chain level, unit markers, log
dir, spec path), appended under a POSIX lock, so ``run_after``, ``nsl status/logs/cancel`` work from
any later process or machine that sees the same filesystem. Dry runs use ``<root>/dry-run/`` so
they can reference each other but never satisfy a real ``run_after``.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import TypedDict

from nemo_skills_lite.cluster.config import ClusterConfig
from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.io import atomic_write_text


class UnitRecord(TypedDict):
    index: int
    marker: str  # host path; the unit is finished when <marker>.done exists
    seed: int | None
    chunk: int | None
    merge: dict[str, str] | None  # {"output": host path of the merged seed file}


class StageRecord(TypedDict):
    """One submission of a stage, as ``<registry>/<expname>.json`` keeps it (a list of these per expname)."""

    expname: str
    stage_id: str
    kind: str
    cluster: str
    executor: str
    submitted_at: float
    spec_path: str
    log_dir: str
    levels: list[list[str]]  # job ids per chain level
    code_dir: str  # the code snapshot its jobs run
    final_jobs: list[str]  # what a stage running after this one waits for
    offsets: dict[str, int]  # Slurm array job id -> unit of its task 0
    dry_run: bool
    units: list[UnitRecord]


def registry_root(cfg: ClusterConfig) -> Path:
    root = cfg.registry_dir or os.environ.get("NSL_REGISTRY_DIR") or str(Path.home() / ".nsl" / "registry")
    return Path(root)


class Registry:
    def __init__(self, root: Path, *, dry_run: bool = False) -> None:
        self.root = root / "dry-run" if dry_run else root
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, expname: str) -> Path:
        return self.root / f"{expname}.json"

    def stages(self, expname: str) -> list[StageRecord]:
        p = self._path(expname)
        if not p.exists():
            return []
        try:
            return json.loads(p.read_text())
        except json.JSONDecodeError as e:
            raise NslError(f"registry file {p} is corrupt ({e.msg}); remove it to forget '{expname}'") from None

    def known(self) -> list[str]:
        return sorted(p.stem for p in self.root.glob("*.json"))

    def record(self, rec: StageRecord) -> None:
        p = self._path(rec["expname"])
        with open(f"{p}.lock", "a+") as lock:
            fcntl.lockf(lock, fcntl.LOCK_EX)
            recs = self.stages(rec["expname"])
            recs.append(rec)
            atomic_write_text(p, json.dumps(recs, indent=1))
