"""The warm pytest worker: pytest rows (KodCode trials) inside the sandbox worker (stdlib only).

Plain ``python -m pytest`` per trial pays an interpreter start, pytest's imports and plugin loading,
and the imports of what the test uses (pandas alone is ~0.5 s) on every row. Here the sandbox worker,
on its first pytest row, imports pytest with all its built-in plugins and the sandbox packages
(``PRELOAD``), runs pytest once on a throw-away file so every lazy import and cache pytest fills on a
first run is filled, builds pytest's ``Config`` once (argument parsing, plugins, entry points) for the
fixed run directory, and freezes the heap. Every trial is then a fork of that worker with the same
isolation as any other run (worker.py: uid, rlimits, namespaces, fresh scratch dir) that sets up output
capture with its own fds and runs pytest's main loop with its copy of the ``Config``: it costs a fork,
collection and the tests themselves.

What a run sees is what plain pytest would: the same arguments, rootdir, node ids, plugins and
capture; the preloaded modules are the state right after their import (each run is a fork of the
worker, never of a previous run); the random generators (``random``, numpy's global one) are
reseeded per run; the address-space limit is counted on top of what the worker had mapped before the
run, so the row's ``memory_limit_mb`` is for the program's own use as in a fresh process. Without a
prepared ``Config`` (``IsolationConfig(pytest_warm=False)``, or if preparing failed) a run calls
``pytest.main`` as before.

The run reports ``{"status": "pytest", "rc", "outcomes", "missing", "path"}``: ``missing`` lists modules that
failed to import and are not installed (``missing_module.py``), seen by pytest's
``pytest_exception_interact`` hook (collection errors and failed tests alike).
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import sys
import tempfile

# flat imports: this file runs from the staged worker dir, next to these (see isolation.WORKER_FILES)
import harness
from harness import enter_run, fresh_main
from missing_module import from_exception

# What generated tests import most (docs/sandbox.md); each is imported once per worker, if installed.
PRELOAD = ("numpy", "pandas", "scipy", "scipy.sparse", "scipy.optimize", "scipy.stats", "scipy.special",
           "scipy.integrate", "scipy.linalg", "sympy", "networkx", "sortedcontainers", "sklearn",
           "sklearn.base", "sklearn.utils", "sklearn.linear_model", "sklearn.cluster", "sklearn.preprocessing",
           "sklearn.model_selection", "sklearn.metrics", "matplotlib", "matplotlib.pyplot")
ARGS = ["-q", "-p", "no:cacheprovider", "test_solution.py"]  # as KodCode runs a trial (+ "-x" with stop)
RUNDIR = "pytest"  # the run directory of every pytest row, under the scratch dir (the prepared config's)
_WARMUP_TEST = '''import pytest

@pytest.fixture
def one():
    return 1

@pytest.mark.parametrize("a", [1, 2])
def test_param(one, a):
    assert one + a > 1

class TestGroup:
    def test_raises(self):
        with pytest.raises(ValueError):
            int("x")

def test_fails(capsys):
    print("out")
    assert [1, 2] == [1, 3]
'''
pytest = None
_baseline_as = 0  # bytes mapped by the warm worker itself (added to each run's RLIMIT_AS)
_prepared = None  # (Config, assertion-rewrite hook) made once in the worker; each run uses its own copy (fork)


def warm_up(scratch: str) -> None:
    """Once per worker: import pytest, its plugins and the packages; run pytest once; freeze the heap."""
    global pytest, _baseline_as
    if pytest is not None:
        return
    before = harness.mapped_bytes()
    try:
        import pytest as _pytest
        from _pytest.config import default_plugins, essential_plugins
    except Exception:  # noqa: BLE001 - pytest runs then report a clear error
        return
    if os.environ.get("NSL_PYTEST_WARM", "1") == "0":  # IsolationConfig(pytest_warm=False): pytest only
        pytest = _pytest
        gc.freeze()
        harness.WARM_EXTRA_AS += max(0, harness.mapped_bytes() - before)
        return
    for name in essential_plugins + default_plugins:
        try:
            importlib.import_module("_pytest." + name)
        except Exception:  # noqa: BLE001 - e.g. a plugin of a newer pytest
            pass
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - not installed: a run importing it reports missing_module
            pass
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    _warm_run(_pytest, scratch)
    pytest = _pytest
    _prepare(scratch)
    gc.collect()
    gc.freeze()
    _baseline_as = harness.mapped_bytes()
    harness.WARM_EXTRA_AS += max(0, _baseline_as - before)  # stdin/assert runs forked after this


def _warm_run(_pytest, scratch: str) -> None:
    """One real pytest run in the worker itself, with its output thrown away and its traces removed."""
    saved_fds = [os.dup(fd) for fd in (0, 1, 2)]
    saved_path, saved_modules, cwd = list(sys.path), set(sys.modules), os.getcwd()
    d = tempfile.mkdtemp(dir=scratch, prefix="warmup-")
    try:
        with open(os.path.join(d, "test_nsl_warmup.py"), "w") as f:
            f.write(_WARMUP_TEST)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
        os.chdir(d)
        _pytest.main(["-q", "-p", "no:cacheprovider", "test_nsl_warmup.py"])
    except BaseException:  # noqa: BLE001 - a failed warm-up only costs speed
        pass
    finally:
        for fd, saved in zip((0, 1, 2), saved_fds):
            os.dup2(saved, fd)
            os.close(saved)
        os.chdir(cwd)
        sys.path[:] = saved_path
        for name in set(sys.modules) - saved_modules:
            if name.startswith(("test_nsl_warmup", "conftest")):
                del sys.modules[name]
        import shutil
        shutil.rmtree(d, ignore_errors=True)


def _prepare(scratch: str) -> None:
    """Parse the command line, load the plugins and build the Config once, in the worker, for the
    fixed run directory (so rootdir and node ids are what plain pytest gives). Capture is set up
    per run (``_start_capture``): made here, its saved fds would be the worker's own pipes."""
    global _prepared
    from _pytest.config import _prepareconfig

    rundir = os.path.join(scratch, RUNDIR)
    cwd, saved_env = os.getcwd(), os.environ.get("PYTEST_ADDOPTS")
    meta_path = list(sys.meta_path)
    try:
        os.makedirs(rundir, exist_ok=True)
        os.chdir(rundir)
        os.environ["PYTEST_ADDOPTS"] = "--capture=no"  # not in the invocation args
        config = _prepareconfig(list(ARGS), None)
        hooks = [h for h in sys.meta_path if h not in meta_path]
        _prepared = (config, hooks)
    except BaseException:  # noqa: BLE001 - runs then call pytest.main as plain pytest does
        _prepared = None
    finally:
        sys.meta_path[:] = meta_path  # the rewrite hook goes back in per run
        if saved_env is None:
            os.environ.pop("PYTEST_ADDOPTS", None)
        else:
            os.environ["PYTEST_ADDOPTS"] = saved_env
        os.chdir(cwd)
        import shutil
        shutil.rmtree(rundir, ignore_errors=True)


