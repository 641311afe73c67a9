"""Container engine commands for the local executor (podman, or docker where a daemon runs; both tested).

With ``containers`` in a local cluster config, each component of a job (server, sandbox, client) runs
in its own container from its key, exactly as the Slurm executor runs them with pyxis: the config's
mounts plus the job's code directory at ``/nemo_run/code`` are the only host paths a job sees (no home,
no /tmp), workdir ``/nemo_run/code``, the stage's env vars. Containers share the host network (jobs
publish ``127.0.0.1:<free port>`` in their rendezvous folder). ``render_job_script`` is pure: it is the
local twin of ``sbatch.render_sbatch`` (done check in the client's container, server/sandbox/client
started side by side, the first to end decides, the rest torn down).

Engine facts measured on this project's machines (Debian 12 packages, root, no systemd, cgroup v1/v2
hybrid; docs/containers.md): podman 4.3 needs ``--runtime runc`` (crun 1.8 refuses hybrid cgroups) and
explicit ``--ulimit`` values no higher than its own process limits (its default nofile/nproc of 1048576
fails with EPERM: root lacks CAP_SYS_RESOURCE here, and podman lowers its own nproc to 32768).
"""

from __future__ import annotations

import json
import resource
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass

from nemo_skills_lite.runtime.spec import StageSpec
from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.logtail import REQUEST_LINE, TAIL_BYTES

CODE_MOUNT = "/nemo_run/code"
ENGINES = ("podman", "docker")
PODMAN_NPROC_CAP = 32768  # podman sets its own RLIMIT_NPROC to this; a container may not ask for more
LABEL = "nsl.job"  # every container a local job starts carries LABEL=<job key> (cleanup by label)
# What bubblewrap needs inside a container (user + pid namespaces and a fresh /proc). Measured with
# podman 4.3 + runc here: without options bwrap fails "Can't mount proc on /newroot/proc: Operation
# not permitted" (the engine masks /proc paths, so the kernel refuses a new procfs); unmasking them is
# enough (seccomp=unconfined, apparmor=unconfined or --cap-add SYS_ADMIN alone are not), --privileged
# is not needed. Docker 20.10 needs both systempaths=unconfined (else the same proc error) and
# seccomp=unconfined (its default profile refuses the user namespace: "No permissions to create new
# namespace"); measured here, docs/containers.md. apparmor=unconfined is for hosts with AppArmor.
SANDBOX_FLAGS = {"podman": ("--security-opt", "unmask=ALL"),
                 "docker": ("--security-opt", "systempaths=unconfined", "--security-opt", "seccomp=unconfined",
                            "--security-opt", "apparmor=unconfined")}


@dataclass(frozen=True)
class Engine:
    name: str  # podman | docker
    path: str
    global_flags: tuple[str, ...] = ()

    def argv(self, *args: str) -> list[str]:
        return [self.path, *self.global_flags, *args]


def find_engine(runtime: str | None, source: str) -> Engine:
    """The engine named by ``container_runtime``, else podman, else docker with a reachable daemon."""
    if runtime is not None and runtime not in ENGINES:
        raise NslError(f"{source}: container_runtime '{runtime}' is not valid; valid: {', '.join(ENGINES)}")
    names = [runtime] if runtime else list(ENGINES)
    for name in names:
        path = shutil.which(name)
        if not path:
            continue
        if name == "podman":
            flags = ("--runtime", "runc") if shutil.which("runc") else ()
            return Engine(name, path, flags)
        if runtime or subprocess.run([path, "info"], capture_output=True).returncode == 0:
            return Engine(name, path)
    raise NslError(f"{source} defines containers but no container engine ({runtime or ' or '.join(ENGINES)}) "
                   f"is usable here; install podman (see docs/containers.md) or remove 'containers' to run "
                   f"on the host")


def ulimit_flags(engine: Engine) -> list[str]:
    """Limits a container may get on this host (the engines' defaults exceed them where root lacks
    CAP_SYS_RESOURCE)."""
    nofile = min(resource.getrlimit(resource.RLIMIT_NOFILE)[1], 1 << 20)
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nproc = PODMAN_NPROC_CAP if nproc == resource.RLIM_INFINITY else nproc
    if engine.name == "podman":
        nproc = min(nproc, PODMAN_NPROC_CAP)
    return ["--ulimit", f"nofile={nofile}:{nofile}", "--ulimit", f"nproc={nproc}:{nproc}"]


def image_exists(engine: Engine, image: str) -> bool:
    return image_labels(engine, image) is not None


