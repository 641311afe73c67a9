"""What happens inside one run process of the sandbox worker (stdlib only; see worker.py).

The run is a fork of the worker: it gets fresh stdin/stdout/stderr files, default signal
dispositions, its own rlimits and no capabilities, then either execs a binary (C++ solutions,
g++) or executes Python in the forked interpreter: the solution and its tests as phases in a
fresh ``__main__``, or ``pytest.main`` on a KodCode-style test file. It reports on fd 3 one
JSON line per event; "ok" reports carry a per-run secret so a program cannot forge success by
writing to fd 3 and exiting.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys

NESTED_NS = os.environ.get("NSL_NESTED_NS", "1") == "1"
_libc = ctypes.CDLL(None, use_errno=True)
SYNTAX, EXITED_EARLY = "syntax_error", "exited_early"
sys.dont_write_bytecode = True

# Preload what solutions commonly import, so forked runs do not pay for it. pytest is imported
# on the first pytest request only: it doubles the cost of every fork.
import bisect, collections, functools, heapq, itertools, math, random, re, string, typing  # noqa: E401,E402,F401
pytest = None
# Bytes the worker's own imports added to its mapping (the pytest warm-up, numpy): a Python run forked
# after them gets these on top of its RLIMIT_AS, so its memory limit is what a cold worker's run has.
WARM_EXTRA_AS = 0


def mapped_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def preload_numpy(req: dict) -> None:
    """Import numpy in the worker once a Python run imports it (APPS/TACO's prelude does, before every
    test): forked runs then find it loaded instead of paying ~70 ms of CPU each (measured)."""
    global WARM_EXTRA_AS
    if "numpy" in sys.modules or req.get("kind") != "python":
        return
    if not any("import numpy" in src for _, _, src in req.get("phases") or ()):
        return
    before = mapped_bytes()
    try:
        import numpy  # noqa: F401
    except Exception:  # noqa: BLE001 - not installed: the run reports it
        return
    import gc
    gc.freeze()
    WARM_EXTRA_AS += max(0, mapped_bytes() - before)


def reseed() -> None:
    """Fresh seeds for the run (a fork would repeat the worker's random sequences)."""
    random.seed()
    np = sys.modules.get("numpy")
    if np is not None:
        try:
            np.random.seed()
        except Exception:  # noqa: BLE001
            pass


def load_pytest() -> None:
    global pytest
    if pytest is None:
        try:
            import pytest as _pytest
            pytest = _pytest
            import gc
            gc.freeze()
        except Exception:  # noqa: BLE001 - pytest runs then report a clear error
            pass


def set_limits(lim: dict) -> None:
    cpu = int(-(-lim["cpu"] // 1)) + 1  # backstop; the worker enforces the (fractional) limit
    pairs = [(resource.RLIMIT_CPU, cpu, cpu + 1), (resource.RLIMIT_AS, lim["mem"], lim["mem"]),
             (resource.RLIMIT_NPROC, lim["nproc"], lim["nproc"]),
             (resource.RLIMIT_FSIZE, lim["fsize"], lim["fsize"]),
             (resource.RLIMIT_NOFILE, lim["nofile"], lim["nofile"]), (resource.RLIMIT_CORE, 0, 0)]
    for what, soft, hard in pairs:
        try:
            resource.setrlimit(what, (soft, hard))
        except (ValueError, OSError):
            cur = resource.getrlimit(what)[1]  # cannot raise above the worker's hard limit
            resource.setrlimit(what, (min(soft, cur), cur))


def drop_caps() -> int:
    """Drop the capabilities the fresh user namespace handed us (harmless, but none are needed)."""
    hdr = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    return _libc.capset(hdr, data)


def fresh_main(argv0: str) -> object:
    """A Python run process's interpreter state (also the warm pytest worker's): text streams on fds 0-2,
    ``sys.argv``, the run dir first on ``sys.path``, and a fresh ``__main__`` (not the worker's globals)."""
    import builtins
    import types

    sys.stdin = open(0, "r", encoding="utf-8", errors="replace", closefd=False)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr
    sys.argv = [argv0]
    sys.path[0:0] = [os.getcwd()]  # as `python solution.py` / `python -m pytest` have it
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = builtins
    sys.modules["__main__"] = main
    return main


def _run_python(req: dict, status_fd: int, nonce: str) -> int:
    """Body of the run process for Python: execute phases in a fresh __main__, report status.
    Returns the exit code a plain ``python solution.py`` would have had."""
    def report(**kw: object) -> None:
        os.write(status_fd, (json.dumps(kw) + "\n").encode())

    main = fresh_main("solution.py")
    reseed()
    phase = "code"
    try:
        if req["kind"] == "pytest":
            code_obj = compile(req["files"]["solution.py"], "solution.py", "exec")
            del code_obj
            return _pytest_run(req, report, nonce)
        for phase, fname, src in req["phases"]:
            try:
                code_obj = compile(src, fname, "exec")
            except (SyntaxError, ValueError) as e:
                report(status=SYNTAX, phase=phase, exc=type(e).__name__, msg=str(e)[:500])
                return 1
            try:
                exec(code_obj, main.__dict__)
            except SystemExit as e:
                if e.code not in (None, 0):
                    raise
                if phase == "code" and len(req["phases"]) > 1:
                    report(status=EXITED_EARLY, phase=phase)
                    return 0
        if req.get("call"):
            main.__dict__[req["call"][0]](main.__dict__[req["call"][1]])
        report(status="ok", nonce=nonce)
        return 0
    except SyntaxError as e:
        report(status=SYNTAX, phase=phase, exc="SyntaxError", msg=str(e)[:500])
        return 1
    except BaseException as e:  # noqa: BLE001 - everything the program raises is its verdict
        import traceback
        traceback.print_exc()
        report(status="exception", phase=phase, exc=type(e).__name__, msg=str(e)[:500])
        if isinstance(e, SystemExit):
            return e.code if isinstance(e.code, int) else 1
        return 1
    finally:
        flush_std()


def flush_std() -> None:
    """Flush the run's stdout/stderr before it reports (a closed or broken stream is ignored)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001
            pass


def _pytest_run(req: dict, report, nonce: str) -> int:
    if pytest is None:
        report(status="exception", phase="setup", exc="ImportError", msg="pytest missing in sandbox")
        return 1
    outcomes: list[dict] = []

    class Collector:
        def pytest_runtest_logreport(self, report):  # noqa: ANN001
            if report.when == "call" or report.outcome != "passed":
                outcomes.append({"name": report.nodeid, "when": report.when, "outcome": report.outcome})

        def pytest_collectreport(self, report):  # noqa: ANN001
            if report.outcome == "failed":
                outcomes.append({"name": report.nodeid, "when": "collect", "outcome": "error"})

    args = ["-q", "-p", "no:cacheprovider"] + (["-x"] if req.get("stop") else []) + ["test_solution.py"]
    rc = int(pytest.main(args, plugins=[Collector()]))
    report(status="pytest", rc=rc, outcomes=outcomes, nonce=nonce)
    return rc


def enter_run(rundir: str, status_w: int, limits: dict, *, binary: bool = False) -> None:
    """A run process's set-up (also the warm pytest worker's): fresh fds (status on fd 3), default signals,
    limits, no capabilities."""
    os.chdir(rundir)
    fin = os.open("stdin", os.O_RDONLY)
    fout = os.open("stdout", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    ferr = os.open("stderr", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    for src, dst in ((fin, 0), (fout, 1), (ferr, 2)):
        os.dup2(src, dst)
    os.dup2(status_w, 3)
    os.closerange(4, 1 << 16)
    for sig in (signal.SIGPIPE, signal.SIGXCPU, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if binary:  # binaries: default dispositions (SIGXFSZ kills on huge output)
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    set_limits(limits)
    if NESTED_NS and drop_caps() != 0:
        raise OSError("could not drop capabilities; refusing to run")


def run_child(req: dict, rundir: str, status_w: int, nonce: str) -> int:
    """The run process: set up (``enter_run``), then the program."""
    limits = req["limits"]
    if req["kind"] != "exec" and WARM_EXTRA_AS:  # exec replaces the mapping: its limit is its own
        limits = {**limits, "mem": limits["mem"] + WARM_EXTRA_AS}
    enter_run(rundir, status_w, limits, binary=req["kind"] == "exec")
    if req["kind"] == "exec":
        env = {"PATH": "/usr/bin:/bin", "HOME": rundir, "LANG": "C.UTF-8", "TMPDIR": rundir}
        os.execve(req["argv"][0], req["argv"], env)
    return _run_python(req, 3, nonce)
