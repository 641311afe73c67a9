"""How a sandbox worker is started: unprivileged uid, host rlimits, bubblewrap namespaces.

Facts this relies on (see docs/sandbox.md): bwrap run as root keeps every capability inside, so
we first drop to an unprivileged uid with setpriv (one uid per worker: RLIMIT_NPROC counts per
uid); root cannot raise hard rlimits, only lower them; ``--unshare-all`` removes the network.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
WORKER_FILES = ("worker.py", "harness.py", "pytest_warm.py", "missing_module.py")  # runs inside the sandbox (stdlib only)
DEFAULT_PYTHON = os.environ.get("NSL_SANDBOX_PYTHON", "/opt/nsl/sandbox-venv/bin/python")
UID_BASE = int(os.environ.get("NSL_SANDBOX_UID_BASE", "61000"))
UID_COUNT = 1000
LOCK_DIR = Path(os.environ.get("NSL_SANDBOX_LOCK_DIR", "/tmp/nsl-sandbox-uids"))


# One thread per numeric library: BLAS/OpenMP pools sized to the host's cores would hit the worker
# uid's RLIMIT_NPROC on a big node and multiply memory; matplotlib draws off-screen.
SANDBOX_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "NUMEXPR_MAX_THREADS": "1", "MPLBACKEND": "Agg"}


class SandboxUnavailable(RuntimeError):
    """Real isolation cannot be set up here (and unisolated mode was not explicitly allowed)."""


@dataclass(frozen=True)
class IsolationConfig:
    python: str = DEFAULT_PYTHON   # interpreter inside the sandbox (world-readable path)
    tmp_size_mb: int = 512         # size cap of the worker's private /tmp
    max_processes: int = 64        # host RLIMIT_NPROC of the worker uid
    memory_cap_mb: int = 8192      # host RLIMIT_AS ceiling of the worker (runs set lower)
    allow_unisolated: bool = False  # run without bwrap/uid separation (warns); never the default
    pytest_warm: bool = True       # pytest rows: preload pytest's plugins + sandbox packages (pytest_warm.py)


def bwrap_path() -> str | None:
    return shutil.which("bwrap", path="/usr/bin:/bin:/usr/local/bin")


def isolation_problem(cfg: IsolationConfig) -> str | None:
    """Why real isolation is not possible here, or None when it is."""
    if bwrap_path() is None:
        return "bubblewrap (bwrap) is not installed (apt-get install bubblewrap)"
    if not os.access(cfg.python, os.X_OK):
        return f"sandbox interpreter {cfg.python} is missing (run scripts/install.d/20-sandbox.sh)"
    return None


class UidLease:
    """An exclusive lease on one sandbox uid, held through a lock file for the worker's life.
    Different pools (tests, the service, the CLI) on one host never share a uid."""

    def __init__(self) -> None:
        LOCK_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        start = os.getpid() % UID_COUNT
        for i in range(UID_COUNT):
            uid = UID_BASE + (start + i) % UID_COUNT
            fd = os.open(LOCK_DIR / f"{uid}.lock", os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            return
        raise SandboxUnavailable(f"all sandbox uids {UID_BASE}..{UID_BASE + UID_COUNT - 1} are in use")

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def staged_worker_dir() -> str:
    """A read-only copy of worker.py + harness.py that the sandbox uids can read even when the
    checkout is not traversable for them (e.g. a clone under root's mode-700 home):
    /tmp/nsl-sandbox-<euid>/<hash>/, owned by us and writable by no one else."""
    import hashlib
    import tempfile

    files = {name: WORKER_SCRIPT.with_name(name).read_bytes() for name in WORKER_FILES}
    digest = hashlib.sha256(b"".join(files[n] for n in WORKER_FILES)).hexdigest()[:16]
    stage = Path(tempfile.gettempdir()) / f"nsl-sandbox-{os.geteuid()}"
    stage.mkdir(mode=0o755, exist_ok=True)
    st = stage.stat()
    if st.st_uid != os.geteuid() or st.st_mode & 0o022:
        raise SandboxUnavailable(f"{stage} is not owned by us or is writable by others; remove it")
    target = stage / digest
    if not target.is_dir():
        tmp = Path(tempfile.mkdtemp(dir=stage, prefix=".tmp-"))
        for name, data in files.items():
            (tmp / name).write_bytes(data)
            (tmp / name).chmod(0o644)
        tmp.chmod(0o755)
        try:
            os.rename(tmp, target)
        except OSError:  # another process staged the same version first
            shutil.rmtree(tmp, ignore_errors=True)
    return str(target)


def bwrap_args(cfg: IsolationConfig, extra_ro_binds: tuple[tuple[str, str], ...] = ()) -> list[str]:
    """bubblewrap arguments: read-only system and root, no home, no network, private capped /tmp
    (the only writable place)."""
    args = [bwrap_path() or "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
            "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
            "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin",
            "--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache",
            "--ro-bind", "/etc/alternatives", "/etc/alternatives",
            "--proc", "/proc", "--dev", "/dev",
            "--size", str(cfg.tmp_size_mb << 20), "--tmpfs", "/tmp",
            "--ro-bind", staged_worker_dir(), "/sandbox"]
    venv = Path(cfg.python).parent.parent
    if not str(venv).startswith("/usr"):
        args += ["--ro-bind", str(venv), str(venv)]
    for src, dst in extra_ro_binds:
        args += ["--ro-bind", src, dst]
    args += ["--remount-ro", "/", "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp",
             "--setenv", "LANG", "C.UTF-8", "--chdir", "/tmp"]
    for key, val in {**SANDBOX_ENV, "NSL_PYTEST_WARM": "1" if cfg.pytest_warm else "0"}.items():
        args += ["--setenv", key, val]
    return args


def worker_command(cfg: IsolationConfig, uid: int | None) -> tuple[list[str], dict[str, str] | None]:
    """The full command line of one worker and its environment (None = inherit)."""
    if cfg.allow_unisolated:
        return [sys.executable, "-I", str(WORKER_SCRIPT)], {
            "PATH": "/usr/bin:/bin", "NSL_NESTED_NS": "0", "NSL_SCRATCH": _unisolated_scratch(), **SANDBOX_ENV,
            "NSL_PYTEST_WARM": "1" if cfg.pytest_warm else "0"}
    problem = isolation_problem(cfg)
    if problem:
        raise SandboxUnavailable(f"{problem}; refusing to run untrusted code without isolation "
                                 "(pass allow_unisolated=True / --allow-unisolated only for trusted code)")
    cmd = bwrap_args(cfg) + [cfg.python, "-I", "/sandbox/worker.py"]
    if os.geteuid() == 0 and uid is not None:
        cmd = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
               "--inh-caps=-all", "--"] + cmd
    return cmd, None


def _unisolated_scratch() -> str:
    import tempfile
    warnings.warn("code runs WITHOUT isolation (no bubblewrap, no separate uid): only for trusted code",
                  RuntimeWarning, stacklevel=3)
    return tempfile.mkdtemp(prefix="nsl-unisolated-")


def host_rlimits(cfg: IsolationConfig) -> None:
    """preexec_fn: ceilings for the whole worker (runs set tighter ones). Lowering is allowed
    even without CAP_SYS_RESOURCE."""
    import resource

    for what, val in ((resource.RLIMIT_NPROC, cfg.max_processes), (resource.RLIMIT_AS, cfg.memory_cap_mb << 20),
                      (resource.RLIMIT_CORE, 0)):
        soft, hard = resource.getrlimit(what)
        new = val if hard == resource.RLIM_INFINITY else min(val, hard)
        resource.setrlimit(what, (new, new))
