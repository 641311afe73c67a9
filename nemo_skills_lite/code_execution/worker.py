"""The long-lived worker that runs INSIDE the sandbox (stdlib only; started by ``pool.py``).

It is already isolated (own unprivileged uid, bubblewrap namespaces, rlimits). At start it
enters a fresh user+pid namespace and becomes its init (pid 1). Every execution is a fork (the
*run*) with fresh stdin/stdout/stderr files in its own scratch dir, its own rlimits (CPU, address
space, processes, file size, open files) and no capabilities. The run cannot signal or trace
the worker (init ignores signals from inside its namespace; the worker is non-dumpable and the
run holds no capabilities), and after each run the worker kills every other process in the
namespace (daemons included) and reaps them, so nothing survives into the next run. What
happens inside the run process is in harness.py; pytest rows (KodCode trials) run in the warm
pytest worker of pytest_warm.py (pytest and the sandbox packages imported once, on the first such row).

Protocol: one JSON request per line on stdin, one JSON reply per line on stdout.
  {"op": "run", "kind": "python"|"pytest"|"exec", ...}  -> run result
  {"op": "reset"}                                          -> wipe the scratch area
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import select
import shutil
import signal
import sys
import time

SCRATCH = os.environ.get("NSL_SCRATCH", "/tmp")
NESTED_NS = os.environ.get("NSL_NESTED_NS", "1") == "1"
_libc = ctypes.CDLL(None, use_errno=True)
_CLONE_NEWUSER, _CLONE_NEWPID = 0x10000000, 0x20000000
_PR_SET_DUMPABLE = 4
JOBDIR = os.path.join(SCRATCH, "job")  # artifacts of the current solution (e.g. its binary)
WALL_CAP = 5  # hard wall-clock cap, in multiples of the wall limit (see _watch)
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves out the script's dir
from harness import drop_caps, preload_numpy, run_child  # noqa: E402
import pytest_warm  # noqa: E402

def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def _read_capped(path: str, cap: int) -> tuple[str, bool]:
    try:
        with open(path, "rb") as f:
            data = f.read(cap + 1)
    except OSError:
        return "", False
    return data[:cap].decode("utf-8", "replace"), len(data) > cap


def _enter_namespaces() -> None:
    uid, gid = os.getuid(), os.getgid()
    _libc.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0)  # /proc/self/*_map belong to root while non-dumpable
    if _libc.unshare(_CLONE_NEWUSER | _CLONE_NEWPID) != 0:
        raise OSError(ctypes.get_errno(), "unshare(user|pid) failed")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")
    _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


def _cpu_seconds(pid: int) -> float:
    """CPU time of a process in our pid namespace (its process CPU clock)."""
    clk = ctypes.c_int()
    if _libc.clock_getcpuclockid(pid, ctypes.byref(clk)) != 0:
        return 0.0
    try:
        return time.clock_gettime(clk.value)
    except OSError:
        return 0.0


def _run_delay(proc_pid: int | None) -> float:
    """Seconds the run spent runnable but waiting for a CPU (/proc/PID/schedstat, 2nd field)."""
    if proc_pid is None:
        return 0.0
    try:
        with open(f"/proc/{proc_pid}/schedstat", "rb") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


_TICK = os.sysconf("SC_CLK_TCK")
_OWN_PROC_PIDS: set[str] = set()  # bwrap's init, our stub and us, as /proc numbers them


def _tree_cpu_seconds() -> float:
    """CPU time of everything the current run started: all processes in /proc (the sandbox's
    pid namespace) except bwrap's init, our stub and ourselves (utime+stime+cutime+cstime)."""
    total = 0
    for name in os.listdir("/proc"):
        if not name.isdigit() or name in _OWN_PROC_PIDS:
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15])
        except (OSError, IndexError, ValueError):
            continue
    return total / _TICK


def _watch(pid: int, lim: dict, status_r: int, t0: float) -> tuple[bool, bytes]:
    """Wait for the run while reading its status pipe. Returns (stopped, status bytes); stopped
    means the run exceeded its CPU limit (which may be fractional) or the wall-clock backstop.
    The CPU limit counts the whole process tree of the run (a fork bomb's children too). The
    backstop does not count time the run spent waiting for a CPU, so a loaded machine does
    not turn a slow-to-schedule run into a timeout (up to WALL_CAP times the wall limit). RLIMIT_CPU
    (whole seconds, set a second above) stays as a second line of defence."""
    pidfd = os.pidfd_open(pid)
    step = max(0.01, min(0.1, lim["cpu"] / 10))
    status = bytearray()
    proc_pid: int | None = None
    os.set_blocking(status_r, False)
    watch = [pidfd, status_r]
    try:
        while True:
            elapsed = time.monotonic() - t0
            if elapsed - _run_delay(proc_pid) > lim["wall"] or elapsed > WALL_CAP * lim["wall"]:
                return True, bytes(status)
            ready = select.select(watch, [], [], step)[0]
            if status_r in ready:
                try:
                    chunk = os.read(status_r, 65536)
                except BlockingIOError:
                    chunk = b"x"
                if not chunk:
                    watch.remove(status_r)
                elif len(status) < (1 << 20):
                    status += chunk
                if proc_pid is None and status.startswith(b"P") and b"\n" in status:
                    first, _, _ = bytes(status).partition(b"\n")
                    proc_pid = int(first[1:]) if first[1:].isdigit() else 0
            if pidfd in ready:
                return False, bytes(status)
            if _cpu_seconds(pid) > lim["cpu"]:
                return True, bytes(status)
            if _OWN_PROC_PIDS and elapsed > 0.2 and _tree_cpu_seconds() > lim["cpu"]:  # e.g. fork bombs
                return True, bytes(status)
    finally:
        os.close(pidfd)


