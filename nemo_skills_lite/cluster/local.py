"""Local executor: runs a stage's units as processes on this machine, in the background.

``submit`` starts one detached runner per stage (``python -m nemo_skills_lite.cluster.local STATE``)
and returns at once, like sbatch. The runner waits for the stages it depends on (their state files),
then runs units concurrently within a machine-wide budget of CPU and GPU slots (POSIX-locked slot
files shared by every runner, GPU subsets via CUDA_VISIBLE_DEVICES), each unit up to
``1 + dependent_jobs`` attempts with the stage's time limit (SIGUSR1 ahead of it, then SIGTERM and
SIGKILL), exactly like the Slurm chain. State: ``<log_dir>/.nsl/<stage_id>.state.json`` (read through
``local_state.read_state``, which notices a runner that died without writing its end).
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from nemo_skills_lite.cluster import containers
from nemo_skills_lite.cluster.local_state import FINISHED, read_state, state_path
from nemo_skills_lite.runtime import paths
from nemo_skills_lite.runtime.markers import is_done
from nemo_skills_lite.runtime.spec import StageSpec
from nemo_skills_lite.utils.io import atomic_write_text

SLOTS_DIR = Path(os.environ.get("NSL_LOCAL_SLOTS_DIR", "/tmp/nsl-local-slots"))


def seconds(limit: str | None) -> float | None:
    """Slurm time 'D-HH:MM:SS' | 'HH:MM:SS' | 'MM:SS' | 'M' -> seconds."""
    if not limit:
        return None
    days, _, rest = limit.rpartition("-")
    parts = [int(p) for p in rest.split(":")]
    if len(parts) == 1:
        parts = [0, parts[0], 0]
    elif len(parts) == 2:
        parts = [0, *parts]
    h, m, s = parts
    return (int(days or 0) * 24 + h) * 3600 + m * 60 + s


@contextmanager
def slots(kind: str, count: int, total: int) -> Iterator[list[int]]:
    """Hold ``count`` of ``total`` machine-wide slots of ``kind``; yields their ids."""
    SLOTS_DIR.mkdir(parents=True, exist_ok=True)
    held: list[tuple[int, object]] = []
    try:
        while len(held) < count:
            for i in range(total):
                if any(i == h for h, _ in held):
                    continue
                f = open(SLOTS_DIR / f"{kind}-{i}.lock", "a+")
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)  # per open file: threads compete too
                except OSError:
                    f.close()
                    continue
                held.append((i, f))
                if len(held) == count:
                    break
            if len(held) < count:
                time.sleep(0.5)
        yield [i for i, _ in held]
    finally:
        for _, f in held:
            f.close()  # type: ignore[attr-defined]


def kill_session(sid: int) -> None:
    """SIGKILL every process of the job's session (the worker, its command, servers and their children)."""
    import psutil

    for p in psutil.process_iter():
        try:
            if os.getsid(p.pid) == sid:
                p.kill()
        except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
            pass


