"""Submitting a planned stage: run_after resolution, skipping finished units, the backend, the registry.

``run_after`` semantics (also in docs/concepts.md):
  * unknown expname, or the stage naming itself -> error, nothing submitted (a cycle needs a stage
    to name a later one, which cannot be registered yet, so self-reference is the only cycle);
  * the named stage finished (every unit has its .done marker) -> no dependency, starts at once;
  * it is pending/running -> the new jobs depend on its last chain level (config ``dependency_type``,
    default afterok, with --kill-on-invalid-dep so a failure cancels dependents instead of hanging);
  * it ended and some units have no marker (failed, timed out, cancelled) -> error naming the units
    and their logs; rerun the failed stage first (its rerun submits only the missing units).
"""

from __future__ import annotations

import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nemo_skills_lite.cluster.backends import backend_for
from nemo_skills_lite.cluster.config import ClusterConfig, Mount
from nemo_skills_lite.cluster.slurm import TERMINAL
from nemo_skills_lite.pipeline.registry import Registry, StageRecord, registry_root
from nemo_skills_lite.runtime.markers import clear_done, is_done
from nemo_skills_lite.runtime.paths import async_path
from nemo_skills_lite.runtime.spec import StageSpec
from nemo_skills_lite.utils.errors import NslError


def new_stage_id(expname: str) -> str:
    return f"{expname}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


class StageHandle:
    """What ``generate``/``run_cmd``/``eval`` return. The stage is submitted with the rest of its graph (see
    ``pipeline.graph``); reading its jobs or counts submits the graph first if it was not yet."""

    def __init__(self, expname: str, stage_id: str | None, *, dry_run: bool = False) -> None:
        self.expname, self.stage_id, self.dry_run = expname, stage_id, dry_run
        self.graph: Any = None
        self._job_ids: list[str] = []
        self._scripts: list[str] = []
        self._units_submitted = 0
        self._units_done = 0

    def _submitted(self) -> "StageHandle":
        if self.graph is not None and not self.graph.submitted:
            self.graph.submit()
        return self

    @property
    def job_ids(self) -> list[str]:
        return self._submitted()._job_ids

    @property
    def scripts(self) -> list[str]:
        return self._submitted()._scripts

    @property
    def units_submitted(self) -> int:
        return self._submitted()._units_submitted

    @property
    def units_done(self) -> int:
        return self._submitted()._units_done

    def __repr__(self) -> str:
        state = "pending" if self.graph is not None and not self.graph.submitted else f"jobs={self._job_ids}"
        return f"StageHandle({self.expname!r}, {state})"


def unit_finished(u: dict[str, Any]) -> bool:
    """From a registry unit record (host paths): chunk units count once their seed is merged."""
    return is_done(u["merge"]["output"] if u.get("merge") else u["marker"])


def unit_record(u: Any, cfg: ClusterConfig) -> dict[str, Any]:
    return {"index": u.index, "marker": cfg.host_path(u.marker), "seed": u.seed, "chunk": u.chunk,
            "merge": {"output": cfg.host_path(u.merge.output)} if u.merge else None}


def pick_state(by_level: list[str]) -> str:
    """A unit's state from its jobs' states in chain-level order: the attempt that is running, else the
    latest one that left PENDING (later attempts wait on it), else PENDING."""
    active = [s for s in by_level if s != "PENDING" and s not in TERMINAL]
    if active:
        return active[0]
    ran = [s for s in by_level if s != "PENDING"]
    return ran[-1] if ran else "PENDING"


def unit_job_states(rec: dict[str, Any], cfg: ClusterConfig) -> dict[int, list[str]]:
    """Unit index -> the scheduler states of its jobs, in chain-level order (one scheduler query).
    Jobs the scheduler forgot (Slurm: ``MinJobAge`` after they ended) are missing."""
    level_of = {j: i for i, level in enumerate(rec["levels"]) for j in level}
    found: dict[int, list[tuple[int, str]]] = {}
    for key, state in backend_for(cfg).states(list(level_of)).items():
        job, _, task = key.rpartition("_")
        if task.isdigit() and job in level_of:
            # Slurm array task ids count from the slice offset; the script maps them to units
            unit = int(task) + (int(rec.get("offsets", {}).get(job, 0)) if rec["executor"] == "slurm" else 0)
            found.setdefault(unit, []).append((level_of[job], state))
    return {u: [s for _, s in sorted(v)] for u, v in found.items()}


def still_running(recs: list[dict[str, Any]], markers: set[str], cfg: ClusterConfig) -> tuple[set[str], list[str]]:
    """Markers (of ``markers``) whose unit has a job of an earlier submission still pending or running,
    and the final-level job ids of those submissions."""
    running: set[str] = set()
    finals: list[str] = []
    for rec in recs:
        mine = {u["index"]: u["marker"] for u in rec["units"] if u["marker"] in markers}
        if rec.get("dry_run") or not mine:
            continue
        states = unit_job_states(rec, cfg)
        busy = {m for i, m in mine.items() if any(s not in TERMINAL for s in states.get(i, []))}
        if busy:
            running |= busy
            finals += rec["final_jobs"]
    return running, finals


def stage_status(rec: dict[str, Any], cfg: ClusterConfig) -> tuple[str, list[int]]:
    """('finished' | 'running' | 'failed', unit indices without a marker) for a registry record."""
    missing = [u["index"] for u in rec["units"] if not unit_finished(u)]
    if not missing:
        return "finished", []
    states = backend_for(cfg).states(rec["final_jobs"])
    if any(s not in TERMINAL for s in states.values()):
        return "running", missing
    # look again: a job may have written its marker and ended while the scheduler was being asked
    missing = [u["index"] for u in rec["units"] if u["index"] in missing and not unit_finished(u)]
    if not missing:
        return "finished", []
    return "failed", missing  # every job ended (or aged out of squeue) and outputs are incomplete


