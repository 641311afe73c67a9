"""Per-call time limits for pure functions that may hang (symbolic math on hostile input).

Two guards, chosen per call:

- ``signal``: ``setitimer`` + SIGALRM around the whole call. Cheapest, but only in the main thread
  of the main interpreter, and it cannot interrupt a long C-level computation.
- ``process``: the call runs in a long-lived worker process (a small pool of ``python -m`` children
  with the grader already imported). The caller waits at most ``timeout`` seconds;
  a worker that overruns is killed and replaced. Works from any thread, in thread pools and in
  asyncio executors, and bounds C-level hangs too. Inside the worker a signal guard set slightly
  below the limit usually stops the call cleanly, so a kill (and respawn) is rare.

``guarded_call(fn, args, timeout=..., guard="auto")`` returns ``(status, value)`` where status is
``"ok"``, ``"timeout"`` or ``"error"``. ``auto`` uses the process guard. Functions must be
module-level (they are sent to workers by qualified name).
"""

from __future__ import annotations

import atexit
import importlib
import os
import signal
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from typing import Any, Callable, Literal

Guard = Literal["auto", "signal", "process", "none"]
GUARDS = ("auto", "signal", "process", "none")
STARTUP_TIMEOUT = 120.0  # importing sympy on a loaded 2-core box can take a while
SOFT_FRACTION = 0.9  # the worker stops itself at 90% of the limit; the parent kills at 100%
PRELOAD = ["nemo_skills_lite.evaluation.math_grader"]


class _Alarm(BaseException):
    """Raised by the SIGALRM handler; a BaseException so library ``except Exception`` can't eat it."""


def in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def call_with_signal(fn: Callable[..., Any], args: tuple, timeout: float) -> tuple[str, Any]:
    """Run ``fn(*args)`` under an interval timer. Main thread only."""
    if not in_main_thread():
        raise RuntimeError("the signal guard works only in the main thread; use guard='process'")
    old_handler = signal.getsignal(signal.SIGALRM)

    def _raise(signum: int, frame: Any) -> None:
        raise _Alarm()

    signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, max(timeout, 1e-3))
    try:
        return "ok", fn(*args)
    except _Alarm:
        return "timeout", None
    except Exception as e:  # noqa: BLE001 - grading errors are a verdict, not a crash
        return "error", f"{type(e).__name__}: {e}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)


def _resolve(qualname: str) -> Callable[..., Any]:
    module, _, name = qualname.rpartition(".")
    return getattr(importlib.import_module(module), name)


def serve(conn_in: Connection, conn_out: Connection) -> None:
    """Worker loop (run by ``python -m nemo_skills_lite.evaluation.timeout_guard``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for module in PRELOAD:
        importlib.import_module(module)
        warm = getattr(sys.modules[module], "warm_up", None)
        if callable(warm):
            warm()
    conn_out.send("ready")  # the parent starts the clock only after imports are done
    while True:
        try:
            msg = conn_in.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        qualname, args, timeout = msg
        try:
            fn = _resolve(qualname)
        except Exception as e:  # noqa: BLE001
            conn_out.send(("error", f"cannot import {qualname}: {e}"))
            continue
        try:
            result = call_with_signal(fn, args, timeout * SOFT_FRACTION)
        except _Alarm:  # fired in the instant between the call's end and disarming the timer
            result = ("timeout", None)
        conn_out.send(result)


class _Worker:
    """A ``python -m`` child talking over two pipes. A plain subprocess, not multiprocessing, so a
    caller's script without an ``if __name__ == "__main__"`` guard is never re-imported."""

    def __init__(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", __name__, str(to_child_r), str(from_child_w)],
            pass_fds=(to_child_r, from_child_w), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self.send_conn = Connection(to_child_w, readable=False)
        self.recv_conn = Connection(from_child_r, writable=False)
        if not self.recv_conn.poll(STARTUP_TIMEOUT) or self.recv_conn.recv() != "ready":
            self.kill()
            raise RuntimeError(f"grader worker did not start within {STARTUP_TIMEOUT:.0f}s")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def call(self, qualname: str, args: tuple, timeout: float) -> tuple[str, Any] | None:
        """Result, or None if the worker overran (the caller then discards this worker)."""
        try:
            self.send_conn.send((qualname, args, timeout))
            if self.recv_conn.poll(timeout):
                return self.recv_conn.recv()
        except (EOFError, OSError):
            return ("error", "grader worker died")
        return None

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(5)
        self.send_conn.close()
        self.recv_conn.close()

    def stop(self) -> None:
        try:
            self.send_conn.send(None)
            self.proc.wait(2)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(2)
        self.send_conn.close()
        self.recv_conn.close()


class WorkerPool:
    """Idle workers shared by all threads of this process; grows on demand up to ``max_workers``
    busy at once (extra callers wait for a free worker)."""

    def __init__(self, max_workers: int | None = None) -> None:
        self.max_workers = max_workers or max(2, os.cpu_count() or 2)
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.max_workers)
        self.kills = 0  # workers killed after overrunning their limit (for reports and tests)

    def call(self, qualname: str, args: tuple, timeout: float) -> tuple[str, Any]:
        with self._slots:
            with self._lock:
                worker = self._idle.pop() if self._idle else None
            if worker is None or not worker.alive():
                worker = _Worker()
            result = worker.call(qualname, args, timeout)
            if result is None:
                worker.kill()
                with self._lock:
                    self.kills += 1
                return "timeout", None
            with self._lock:
                self._idle.append(worker)
            return result

    def warm(self, n: int) -> None:
        """Start ``n`` workers now so the first graded pairs don't pay the start-up."""
        new = [_Worker() for _ in range(min(n, self.max_workers))]
        with self._lock:
            self._idle.extend(new)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for w in idle:
            w.stop()


_POOL: WorkerPool | None = None
_POOL_LOCK = threading.Lock()


def default_pool() -> WorkerPool:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = WorkerPool()
            atexit.register(_POOL.close)
        return _POOL


def guarded_call(fn: Callable[..., Any], args: tuple, *, timeout: float | None,
                 guard: Guard = "auto", pool: WorkerPool | None = None) -> tuple[str, Any]:
    """Run a module-level ``fn(*args)`` with a wall-clock limit; see the module docstring."""
    if guard not in GUARDS:
        raise ValueError(f"guard must be one of {', '.join(GUARDS)}, got {guard!r}")
    if guard == "none" or timeout is None or timeout <= 0:
        try:
            return "ok", fn(*args)
        except Exception as e:  # noqa: BLE001
            return "error", f"{type(e).__name__}: {e}"
    if guard == "signal":
        for module in PRELOAD:  # imports are not part of the pair's time
            warm = getattr(importlib.import_module(module), "warm_up", None)
            if callable(warm):
                warm()
        return call_with_signal(fn, args, timeout)
    qualname = f"{fn.__module__}.{fn.__name__}"
    return (pool or default_pool()).call(qualname, args, timeout)


if __name__ == "__main__":
    _in, _out = int(sys.argv[1]), int(sys.argv[2])
    os.dup2(2, 1)  # stray prints from libraries go to stderr, never into the result pipe
    serve(Connection(_in, writable=False), Connection(_out, readable=False))