class Runner:
    def __init__(self, spec: StageSpec, units: list[int], after: list[str], dep_type: str,
                 cpus: int, gpus: int, signal_before_s: int, engine: containers.Engine | None = None,
                 code_dir: str | None = None) -> None:
        self.spec, self.units, self.after, self.dep_type = spec, units, after, dep_type
        self.cpus, self.gpus, self.signal_before_s = cpus, gpus, signal_before_s
        self.engine, self.code_dir = engine, code_dir  # engine: each component in its own container
        self.log_dir = spec.host_log_dir or spec.log_dir
        self.path = state_path(spec)
        self.lock = threading.Lock()
        self.state = {"stage": "PENDING", "pid": os.getpid(), "host": socket.gethostname(),
                      "units": {str(u): "PENDING" for u in units}, "procs": {}}
        self.procs: dict[int, subprocess.Popen] = {}
        self.cancelled = False

    def save(self) -> None:
        with self.lock:
            atomic_write_text(self.path, json.dumps(self.state))

    def set(self, unit: int, state: str) -> None:
        with self.lock:
            self.state["units"][str(unit)] = state
        self.save()

    def wait_for_dependencies(self) -> bool:
        for dep in self.after:
            while True:
                st = read_state(dep)
                if st["stage"] in FINISHED:
                    break
                time.sleep(1)
            if self.dep_type == "afterok" and st["stage"] != "COMPLETED":
                return False
            if self.dep_type == "afternotok" and st["stage"] == "COMPLETED":
                return False
        return True

    def run_attempt(self, unit: int, attempt: int) -> str:
        limit = seconds(self.spec.time_limit)
        need_gpus = max(self.spec.num_gpus, self.spec.server.gpus if self.spec.server else 0)
        kind, count, total = ("gpu", need_gpus, self.gpus) if need_gpus else ("cpu", 1, self.cpus)
        with slots(kind, count, total) as ids:
            if self.cancelled:
                return "CANCELLED"
            key = f"{os.getpid()}-{unit}-{attempt}"
            env = {**os.environ, **self.spec.env, "NSL_JOB_KEY": key}
            if need_gpus:
                env["CUDA_VISIBLE_DEVICES"] = ",".join(map(str, ids))
            log = Path(self.log_dir) / f"{self.spec.stage_id}-L{attempt}-u{unit}.out"
            argv = [sys.executable, "-m", "nemo_skills_lite.runtime.worker", self.spec.spec_path,
                    "--unit", str(unit), "--attempt", str(attempt), "--role", "all"]
            if self.engine:
                argv = ["bash", self.container_script(unit, attempt, key, env.get("CUDA_VISIBLE_DEVICES"))]
            self.set(unit, "RUNNING")
            with open(log, "ab") as out:
                proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
                self.procs[unit] = proc
                with self.lock:  # so a reader can tell an orphaned unit process if this runner dies
                    self.state["procs"][str(unit)] = proc.pid
                self.save()
                timed_out = False
                try:
                    proc.wait(timeout=max(limit - self.signal_before_s, 1) if limit else None)
                except subprocess.TimeoutExpired:
                    timed_out = True
                    os.killpg(proc.pid, signal.SIGUSR1)
                    try:
                        proc.wait(timeout=self.signal_before_s)
                    except subprocess.TimeoutExpired:
                        os.killpg(proc.pid, signal.SIGTERM)
                        try:
                            proc.wait(timeout=5)
                        except subprocess.TimeoutExpired:
                            kill_session(proc.pid)
                            proc.wait()
                if self.engine:  # a killed `run` client leaves its container running: remove it
                    containers.remove_job_containers(self.engine, key)
                self.procs.pop(unit, None)
        if self.cancelled:
            return "CANCELLED"
        marker = containers.host_path(self.spec, self.spec.units[unit].marker) if self.engine else \
            self.spec.units[unit].marker
        if timed_out and not is_done(marker):
            return "TIMEOUT"
        return "COMPLETED" if proc.returncode == 0 else "FAILED"

    def container_script(self, unit: int, attempt: int, key: str, cuda: str | None) -> str:
        assert self.engine and self.code_dir
        text = containers.render_job_script(self.spec, unit, attempt, engine=self.engine, code_dir=self.code_dir,
                                            job_key=key, host_log_dir=self.log_dir,
                                            extra_env={"CUDA_VISIBLE_DEVICES": cuda} if cuda else None)
        path = paths.local_script_path(self.log_dir, self.spec.stage_id, attempt, unit)
        atomic_write_text(path, text)
        return str(path)

    def run_unit(self, unit: int) -> None:
        state = "FAILED"
        for attempt in range(self.spec.dependent_jobs + 1):
            if self.cancelled:
                state = "CANCELLED"
                break
            state = self.run_attempt(unit, attempt)
            if state in ("COMPLETED", "CANCELLED"):
                break
        self.set(unit, state)

    def cancel(self, *_: object) -> None:
        self.cancelled = True
        for p in list(self.procs.values()):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.cancel)
        self.save()
        if not self.wait_for_dependencies():
            self.state["stage"] = "CANCELLED"
            self.state["reason"] = "DependencyNeverSatisfied"
            for u in self.units:
                self.state["units"][str(u)] = "CANCELLED"
            self.save()
            return 1
        self.state["stage"] = "RUNNING"
        self.save()
        threads = [threading.Thread(target=self.run_unit, args=(u,)) for u in self.units]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        finals = set(self.state["units"].values())
        self.state["stage"] = "COMPLETED" if finals == {"COMPLETED"} else (
            "CANCELLED" if "CANCELLED" in finals else "FAILED")
        self.save()
        return 0 if self.state["stage"] == "COMPLETED" else 1


def main(argv: list[str] | None = None) -> int:
    args = json.loads(Path((argv or sys.argv[1:])[0]).read_text())
    spec = StageSpec.read(args["spec"])
    engine = containers.Engine(**{**args["engine"], "global_flags": tuple(args["engine"]["global_flags"])}) \
        if args.get("engine") else None
    return Runner(spec, args["units"], args["after"], args["dep_type"], args["cpus"], args["gpus"],
                  args["signal_before_s"], engine, args.get("code_dir")).run()


if __name__ == "__main__":
    sys.exit(main())