def resolve_run_after(run_after: str | list[str] | None, expname: str, registry: Registry,
                      cfg: ClusterConfig) -> list[str]:
    names = [run_after] if isinstance(run_after, str) else list(run_after or [])
    deps: list[str] = []
    for name in names:
        if name == expname:
            raise NslError(f"run_after='{name}' names this stage itself; a stage cannot wait for itself")
        recs = registry.stages(name)
        if not recs:
            known = ", ".join(registry.known()) or "none"
            raise NslError(f"run_after='{name}': no stage with that expname was submitted "
                           f"(registry {registry.root}; known: {known})")
        for rec in recs:
            if rec.get("dry_run"):
                deps += rec["final_jobs"]
                continue
            status, missing = stage_status(rec, cfg)
            if status == "running":
                deps += rec["final_jobs"]
            elif status == "failed":
                raise NslError(f"run_after='{name}': stage {rec['stage_id']} ended with {len(missing)} unfinished "
                               f"unit(s) {missing[:10]} (logs in {rec['log_dir']}); rerun '{name}' first")
    return list(dict.fromkeys(deps))


@dataclass
class Prepared:
    """One stage of a graph after the file-system checks, ready for its backend (nothing submitted yet)."""

    stage: StageSpec
    cfg: ClusterConfig
    records: list[dict[str, Any]]
    todo: list[int]
    busy: list[int]
    running_finals: list[str]
    handle: StageHandle


def prepare_stage(stage: StageSpec, cfg: ClusterConfig, handle: StageHandle, *, rerun_done: bool,
                  dry: bool) -> Prepared:
    """Which units need jobs: those without a marker, less those an earlier submission is still running."""
    cfg = cfg.with_mounts(tuple(Mount(*m.split(":")[:2]) for m in stage.mounts))  # + mount_paths
    records = [unit_record(u, cfg) for u in stage.units]
    finished = set() if dry or rerun_done else {u["index"] for u in records if unit_finished(u)}
    todo = [u["index"] for u in records if u["index"] not in finished]
    # chunk units count as finished only once their seed is merged; a resubmitted chunk that is
    # already done exits at once in its job and retries the merge there
    running, running_finals = (set(), []) if dry else still_running(
        Registry(registry_root(cfg)).stages(stage.expname), {u["marker"] for u in records if u["index"] in todo}, cfg)
    busy = [i for i in todo if records[i]["marker"] in running]
    todo = [i for i in todo if i not in busy]
    handle._units_submitted, handle._units_done = len(todo), len(stage.units) - len(todo) - len(busy)
    handle.dry_run = dry
    return Prepared(stage, cfg, records, todo, busy, running_finals, handle)


def clear_outputs(p: Prepared) -> None:
    """``rerun_done``: forget the markers and partial outputs of the units about to be resubmitted."""
    for u in p.records:
        if u["index"] not in p.todo:
            continue
        clear_done(u["marker"])
        if u["merge"]:
            clear_done(u["merge"]["output"])
        async_path(u["marker"]).unlink(missing_ok=True)


def submit_prepared(p: Prepared, after: list[str], *, throttle: int | None, dry: bool) -> StageRecord | None:
    """Hand the stage to its backend; returns the registry record (None when nothing needed a job)."""
    stage, cfg, handle = p.stage, p.cfg, p.handle
    if p.busy:
        print(f"[nsl] {stage.expname}: {len(p.busy)} unit(s) still running; not resubmitted")
    if not p.todo:
        if not p.busy:
            print(f"[nsl] {stage.expname}: all {len(stage.units)} unit(s) already done; nothing submitted")
        return None
    Path(stage.host_log_dir or stage.log_dir).mkdir(parents=True, exist_ok=True)
    stage.write()
    sub = backend_for(cfg, dry_run=dry).submit(stage, p.todo, after, throttle)
    handle._job_ids, handle._scripts = sub.all_ids, sub.scripts
    print_summary(stage, sub.levels, after, len(p.todo), dry, sub.scripts)
    return StageRecord(**{
        "expname": stage.expname, "stage_id": stage.stage_id, "kind": stage.kind, "cluster": cfg.name,
        "executor": cfg.executor, "submitted_at": time.time(), "spec_path": stage.host_spec_path,
        "log_dir": stage.host_log_dir or stage.log_dir, "levels": sub.levels, "code_dir": stage.code_dir,
        # a stage waiting on this one also waits for the units still running from an earlier submission
        "final_jobs": list(dict.fromkeys(sub.final + p.running_finals)),
        "offsets": sub.offsets, "dry_run": dry, "units": p.records,
    })


def print_summary(stage: StageSpec, levels: list[list[str]], after: list[str], n: int, dry: bool,
                  scripts: list[str]) -> None:
    srv = stage.server
    what = f"{srv.server_type} {srv.nodes}x{srv.gpus} GPUs" if srv and not srv.address else (
        f"endpoint {srv.address}" if srv else "no server")
    head = "[nsl dry-run]" if dry else "[nsl]"
    print(f"{head} stage {stage.expname} ({stage.kind}): {n}/{len(stage.units)} unit(s) x "
          f"{stage.dependent_jobs + 1} chained job(s), {what}"
          + (", sandbox" if stage.with_sandbox else "")
          + f"; jobs {', '.join(','.join(lv) for lv in levels)}"
          + (f"; after {', '.join(after)}" if after else "")
          + (f"; scripts in {Path(scripts[0]).parent}" if scripts else ""), file=sys.stdout, flush=True)
