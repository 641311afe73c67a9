"""State files of the local executor's stage runners, as every reader should see them.

A runner writes ``<log_dir>/.nsl/<stage_id>.state.json`` (stage and unit states, its pid, its host and
the pids of the unit processes it started). A runner killed with ``kill -9`` (or with its machine)
never writes its end, so ``read_state`` checks, on the runner's host, that the pid still belongs to the
runner; when it does not, every unit that had not ended is reported ``FAILED`` (``COMPLETED`` if its
marker exists; ``RUNNING`` while an orphaned unit process still runs) and the stage with them, so
``wait()``, ``run_after`` dependents and ``nsl status`` see the stage end instead of waiting forever.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

from nemo_skills_lite.cluster.containers import host_path
from nemo_skills_lite.runtime import paths
from nemo_skills_lite.runtime.markers import is_done
from nemo_skills_lite.runtime.spec import StageSpec

FINISHED = {"COMPLETED", "FAILED", "TIMEOUT", "CANCELLED"}


def state_path(spec: StageSpec) -> str:
    return str(paths.state_path(spec.host_log_dir or spec.log_dir, spec.stage_id))  # the host's side


def args_path(state: str) -> str:
    """The runner's argument file; it is on the runner's command line, which identifies the process."""
    return str(Path(state).with_suffix(".args.json"))


def pid_path(state: str) -> str:
    """Written by the submitting process right after starting the runner (before the runner can write)."""
    return f"{state}.pid"


def spec_path(state: str) -> str:
    return state.removesuffix(".state.json") + ".json"


def script_dir(state: str) -> str:
    """Prefix of the local container jobs' scripts (``<log_dir>/.nsl/scripts/<stage_id>-L<a>-u<u>.sh``)."""
    p = Path(state)
    return str(p.parent / "scripts" / (p.name.removesuffix(".state.json") + "-"))


def alive(pid: int | None, needle: str) -> bool:
    """Is ``pid`` a live (not zombie) process whose command line contains ``needle``?"""
    import psutil

    if not pid:
        return False
    try:
        p = psutil.Process(pid)
        return p.status() != psutil.STATUS_ZOMBIE and any(needle in a for a in p.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def _runner_pid(st: dict, state: str) -> int | None:
    if st.get("pid"):
        return int(st["pid"])
    try:
        return int(Path(pid_path(state)).read_text())
    except (FileNotFoundError, ValueError):
        return None


def _runner_gone(st: dict, state: str, pid: int) -> dict:
    try:
        spec = StageSpec.read(spec_path(state))
        markers = {str(u.index): host_path(spec, u.marker) for u in spec.units}  # container jobs: via the mounts
    except (OSError, ValueError, KeyError, TypeError):
        markers = {}
    units = dict(st.get("units", {}))
    for u, s in units.items():
        if s in FINISHED:
            continue
        upid = st.get("procs", {}).get(u)  # the worker (its cmdline has the spec) or a container job's script
        if alive(upid, spec_path(state)) or alive(upid, script_dir(state)):
            units[u] = "RUNNING"  # an orphaned unit process is still at work
        else:
            units[u] = "COMPLETED" if u in markers and is_done(markers[u]) else "FAILED"
    values = set(units.values())
    stage = "RUNNING" if "RUNNING" in values else ("COMPLETED" if values <= {"COMPLETED"} else "FAILED")
    return {**st, "stage": stage, "units": units, "reason": f"the stage runner (pid {pid}) is gone"}


def read_state(path: str) -> dict:
    """The runner's state file, corrected when the runner died without writing its end."""
    try:
        st = json.loads(Path(path).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {"stage": "UNKNOWN", "units": {}}
    if st.get("stage") in FINISHED or st.get("host", socket.gethostname()) != socket.gethostname():
        return st  # ended, or a runner on another machine that cannot be checked from here
    pid = _runner_pid(st, path)
    if pid is None or alive(pid, args_path(path)):
        return st  # running, or still starting
    return _runner_gone(st, path, pid)