def image_labels(engine: Engine, image: str) -> dict[str, str] | None:
    """The image's labels ({} when it has none); None when it is not in the engine's local storage."""
    proc = subprocess.run(engine.argv("image", "inspect", "--format", "{{json .Config.Labels}}", image),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    try:
        return json.loads(proc.stdout) or {}
    except ValueError:
        return {}


def stage_images(stage: StageSpec) -> dict[str, str]:
    """Component -> image of a stage's jobs (what must exist before anything is submitted)."""
    out = {}
    if stage.server and not stage.server.address and stage.server.container:
        out[f"the {stage.server.server_type} server"] = stage.server.container
    if stage.with_sandbox and stage.sandbox_container:
        out["the sandbox"] = stage.sandbox_container
    if stage.client_container:
        out["the client"] = stage.client_container
    return out


_WARNED_STALE: set[tuple[str, str]] = set()


def check_stage(engine: Engine, stage: StageSpec, source: str) -> None:
    """Every component of a container stage has an image, and every image is in the engine's storage; an image
    built from an older recipe (``images.stale_recipe``) gets a warning, once per process."""
    images = stage_images(stage)
    if not stage.client_container:
        raise NslError(f"{source}: stage '{stage.expname}' has no client container; containers needs one")
    labels = {img: image_labels(engine, img) for img in set(images.values())}  # one inspect per image
    missing = {what: img for what, img in images.items() if labels[img] is None}
    if missing:
        listed = "; ".join(f"'{img}' for {what}" for what, img in missing.items())
        raise NslError(f"{source}: image(s) not found in {engine.name}'s local storage: {listed}. No registry is "
                       f"pulled from by the local executor; build them first (bash scripts/build_images.sh, "
                       f"docs/containers.md)")
    from nemo_skills_lite.cluster.images import stale_recipe  # images.py builds on this module

    for image in sorted(labels):
        if (engine.name, image) in _WARNED_STALE or not (recipe := stale_recipe(labels[image] or {})):
            continue
        _WARNED_STALE.add((engine.name, image))
        name = recipe.rpartition("/")[2].removesuffix(".Dockerfile")
        print(f"[nsl] warning: {source}: image '{image}' was built from an older {recipe} or the files it "
              f"copies (requirements, pyproject.toml); its jobs run with the old dependencies. Rebuild it: "
              f"bash scripts/build_images.sh --engine {engine.name} {name}", file=sys.stderr)


def host_path(stage: StageSpec, path: str) -> str:
    """A path as a container job sees it -> the host path behind it (the mount with the longest container
    prefix); host-mode stages' paths are host paths already."""
    if not stage.client_container:
        return path
    best = None
    for m in stage.mounts:
        host, _, rest = m.partition(":")
        cont = rest.partition(":")[0].rstrip("/")
        if (path == cont or path.startswith(cont + "/")) and (best is None or len(cont) > len(best[1])):
            best = (host.rstrip("/"), cont)
    return best[0] + path[len(best[1]):] if best else path


def sandbox_mounts(stage: StageSpec, host_log_dir: str) -> tuple[str, ...]:
    """The sandbox's container gets the config mounts only with keep_mounts_for_sandbox (NeMo-Skills'
    meaning); otherwise just the job's own ``.nsl`` folder, where its worker reads the spec and publishes
    its address: no user data is visible to the service that runs untrusted code."""
    if stage.sandbox_mounts:
        return stage.mounts
    return (f"{host_log_dir.rstrip('/')}/.nsl:{stage.log_dir.rstrip('/')}/.nsl",)


def volume_flags(mounts: tuple[str, ...], code_dir: str) -> list[str]:
    """Exactly the mounts a Slurm job gets: the config's (and mount_paths) plus the code dir."""
    out = []
    for m in mounts:
        host, _, rest = m.partition(":")
        cont, _, mode = rest.partition(":")
        out += ["-v", f"{host}:{cont}" + (f":{mode}" if mode else "")]
    return out + ["-v", f"{code_dir}:{CODE_MOUNT}"]


def run_argv(engine: Engine, image: str, *, name: str, job_key: str, mounts: tuple[str, ...], code_dir: str,
             env: dict[str, str], argv: list[str], sandbox: bool = False) -> list[str]:
    """``<engine> run`` of one job component: removed when it ends, init as pid 1 (signals reach the
    worker), host network and host IPC as with enroot (vLLM's engine needs more /dev/shm than the
    engines' private 64 MB: "Insufficient space in /dev/shm ... 160 MiB required, 62 MiB free"),
    the image's entrypoint replaced by ``argv``."""
    flags = ["run", "--rm", "--init", "--name", name, "--label", f"{LABEL}={job_key}", "--network", "host",
             "--ipc", "host",
             "--workdir", CODE_MOUNT, "--entrypoint", argv[0], *ulimit_flags(engine)]
    if engine.name == "podman":
        flags += ["--init-path", shutil.which("catatonit") or "/usr/libexec/podman/catatonit"]
    if sandbox:
        flags += list(SANDBOX_FLAGS[engine.name])
    flags += volume_flags(mounts, code_dir)
    for k, v in sorted(env.items()):
        flags += ["-e", f"{k}={v}"]
    return engine.argv(*flags, image, *argv[1:])


def cleanup_argv(engine: Engine, job_key: str) -> str:
    """Shell line removing whatever containers of the job are left (a killed ``run`` client leaves its
    container running under the engine's monitor)."""
    ps = shlex.join(engine.argv("ps", "-aq", "--filter", f"label={LABEL}={job_key}"))
    rm = shlex.join(engine.argv("rm", "-f", "-t", "5"))
    return f"ids=$({ps} 2>/dev/null); [ -n \"$ids\" ] && {rm} $ids >/dev/null 2>&1"


def remove_job_containers(engine: Engine, job_key: str) -> None:
    subprocess.run(["bash", "-c", cleanup_argv(engine, job_key)], capture_output=True)


def render_job_script(stage: StageSpec, unit: int, attempt: int, *, engine: Engine, code_dir: str,
                      job_key: str, host_log_dir: str, extra_env: dict[str, str] | None = None) -> str:
    """The bash script of one local container job (one unit, one attempt). Pure; paths inside
    containers are the stage's (container) paths, logs are written on the host."""
    env = {**stage.env, "NSL_JOB_KEY": job_key, "NSL_HOST_ADDR": "127.0.0.1", **(extra_env or {})}
    worker = ["python3", "-m", "nemo_skills_lite.runtime.worker", stage.spec_path, "--unit", str(unit),
              "--attempt", str(attempt), "--role"]
    prefix = f"nsl-{stage.stage_id}-u{unit}-a{attempt}".replace("_", "-").lower()

    def run(image: str, role: str, sandbox: bool = False) -> str:
        argv = run_argv(engine, image, name=f"{prefix}-{role}", job_key=job_key, code_dir=code_dir, env=env,
                        mounts=sandbox_mounts(stage, host_log_dir) if sandbox else stage.mounts,
                        argv=[*worker, role], sandbox=sandbox)
        return shlex.join(argv)

    logs = f"{host_log_dir}/{stage.stage_id}-L{attempt}-u{unit}"
    assert stage.client_container, "render_job_script needs a container stage"
    # set -m: each `run` in its own process group, so a signal the runner sends to the script's group
    # (time-limit warning, cancel) reaches only this shell, which forwards it to the client as on Slurm
    body = ["#!/bin/bash", "set -uo pipefail", "set -m", f"LOGS={shlex.quote(logs)}",
            f"cleanup() {{ {cleanup_argv(engine, job_key)}; }}", "trap cleanup EXIT",
            f'if {run(stage.client_container, "done")}; then echo "unit {unit} is already done"; exit 0; fi',
            "PIDS=()"]
    srv = stage.server
    if srv and not srv.address:
        body += [f'{run(srv.container or stage.client_container, "server")} >"$LOGS-server-0.log" 2>&1 &',
                 'SERVER=$!; PIDS+=("$SERVER")']
    if stage.with_sandbox:
        body += [f'{run(stage.sandbox_container or stage.client_container, "sandbox", sandbox=True)} '
                 f'>"$LOGS-sandbox.log" 2>&1 &', 'SANDBOX=$!; PIDS+=("$SANDBOX")']
    body += [f'{run(stage.client_container, "client")} &', "CLIENT=$!", wait_block("container")]
    return "\n".join(body) + "\n"


def wait_block(component: str) -> str:
    """Shell that waits for the first of client/server/sandbox (``$CLIENT``, ``$PIDS``) to end: USR1/TERM are
    forwarded to the client; a server/sandbox ``component`` (srun step or container) that ends first fails the
    job with its log tail, request lines left out (``utils.logtail``). Shared by sbatch and local job scripts;
    under the local executor ``<engine> run`` proxies the forwarded signals to the container's worker."""
    tail = (f"requests={shlex.quote(REQUEST_LINE)}\n"
            '  for f in "$LOGS"-server-*.log "$LOGS"-sandbox.log; do\n'
            '    [ -f "$f" ] || continue\n'
            '    echo "==> $f <=="\n'
            f'    tail -c {TAIL_BYTES} "$f" | grep -avE "$requests" | tail -n 40\n'
            f'    n=$(tail -c {TAIL_BYTES} "$f" | grep -acE "$requests")\n'
            '    [ "$n" -gt 0 ] && echo "($n request lines left out)"\n'
            '  done >&2')
    return _WAIT_BLOCK.replace("{component}", component).replace("{tail}", tail)


_WAIT_BLOCK = r"""trap 'kill -s USR1 "$CLIENT" 2>/dev/null' USR1
trap 'kill -s TERM "$CLIENT" 2>/dev/null' TERM
rc=0
while :; do
  ended=""
  if [ ${#PIDS[@]} -gt 0 ]; then wait -n -p ended "$CLIENT" "${PIDS[@]}"; else wait -n -p ended "$CLIENT"; fi
  rc=$?
  # a forwarded signal interrupted wait (bash unsets ended). NB: `wait -n` only sees a component that ends
  # while it waits; the client (srun/engine -> Python) is never done within the microseconds before it
  [ -z "${ended:-}" ] && continue
  if [ "$ended" = "$CLIENT" ]; then break; fi
  echo "nsl: a server/sandbox {component} exited (code $rc) before the client finished; last log lines:" >&2
  {tail}
  kill -s TERM "$CLIENT" 2>/dev/null; wait "$CLIENT" 2>/dev/null
  rc=1; break
done
for p in "${PIDS[@]}"; do kill -s TERM "$p" 2>/dev/null; done
wait
exit $rc"""
