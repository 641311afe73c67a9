"""Backends turn a planned stage into scheduled jobs: Slurm arrays, local background runners, or
a dry run that renders everything and submits nothing.

Every backend returns job ids per chain level; the last level's ids are what later stages depend
on. Local job ids are ``local:<state file>``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from nemo_skills_lite.cluster import containers, local_state
from nemo_skills_lite.cluster.config import ClusterConfig
from nemo_skills_lite.cluster.sbatch import ArraySlice, render_sbatch
from nemo_skills_lite.cluster.slurm import TERMINAL, Slurm
from nemo_skills_lite.runtime import paths
from nemo_skills_lite.runtime.spec import StageSpec
from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.io import atomic_write_text

CODE_DIR = str(Path(__file__).resolve().parents[2])


def code_dir_of(stage: StageSpec) -> str:
    """The code the stage's jobs run: its snapshot (``pipeline.snapshot``); this checkout for specs without one."""
    return stage.code_dir or CODE_DIR


def _pythonpath(stage: StageSpec) -> dict[str, str]:
    return {"PYTHONPATH": stage.env["PYTHONPATH"]} if not stage.client_container and "PYTHONPATH" in stage.env else {}


@dataclass
class Submission:
    levels: list[list[str]] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    offsets: dict[str, int] = field(default_factory=dict)  # array job id -> unit of task 0

    @property
    def final(self) -> list[str]:
        return self.levels[-1] if self.levels else []

    @property
    def all_ids(self) -> list[str]:
        return [j for level in self.levels for j in level]


def plan_slices(units: list[int], dependent_jobs: int, max_array: int, throttle: int | None) -> list[list[ArraySlice]]:
    """Per chain level, the array slices holding ``units`` (task ids < max_array)."""
    chunks, cur = [], []
    for u in sorted(units):
        if cur and (u - cur[0] >= max_array):
            chunks.append(cur)
            cur = []
        cur.append(u)
    if cur:
        chunks.append(cur)
    return [[ArraySlice(level, tuple(c), offset=c[0], throttle=throttle) for c in chunks]
            for level in range(dependent_jobs + 1)]


class SlurmBackend:
    def __init__(self, cfg: ClusterConfig, slurm: Slurm | None = None) -> None:
        self.cfg, self.slurm = cfg, slurm or Slurm(cfg.ssh_tunnel)
        self._max_array: int | None = cfg.max_array_size

    def check(self, stage: StageSpec) -> None:
        return None  # sbatch itself refuses what the cluster cannot run; nothing to check on the login node

    def max_array(self) -> int:
        if self._max_array is None:
            self._max_array = self.slurm.max_array_size()
        return self._max_array

    def submit(self, stage: StageSpec, units: list[int], after: list[str], throttle: int | None,
               *, dry_run: bool = False) -> Submission:
        """Write one script per array slice and chain level; sbatch them unless ``dry_run``."""
        sub = Submission()
        max_array = self.cfg.max_array_size or (1001 if dry_run else self.max_array())
        for level, slices in enumerate(plan_slices(units, stage.dependent_jobs, max_array, throttle)):
            level_ids = []
            for i, sl in enumerate(slices):
                if level == 0:
                    dep = f"{self.cfg.dependency_type}:{':'.join(after)}" if after else None
                else:
                    dep = "afterany:" + ":".join(sub.levels[level - 1])
                script = render_sbatch(stage, self.cfg, sl, dependency=dep, code_dir=code_dir_of(stage))
                path = paths.script_path(stage.host_log_dir or stage.log_dir, stage.stage_id, level, i)
                atomic_write_text(path, script)
                sub.scripts.append(str(path))
                if dry_run:
                    level_ids.append(f"dry-{stage.expname}.{level}.{i}")  # unique per stage: the plan shows who waits on whom
                    continue
                try:
                    level_ids.append(self.slurm.sbatch(script))
                except NslError:
                    self.slurm.cancel(sub.all_ids + level_ids)  # all or nothing
                    raise
                sub.offsets[level_ids[-1]] = sl.offset
            sub.levels.append(level_ids)
        return sub

    def states(self, job_ids: list[str]) -> dict[str, str]:
        return self.slurm.states(job_ids)

    def cancel(self, job_ids: list[str]) -> None:
        self.slurm.cancel(job_ids)


