"""``nsl status / logs / cancel``: read the registry, ask the backend, show a table (rich)."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from nemo_skills_lite.cluster.backends import backend_for
from nemo_skills_lite.cluster.config import ClusterConfig, load_cluster_config
from nemo_skills_lite.pipeline.registry import Registry, registry_root
from nemo_skills_lite.pipeline.submission import pick_state, stage_status, unit_finished, unit_job_states
from nemo_skills_lite.runtime.paths import async_path, done_path
from nemo_skills_lite.utils.errors import NslError


def _records(expname: str, cluster: str | None, config_dir: str | None) -> tuple[ClusterConfig, list[dict]]:
    cfg = load_cluster_config(cluster, config_dir)
    reg = Registry(registry_root(cfg))
    recs = reg.stages(expname)
    if not recs:
        raise NslError(f"no stage named '{expname}' in registry {reg.root} (known: {', '.join(reg.known()) or 'none'})")
    return cfg, recs


def _rows_done(marker: str) -> str:
    done = done_path(marker)
    if done.exists():
        try:
            return str(json.loads(done.read_text()).get("rows", "done"))
        except json.JSONDecodeError:
            return "done"
    partial = async_path(marker)
    if partial.exists():
        with partial.open("rb") as f:
            return f"{sum(1 for _ in f)} (partial)"
    return "-"


def unit_states(cfg: ClusterConfig, rec: dict) -> dict[int, str]:
    """Unit index -> state of its attempt that is running, else of the latest that ran (local: the runner's view)."""
    return {u: pick_state(states) for u, states in unit_job_states(rec, cfg).items()}


def unit_logs(rec: dict, unit: int) -> list[Path]:
    """Every log of a unit: step logs ``<stage_id>-L<level>-u<unit>*`` (local: the attempt's ``.out``) and,
    on Slurm, the batch shell's ``<stage_id>-L<level>-<array job>_<task>.out`` (where a server step's exit
    and its log tail go)."""
    log_dir = Path(rec["log_dir"])
    logs = set(log_dir.glob(f"{rec['stage_id']}-L*-u{unit}[.-]*"))
    if rec["executor"] == "slurm":
        for level, jobs in enumerate(rec["levels"]):
            for job in jobs:
                task = unit - int(rec.get("offsets", {}).get(job, 0))
                batch = log_dir / f"{rec['stage_id']}-L{level}-{job}_{task}.out"
                if task >= 0 and batch.exists():
                    logs.add(batch)
    return sorted(logs)


def print_status(expname: str, cluster: str | None, config_dir: str | None) -> int:
    cfg, recs = _records(expname, cluster, config_dir)
    console = Console()
    for rec in recs[-3:]:
        table = Table(title=f"{expname} · {rec['stage_id']} ({rec['kind']}, {rec['executor']})")
        for col in ("unit", "seed", "chunk", "state", "rows", "output"):
            table.add_column(col)
        states = unit_states(cfg, rec) if not rec.get("dry_run") else {}
        for u in rec["units"]:
            state = "DONE" if unit_finished(u) else states.get(u["index"], "UNKNOWN")
            table.add_row(str(u["index"]), str(u["seed"]), str(u["chunk"]), state, _rows_done(u["marker"]),
                          Path(u["marker"]).name)
        console.print(table)
    return 0


def _why(rec: dict) -> str:
    """The likely reason a stage failed: the last error line of its first unfinished unit's log."""
    for u in rec["units"]:
        if unit_finished(u):
            continue
        logs = unit_logs(rec, u["index"])
        if not logs:
            return f"unit {u['index']}: no log, never started (did an upstream stage fail?)"
        lines = [ln.strip() for ln in logs[-1].read_text(errors="replace").splitlines() if ln.strip()]
        errors = [ln for ln in lines if "error" in ln.lower()]
        last = (errors or lines or ["(empty log)"])[-1]
        return f"unit {u['index']}: {last[:160]}  ({logs[-1]})"
    return ""


def print_overview(cluster: str | None, config_dir: str | None) -> int:
    """``nsl status`` without an expname: every stage in the registry, oldest first, with why failed ones failed."""
    cfg = load_cluster_config(cluster, config_dir)
    reg = Registry(registry_root(cfg))
    recs = sorted((rec for name in reg.known() for rec in reg.stages(name) if not rec.get("dry_run")),
                  key=lambda r: r.get("submitted_at", 0))
    if not recs:
        print(f"no stages in registry {reg.root}")
        return 0
    table = Table(title=f"stages in {reg.root}")
    for col in ("expname", "kind", "units done", "state", "why"):
        table.add_column(col)
    for rec in recs:
        state, missing = stage_status(rec, cfg)
        done = len(rec["units"]) - len(missing)
        table.add_row(rec["expname"], rec["kind"], f"{done}/{len(rec['units'])}", state,
                      _why(rec) if state == "failed" else "")
    Console(width=200).print(table)
    return 0


def wait(expname: str, cluster: str | None = None, config_dir: str | None = None, *,
         timeout: float | None = None, poll_s: float = 2.0) -> str:
    """Block until every stage of ``expname`` has finished or failed; returns 'finished' or 'failed'."""
    import time

    cfg, _ = _records(expname, cluster, config_dir)
    reg = Registry(registry_root(cfg))
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        statuses = [stage_status(rec, cfg)[0] for rec in reg.stages(expname) if not rec.get("dry_run")]
        if "running" not in statuses:
            return "failed" if "failed" in statuses else "finished"
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"{expname} still running after {timeout:.0f}s")
        time.sleep(poll_s)


def print_logs(expname: str, cluster: str | None, config_dir: str | None, *, failed: bool, lines: int) -> int:
    _, recs = _records(expname, cluster, config_dir)
    rec = recs[-1]
    shown = 0
    for u in rec["units"]:
        if failed and unit_finished(u):
            continue
        for log in unit_logs(rec, u["index"]):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            print(f"==> {log} <==")
            print("\n".join(text))
            shown += 1
    if not shown:
        print(f"no {'failed ' if failed else ''}unit logs for {rec['stage_id']} in {rec['log_dir']}")
    return 0


def cancel(expname: str, cluster: str | None, config_dir: str | None) -> int:
    cfg, recs = _records(expname, cluster, config_dir)
    ids = [j for rec in recs if not rec.get("dry_run") for level in rec["levels"] for j in level]
    backend_for(cfg).cancel(ids)
    print(f"[nsl] cancelled {len(ids)} job(s) of {expname}")
    return 0
