"""The in-job entry point: ``python -m nemo_skills_lite.runtime.worker SPEC.json --unit U --role R``.

Roles (one ``srun`` step each on Slurm; ``all`` runs them as child processes on the local executor):
  done     exit 0 if the unit is already finished (finishing a pending chunk merge), else 1
  server   start the model server on this node (rank from SLURM_NODEID); rank 0 publishes its address
  sandbox  start the code-execution sandbox service and publish its address
  client   wait for the server/sandbox to be ready, run the unit's command, write the marker, merge
  all      server + sandbox + client on this machine, torn down together (local executor)

Servers and sandbox publish ``{"host", "port", ...}`` in a rendezvous folder on the shared filesystem,
so ports are picked free on whatever node they land on.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from nemo_skills_lite.runtime.markers import is_done, mark_done
from nemo_skills_lite.runtime.merge import merge_if_complete
from nemo_skills_lite.runtime.paths import rdv_dir
from nemo_skills_lite.runtime.spec import StageSpec, UnitSpec
from nemo_skills_lite.utils.logtail import log_tail

EXIT_INTERRUPTED = 75  # the client was signalled (time limit / cancel); the next chained job resumes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def host_address() -> str:
    if os.environ.get("NSL_HOST_ADDR"):
        return os.environ["NSL_HOST_ADDR"]
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


def wait_http(url: str, timeout_s: float, what: str) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"nsl worker: {what} did not answer in {timeout_s:.0f}s")
            time.sleep(0.5)



def run_in_group(argv: list[str], env: dict[str, str], *, kill_leftovers: bool,
                 on_start: Callable[[], None] | None = None) -> tuple[int, list[int]]:
    """Run argv in its own process group, forward SIGUSR1/SIGTERM/SIGINT to the whole group, and return
    (exit code, signals received). ``kill_leftovers``: SIGKILL what the process left in its group when it
    ends; a crashed vLLM api_server leaves its engine processes behind, which proctrack/linuxproc does not
    see once they are re-parented (only cgroups would catch them)."""
    proc = subprocess.Popen(argv, env=env, preexec_fn=os.setpgrp)
    if on_start:
        on_start()
    received: list[int] = []

    def forward(signum, _frame):
        received.append(signum)
        try:
            os.killpg(proc.pid, signum)
        except ProcessLookupError:
            pass

    for sig in (signal.SIGUSR1, signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, forward)
    rc = proc.wait()
    if kill_leftovers:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return rc, received


class Job:
    def __init__(self, spec: StageSpec, unit: UnitSpec, attempt: int) -> None:
        self.spec, self.unit, self.attempt = spec, unit, attempt
        key = os.environ.get("SLURM_ARRAY_JOB_ID", os.environ.get("SLURM_JOB_ID", os.environ.get("NSL_JOB_KEY", "x")))
        self.rdv = rdv_dir(spec.log_dir, spec.stage_id, unit.index, attempt, key)
        self.logs = f"{spec.log_dir}/{spec.stage_id}-L{attempt}-u{unit.index}"
        self.server_proc: subprocess.Popen | None = None  # set when this process launched the server (local)
        self.command_started = False

    # ---- rendezvous -------------------------------------------------------------------------
    def publish(self, name: str, info: dict) -> None:
        self.rdv.mkdir(parents=True, exist_ok=True)
        tmp = self.rdv / f".{name}.tmp"
        tmp.write_text(json.dumps(info))
        tmp.replace(self.rdv / f"{name}.json")

    def lookup(self, name: str, timeout_s: float) -> dict:
        path, deadline = self.rdv / f"{name}.json", time.monotonic() + timeout_s
        while not path.exists():
            if time.monotonic() > deadline:
                raise SystemExit(f"nsl worker: {name} did not publish its address in {timeout_s:.0f}s ({path})")
            time.sleep(0.5)
        return json.loads(path.read_text())

    # ---- roles ------------------------------------------------------------------------------
    def done(self) -> int:
        if not is_done(self.unit.marker):
            return 1
        if self.unit.merge and not merge_if_complete(self.unit.merge):
            print(f"unit {self.unit.index} done; merge waits for the other chunks")
        return 0

    def server(self) -> int:
        from nemo_skills_lite.inference.servers import check_launch, server_launch
        from nemo_skills_lite.utils.errors import NslError

        srv = self.spec.server
        assert srv is not None and not srv.address, "server role needs a launched server"
        rank = int(os.environ.get("SLURM_NODEID", os.environ.get("SLURM_PROCID", "0")))
        if rank == 0:
            info = {"host": host_address(), "port": free_port(), "dist_port": free_port()}
            self.publish("server", info)
        else:
            info = self.lookup("server", 600)
        launch = server_launch(srv.server_type, srv.model, port=info["port"], num_gpus=srv.gpus,
                               num_nodes=srv.nodes, node_rank=rank,
                               master_addr=f"{info['host']}:{info['dist_port']}", server_args=srv.args)
        if srv.entrypoint and "nemo_skills_lite.inference.vllm_headless" not in launch.argv:  # server_entrypoint: same args, another module or script (not for headless vLLM ranks > 0)
            entry = [srv.entrypoint] if srv.entrypoint.endswith(".py") else ["-m", srv.entrypoint]
            rest = launch.argv[3:] if launch.argv[1:2] == ["-m"] else launch.argv[1:]
            launch = dataclasses.replace(launch, argv=[launch.argv[0], *entry, *rest])
        try:
            check_launch(launch, srv.server_type, srv.model)
        except NslError as e:
            print(f"nsl worker: not starting {srv.server_type} rank {rank}: {e}", file=sys.stderr, flush=True)
            return 2
        print(f"nsl worker: starting {srv.server_type} rank {rank}: {' '.join(launch.argv)}", flush=True)
        return run_in_group(launch.argv, {**os.environ, **launch.env}, kill_leftovers=True)[0]

    def sandbox(self) -> int:
        port = free_port()
        self.publish("sandbox", {"host": host_address(), "port": port})
        argv = [sys.executable, "-m", "nemo_skills_lite.code_execution.service", "--host", "0.0.0.0", "--port", str(port)]
        os.execvp(argv[0], argv)

    def master_node(self) -> str:
        """Address of the job's first node, the same on every node: node 0 publishes its own."""
        if self.spec.num_nodes <= 1:
            return host_address()
        if int(os.environ.get("SLURM_NODEID", os.environ.get("SLURM_PROCID", "0"))) == 0:
            self.publish("master", {"host": host_address()})
        return self.lookup("master", 300)["host"]

    def client_env(self) -> dict[str, str]:
        env = dict(os.environ)
        # `python ...` in a command means the job's interpreter (the venv or the container's)
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        engine_python = env.get(env.get("NSL_ENGINE_PYTHON_VAR", ""), "")
        if engine_python:  # run_cmd(container="vllm"|"sglang") on a host-mode cluster: that engine's python
            env["PATH"] = os.path.dirname(engine_python) + os.pathsep + env["PATH"]
        if "SLURM_MASTER_NODE" not in env:  # NeMo-Skills' name for the first node (commands use it)
            env["SLURM_MASTER_NODE"] = self.master_node()
        srv = self.spec.server
        if srv is not None:
            from nemo_skills_lite.inference.servers import wait_ready

            if srv.address:
                url = srv.address
            else:
                info = self.lookup("server", srv.ready_timeout_s)
                url = f"http://{info['host']}:{info['port']}"
            print(f"nsl worker: waiting for {srv.server_type} at {url}", flush=True)
            log = f"{self.logs}-server-0.log" if not srv.address else None
            wait_ready(url, timeout_s=srv.ready_timeout_s, log_path=log, proc=self.server_proc)
            env["NSL_SERVER_URL"] = url
            if log:
                env["NSL_SERVER_LOG"] = log  # the client puts its tail in its own error
        if self.spec.with_sandbox:
            info = self.lookup("sandbox", 300)
            env["NSL_SANDBOX_URL"] = url = f"http://{info['host']}:{info['port']}"
            wait_http(f"{url}/health", 120, f"the sandbox at {url} (log {self.logs}-sandbox.log)")
        return env

    def client(self) -> int:
        missing = [p for p in self.unit.inputs if not os.path.exists(p)]
        if missing:
            print(f"nsl worker: input files missing (did the stage this one runs after finish?): {missing}",
                  file=sys.stderr)
            return 2
        from nemo_skills_lite.inference.servers import ServerFailed

        try:
            env = self.client_env()
        except ServerFailed as e:
            print(f"nsl worker: {e}", file=sys.stderr, flush=True)
            return 1
        print(f"nsl worker: unit {self.unit.index} attempt {self.attempt}: {self.unit.command}", flush=True)
        # own process group (signals reach the whole command), same session (the local runner's last
        # resort kills the session)
        rc, interrupted = run_in_group(["bash", "-c", self.unit.command], env, kill_leftovers=False,
                                       on_start=lambda: setattr(self, "command_started", True))
        if rc != 0:
            print(f"nsl worker: command exited with code {rc}", file=sys.stderr, flush=True)
            return EXIT_INTERRUPTED if interrupted else rc
        if not is_done(self.unit.marker):
            if self.spec.kind == "run_cmd":
                mark_done(self.unit.marker, attempt=self.attempt)
            else:
                print(f"nsl worker: the task exited 0 but did not write {self.unit.marker}.done", file=sys.stderr)
                return 3
        if self.unit.merge:
            merge_if_complete(self.unit.merge)
        return 0

    def all(self) -> int:
        """Local executor: every component as a child of this process, torn down together."""
        self.rdv.mkdir(parents=True, exist_ok=True)
        children: list[subprocess.Popen] = []
        me = [sys.executable, "-m", "nemo_skills_lite.runtime.worker", self.spec.spec_path,
              "--unit", str(self.unit.index), "--attempt", str(self.attempt)]


        def stop(signum, _frame):  # before the client installs its forwarding: tear down via finally
            raise SystemExit(EXIT_INTERRUPTED)

        for sig in (signal.SIGTERM, signal.SIGUSR1):
            signal.signal(sig, stop)
        for role, log_name in (("server", "server-0"), ("sandbox", "sandbox")):
            if (role == "server" and self.spec.server and not self.spec.server.address) or \
                    (role == "sandbox" and self.spec.with_sandbox):
                with open(f"{self.logs}-{log_name}.log", "ab") as log:
                    children.append(subprocess.Popen(me + ["--role", role], stdout=log, stderr=log,
                                                     preexec_fn=os.setpgrp))
                if role == "server":
                    self.server_proc = children[-1]
        try:
            return self._client_watching(children)
        finally:
            for c in children:
                try:
                    os.killpg(c.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            for c in children:
                try:
                    c.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(c.pid, signal.SIGKILL)

    def _client_watching(self, children: list[subprocess.Popen]) -> int:
        import threading

        # signals are handled in the main thread: run the client there, watch children from a thread
        result: list[int] = []
        died: list[str] = []

        def watch():
            while not result:
                for c in children:
                    # before the command starts, wait_ready (which watches the server) reports a death
                    if c.poll() is not None and self.command_started:
                        died.append(f"a server/sandbox process exited with code {c.returncode}")
                        os.kill(os.getpid(), signal.SIGTERM)
                        return
                time.sleep(1)

        threading.Thread(target=watch, daemon=True).start()
        rc = self.client()
        result.append(rc)
        if died:
            print(f"nsl worker: {died[0]} before the client finished; last server log lines:", file=sys.stderr)
            for name in ("server-0", "sandbox"):
                p = Path(f"{self.logs}-{name}.log")
                if p.exists():
                    print(f"{p}:\n{log_tail(str(p))}", file=sys.stderr)
            return 1
        return rc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="nemo_skills_lite.runtime.worker")
    ap.add_argument("spec")
    ap.add_argument("--unit", type=int, required=True)
    ap.add_argument("--attempt", type=int, default=0)
    ap.add_argument("--role", choices=["done", "server", "sandbox", "client", "all"], required=True)
    a = ap.parse_args(argv)
    spec = StageSpec.read(a.spec)
    units = {u.index: u for u in spec.units}
    if a.unit not in units:
        print(f"nsl worker: unit {a.unit} not in {a.spec}", file=sys.stderr)
        return 2
    if a.role == "all":  # children find each other's rendezvous folder through this key
        os.environ.setdefault("NSL_JOB_KEY", str(os.getpid()))
    job = Job(spec, units[a.unit], a.attempt)
    return getattr(job, a.role)()


if __name__ == "__main__":
    sys.exit(main())