def _start_capture(config) -> None:  # noqa: ANN001
    """What pytest's capture plugin does while loading the initial conftests, with this run's fds."""
    from _pytest.capture import CaptureManager

    pm = config.pluginmanager
    old = pm.get_plugin("capturemanager")
    if old is not None:
        pm.unregister(old, "capturemanager")
    config.option.capture = config.known_args_namespace.capture = "fd"
    capman = CaptureManager("fd")
    pm.register(capman, "capturemanager")
    config.add_cleanup(capman.stop_global_capturing)
    capman.start_global_capturing()
    capman.suspend_global_capture()


def _main_prepared(stop: bool, collector: "_Collector") -> int:
    """``pytest.main`` with the Config made in the worker (this process is a fork: the copy is ours)."""
    config, hooks = _prepared
    os.environ["PYTEST_VERSION"] = pytest.__version__
    sys.meta_path[0:0] = hooks
    config.pluginmanager.register(collector, "nsl-collector")
    if stop:
        config.option.maxfail = 1
    try:
        _start_capture(config)
        ret = config.hook.pytest_cmdline_main(config=config)
        try:
            return int(pytest.ExitCode(ret))
        except ValueError:
            return int(ret)
    finally:
        config._ensure_unconfigure()


class _Collector:
    """Per-test outcomes (same shape as before) and the modules whose import failed."""

    def __init__(self) -> None:
        self.outcomes: list[dict] = []
        self.missing: list[str] = []

    def pytest_runtest_logreport(self, report):  # noqa: ANN001
        if report.when == "call" or report.outcome != "passed":
            self.outcomes.append({"name": report.nodeid, "when": report.when, "outcome": report.outcome})

    def pytest_collectreport(self, report):  # noqa: ANN001
        if report.outcome == "failed":
            self.outcomes.append({"name": report.nodeid, "when": "collect", "outcome": "error"})

    def pytest_exception_interact(self, node, call, report):  # noqa: ANN001
        name = from_exception(call.excinfo.value if call.excinfo else None)
        if name and name not in self.missing:
            self.missing.append(name)


def run_child(req: dict, rundir: str, status_w: int, nonce: str) -> int:
    """The pytest run process: the run set-up every sandboxed program gets (``harness.enter_run``), then pytest."""
    enter_run(rundir, status_w, run_limits(req["limits"]))
    return run(req, 3, nonce)


def run(req: dict, status_fd: int, nonce: str) -> int:
    """Body of a pytest run process: solution syntax check, then ``pytest.main`` with our collector."""
    def report(**kw: object) -> None:
        os.write(status_fd, (json.dumps(kw) + "\n").encode())

    fresh_main("pytest")
    harness.reseed()
    try:
        try:
            compile(req["files"]["solution.py"], "solution.py", "exec")
        except (SyntaxError, ValueError) as e:
            report(status="syntax_error", phase="code", exc=type(e).__name__, msg=str(e)[:500])
            return 1
        if pytest is None:
            report(status="exception", phase="setup", exc="ImportError", msg="pytest missing in sandbox")
            return 1
        collector = _Collector()
        prepared = _prepared is not None and os.getcwd() == _prepared[0].invocation_params.dir.as_posix()
        if prepared:
            rc = _main_prepared(bool(req.get("stop")), collector)
        else:
            args = ARGS[:-1] + (["-x"] if req.get("stop") else []) + ARGS[-1:]
            rc = int(pytest.main(args, plugins=[collector]))
        report(status="pytest", rc=rc, outcomes=collector.outcomes, missing=collector.missing,
               path="prepared" if prepared else "main", nonce=nonce)
        return rc
    finally:
        harness.flush_std()


def run_limits(lim: dict) -> dict:
    """The run's limits with the address-space limit counted on top of the warm worker's own mapping."""
    return {**lim, "mem": lim["mem"] + _baseline_as} if _baseline_as else lim