def _kill_leftovers(run_pid: int) -> None:
    """Kill and reap everything the run left behind. As pid 1 of our namespace, kill(-1) reaches
    every other process in it atomically (no fork can race it); unisolated, only the run's group."""
    try:
        if os.getpid() == 1:
            os.kill(-1, signal.SIGKILL)
        elif not NESTED_NS:
            os.killpg(run_pid, signal.SIGKILL)
    except OSError:
        pass
    if os.getpid() == 1:
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                return


def _wipe(path: str, keep: tuple[str, ...] = ()) -> None:
    for name in os.listdir(path):
        if name in keep:
            continue
        full = os.path.join(path, name)
        if os.path.isdir(full) and not os.path.islink(full):
            for root, dirs, _ in os.walk(full):
                for d in dirs:
                    try:
                        os.chmod(os.path.join(root, d), 0o700)
                    except OSError:
                        pass
            shutil.rmtree(full, ignore_errors=True)
        else:
            try:
                os.unlink(full)
            except OSError:
                pass


def _parse_status(raw: bytes, nonce: str) -> dict | None:
    """The run's last well-formed report; "ok"/"pytest" reports count only with the secret nonce."""
    status = None
    for line in raw.decode("utf-8", "replace").splitlines():
        try:
            cand = json.loads(line)
        except ValueError:
            continue
        if not isinstance(cand, dict):
            continue
        if cand.get("status") in ("ok", "pytest") and cand.get("nonce") != nonce:
            continue
        status = cand
    return status


def run(req: dict, seq: int) -> dict:
    rundir = os.path.join(SCRATCH, pytest_warm.RUNDIR if req.get("kind") == "pytest" else f"run{seq}")
    os.makedirs(rundir, mode=0o700)
    _write(os.path.join(rundir, "stdin"), req.get("stdin") or "")
    for name, text in (req.get("files") or {}).items():
        _write(os.path.join(rundir, name), text)
    nonce = secrets.token_hex(16)
    status_r, status_w = os.pipe()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            os.close(status_r)
            if not NESTED_NS:
                os.setsid()
            # our pid as /proc sees it (the worker's pid namespace is nested below /proc's)
            os.write(status_w, b"P" + os.readlink("/proc/self").encode() + b"\n")
            child = pytest_warm.run_child if req.get("kind") == "pytest" else run_child
            code = child(req, rundir, status_w, nonce)
        except BaseException:  # noqa: BLE001 - e.g. exec of a missing binary
            import traceback
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(status_w)
    stopped, status_raw = _watch(pid, req["limits"], status_r, t0)
    if stopped:
        os.kill(pid, signal.SIGKILL)
    _, wstatus, ru = os.wait4(pid, 0)
    _kill_leftovers(pid)
    try:
        while len(status_raw) < (1 << 20) and (chunk := os.read(status_r, 65536)):
            status_raw += chunk
    except BlockingIOError:
        pass
    os.close(status_r)
    cap = req["limits"]["output"]
    result = {"wall": time.monotonic() - t0, "cpu": ru.ru_utime + ru.ru_stime, "timed_out": stopped,
              "exit": os.WEXITSTATUS(wstatus) if os.WIFEXITED(wstatus) else None,
              "signal": os.WTERMSIG(wstatus) if os.WIFSIGNALED(wstatus) else None,
              "status": _parse_status(status_raw, nonce)}
    result["stdout"], result["stdout_truncated"] = _read_capped(os.path.join(rundir, "stdout"), cap)
    result["stderr"], _ = _read_capped(os.path.join(rundir, "stderr"), 4096)
    _wipe(SCRATCH, keep=("job",) if req.get("keep_job") else ())  # a compiled solution stays for its tests
    os.makedirs(JOBDIR, mode=0o700, exist_ok=True)
    if os.access("/dev/shm", os.W_OK):
        _wipe("/dev/shm")
    return result


def _become_init() -> None:
    """Enter a fresh user+pid namespace and continue as its pid 1; the original process stays
    behind only to pass on our exit status."""
    _enter_namespaces()
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # as init, ignore what a run might send
        if drop_caps() != 0:  # the new namespace gave us capabilities we do not need
            os._exit(71)
        return
    os.close(0)
    os.close(1)
    _, status = os.waitpid(pid, 0)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def main() -> None:
    if NESTED_NS:
        _become_init()
        with open("/proc/self/stat", "rb") as f:
            stub = f.read().rsplit(b")", 1)[1].split()[1].decode()
        _OWN_PROC_PIDS.update({"1", stub, os.readlink("/proc/self")})
    try:
        _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)  # runs may not ptrace or read our memory
    except Exception:  # noqa: BLE001
        pass
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    out.write((json.dumps({"ready": True, "python": sys.version.split()[0], "uid": os.getuid(),
                           "nested_ns": NESTED_NS}) + "\n").encode())
    out.flush()
    os.makedirs(JOBDIR, mode=0o700, exist_ok=True)
    import gc
    gc.freeze()  # forked runs do not touch (copy) the worker's objects for GC bookkeeping
    seq = 0
    for line in inp:
        req = json.loads(line)
        seq += 1
        try:
            if req["op"] == "reset":
                _wipe(SCRATCH)
                os.makedirs(JOBDIR, mode=0o700)
                reply = {"ok": True}
            else:
                if req.get("kind") == "pytest":
                    pytest_warm.warm_up(SCRATCH)
                preload_numpy(req)
                reply = run(req, seq)
        except Exception as e:  # noqa: BLE001 - reported, the worker stays up
            reply = {"infra_error": repr(e)}
        out.write((json.dumps(reply) + "\n").encode())
        out.flush()


if __name__ == "__main__":
    main()
