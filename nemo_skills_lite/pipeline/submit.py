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

import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nemo_skills_lite.cluster.backends import backend_for
from nemo_skills_lite.cluster.config import ClusterConfig, Mount
from nemo_skills_lite.cluster.slurm import TERMINAL
from nemo_skills_lite.pipeline.registry import Registry, registry_root
from nemo_skills_lite.runtime.markers import clear_done, is_done
from nemo_skills_lite.runtime.spec import StageSpec
from nemo_skills_lite.utils.errors import NslError


def is_dry_run(flag: bool) -> bool:
    return flag or os.environ.get("NSL_DRY_RUN") == "1"


def new_stage_id(expname: str) -> str:
    return f"{expname}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


@dataclass
class StageHandle:
    """What ``generate``/``run_cmd``/``eval`` return: the submitted stage and its jobs."""

    expname: str
    stage_id: str | None
    job_ids: list[str] = field(default_factory=list)
    units_submitted: int = 0
    units_done: int = 0
    dry_run: bool = False
    scripts: list[str] = field(default_factory=list)


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


def submit(stage: StageSpec, cfg: ClusterConfig, *, run_after: Any, rerun_done: bool, dry_run: bool,
           throttle: int | None) -> StageHandle:
    dry = is_dry_run(dry_run)
    cfg = cfg.with_mounts(tuple(Mount(*m.split(":")[:2]) for m in stage.mounts))  # + mount_paths
    registry = Registry(registry_root(cfg), dry_run=dry)
    after = resolve_run_after(run_after, stage.expname, registry, cfg)
    if not after and not dry:
        missing = sorted({p for u in stage.units for p in u.inputs if not os.path.exists(cfg.host_path(p))})
        if missing:
            raise NslError(f"{stage.expname}: input file(s) not found: {', '.join(missing[:5])}"
                           + (f" (+{len(missing) - 5} more)" if len(missing) > 5 else ""))
    records = [unit_record(u, cfg) for u in stage.units]
    if rerun_done and not dry:
        for u in records:
            clear_done(u["marker"])
            if u["merge"]:
                clear_done(u["merge"]["output"])
            if os.path.exists(f"{u['marker']}-async"):
                os.unlink(f"{u['marker']}-async")
    todo = [u["index"] for u in records if dry or not unit_finished(u)]
    # chunk units count as finished only once their seed is merged; a resubmitted chunk that is
    # already done exits at once in its job and retries the merge there
    running, running_finals = (set(), []) if dry else still_running(
        registry.stages(stage.expname), {u["marker"] for u in records if u["index"] in todo}, cfg)
    busy = [i for i in todo if records[i]["marker"] in running]
    todo = [i for i in todo if i not in busy]
    handle = StageHandle(stage.expname, stage.stage_id, units_submitted=len(todo),
                         units_done=len(stage.units) - len(todo) - len(busy), dry_run=dry)
    if busy:
        print(f"[nsl] {stage.expname}: {len(busy)} unit(s) still running; not resubmitted")
    if not todo:
        if not busy:
            print(f"[nsl] {stage.expname}: all {len(stage.units)} unit(s) already done; nothing submitted")
        return handle
    Path(stage.host_log_dir or stage.log_dir).mkdir(parents=True, exist_ok=True)
    stage.write()
    backend = backend_for(cfg)
    sub = backend.submit(stage, todo, after, throttle, dry_run=dry)
    handle.job_ids, handle.scripts = sub.all_ids, sub.scripts
    registry.record({
        "expname": stage.expname, "stage_id": stage.stage_id, "kind": stage.kind, "cluster": cfg.name,
        "executor": cfg.executor, "submitted_at": time.time(), "spec_path": stage.host_spec_path,
        "log_dir": stage.host_log_dir or stage.log_dir, "levels": sub.levels,
        # a stage waiting on this one also waits for the units still running from an earlier submission
        "final_jobs": list(dict.fromkeys(sub.final + running_finals)),
        "offsets": sub.offsets, "dry_run": dry, "units": records,
    })
    print_summary(stage, sub.levels, after, len(todo), dry, sub.scripts)
    return handle


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