class LocalBackend:
    def __init__(self, cfg: ClusterConfig) -> None:
        self.cfg = cfg

    def gpus(self) -> int:
        if self.cfg.local_gpus is not None:
            return self.cfg.local_gpus
        if os.environ.get("CUDA_VISIBLE_DEVICES"):
            return len(os.environ["CUDA_VISIBLE_DEVICES"].split(","))
        if shutil.which("nvidia-smi"):
            out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True).stdout
            return sum(1 for line in out.splitlines() if line.startswith("GPU "))
        return 0

    def check(self, stage: StageSpec) -> None:
        need = max(stage.num_gpus, stage.server.gpus if stage.server and not stage.server.address else 0)
        have = self.gpus()
        if need > have:
            raise NslError(f"stage '{stage.expname}' needs {need} GPUs per job but the local executor has {have} "
                           f"(set local_gpus in {self.cfg.source} to share a different number)")
        if self.cfg.containers:  # every component's image exists before anything is submitted
            containers.check_stage(self.engine(), stage, self.cfg.source)

    def engine(self) -> containers.Engine:
        return containers.find_engine(self.cfg.container_runtime, self.cfg.source)

    def submit(self, stage: StageSpec, units: list[int], after: list[str], throttle: int | None,
               *, dry_run: bool = False) -> Submission:
        self.check(stage)
        if dry_run:  # nothing to render for local runs: the stage spec (already written) is the plan
            return Submission(levels=[[f"local:dry:{stage.stage_id}"]])
        cpus = min(self.cfg.local_cpus or os.cpu_count() or 1, throttle or 10**6)
        state = local_state.state_path(stage)
        engine = self.engine() if self.cfg.containers else None
        args = {"spec": stage.host_spec_path, "units": units, "after": [a.removeprefix("local:") for a in after],
                "dep_type": self.cfg.dependency_type, "cpus": cpus, "gpus": self.gpus(),
                "signal_before_s": self.cfg.signal_before_timeout_s,
                "engine": dataclasses.asdict(engine) if engine else None,
                "code_dir": code_dir_of(stage)}  # mounted at /nemo_run/code in container jobs
        args_path = local_state.args_path(state)
        atomic_write_text(args_path, json.dumps(args))
        atomic_write_text(state, json.dumps({"stage": "PENDING", "units": {str(u): "PENDING" for u in units}}))
        with open(paths.runner_log(stage.host_log_dir or stage.log_dir, stage.stage_id), "ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "nemo_skills_lite.cluster.local", args_path],
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                    cwd=code_dir_of(stage), env={**os.environ, **_pythonpath(stage)})
        atomic_write_text(local_state.pid_path(state), str(proc.pid))  # a runner that dies at once is noticed too
        return Submission(levels=[[f"local:{state}"]])

    def states(self, job_ids: list[str]) -> dict[str, str]:
        out = {}
        for j in job_ids:
            st = local_state.read_state(j.removeprefix("local:"))
            for u, s in st["units"].items():
                out[f"{j}_{u}"] = s
        return out

    def cancel(self, job_ids: list[str]) -> None:
        """SIGTERM the stage runners (which stop their units); a runner that is gone leaves its unit
        processes orphaned: their process groups get the SIGTERM directly."""
        for j in job_ids:
            path = j.removeprefix("local:")
            st = local_state.read_state(path)
            if st.get("stage") in local_state.FINISHED:
                continue
            targets = [(st.get("pid"), os.kill)] if local_state.alive(st.get("pid"), local_state.args_path(path)) \
                else [(pid, os.killpg) for u, pid in st.get("procs", {}).items() if st["units"].get(u) == "RUNNING"]
            for pid, kill in targets:
                try:
                    kill(pid, 15)
                except (ProcessLookupError, PermissionError):
                    pass


class Backend(Protocol):
    """What the pipeline needs from a scheduler."""

    def check(self, stage: StageSpec) -> None: ...  # refuse a stage it cannot run (before anything is submitted)

    def submit(self, stage: StageSpec, units: list[int], after: list[str], throttle: int | None,
               *, dry_run: bool = False) -> Submission: ...

    def states(self, job_ids: list[str]) -> dict[str, str]: ...  # '<job>_<task>' -> JobState

    def cancel(self, job_ids: list[str]) -> None: ...


class DryRunBackend:
    """Renders what the real backend would submit (sbatch scripts, the stage spec) and submits nothing."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner

    def check(self, stage: StageSpec) -> None:  # a dry run plans for the cluster, not for this machine
        return None

    def submit(self, stage: StageSpec, units: list[int], after: list[str], throttle: int | None,
               *, dry_run: bool = True) -> Submission:
        return self.inner.submit(stage, units, after, throttle, dry_run=True)

    def states(self, job_ids: list[str]) -> dict[str, str]:
        return {}

    def cancel(self, job_ids: list[str]) -> None:
        return None


def backend_for(cfg: ClusterConfig, *, dry_run: bool = False) -> Backend:
    real: Backend = SlurmBackend(cfg) if cfg.executor == "slurm" else LocalBackend(cfg)
    return DryRunBackend(real) if dry_run else real


__all__ = ["Backend", "DryRunBackend", "Submission", "SlurmBackend", "LocalBackend", "backend_for", "plan_slices",
           "TERMINAL"]
