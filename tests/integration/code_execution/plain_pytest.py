"""Plain pytest, as KodCode runs a trial: a fresh ``python -m pytest`` in a directory holding
``solution.py`` and ``test_solution.py``. The reference that the sandbox's pytest rows must agree
with (tests) and the baseline they are measured against (benchmarks/pytest_throughput.py).

No isolation: only for trials written for this project."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from nemo_skills_lite.code_execution.isolation import DEFAULT_PYTHON, SANDBOX_ENV
from nemo_skills_lite.code_execution.missing_module import from_message

_EXC_LINE = re.compile(r"^E\s+(ModuleNotFoundError|ImportError): (.*)$", re.M)


@dataclass
class PlainResult:
    verdict: str                 # accepted | wrong_answer | runtime_error | error | time_limit | missing_module
    rc: int | None
    tests: dict[str, str] = field(default_factory=dict)  # "Class::name" -> passed | failed | skipped
    missing: str | None = None
    wall: float = 0.0
    cpu: float = 0.0


def _junit_tests(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    if not path.is_file():
        return out
    for case in ET.parse(path).getroot().iter("testcase"):
        cls = case.get("classname", "").split(".")[1:]  # drop the module name
        key = "::".join(cls + [case.get("name", "")])
        kinds = {child.tag for child in case}
        out[key] = ("failed" if kinds & {"failure", "error"} else "skipped" if "skipped" in kinds else "passed")
    return out


def run_plain(code: str, test_code: str, *, stop: bool = False, timeout: float = 60.0,
              python: str = DEFAULT_PYTHON, junit: bool = True) -> PlainResult:
    """One trial in a fresh interpreter; ``timeout`` (wall seconds) turns into ``time_limit``."""
    with tempfile.TemporaryDirectory() as d:
        Path(d, "solution.py").write_text(code)
        Path(d, "test_solution.py").write_text(test_code)
        cmd = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"] + (["-x"] if stop else [])
        cmd += (["--junitxml", "report.xml"] if junit else []) + ["test_solution.py"]
        env = {"PATH": "/usr/bin:/bin", "HOME": d, "LANG": "C.UTF-8", **SANDBOX_ENV}
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=d, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        timer = threading.Timer(timeout, lambda: _kill_group(proc.pid))
        timer.start()
        try:
            out = proc.stdout.read()
            _, status, ru = os.wait4(proc.pid, 0)  # our own wait: the rusage of this one process
        finally:
            timer.cancel()
            proc.stdout.close()
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - t0
        timed_out = wall >= timeout and proc.returncode < 0
        tests = _junit_tests(Path(d, "report.xml"))
    text = out.decode("utf-8", "replace")
    rc = None if timed_out else proc.returncode
    missing = None
    for exc, msg in _EXC_LINE.findall(text):
        missing = missing or from_message(exc, msg)
    if timed_out:
        verdict = "time_limit"
    elif rc != 0 and missing:
        verdict = "missing_module"
    else:
        verdict = {0: "accepted", 1: "wrong_answer", 5: "error"}.get(rc, "runtime_error")
    return PlainResult(verdict, rc, tests, missing, wall, ru.ru_utime + ru.ru_stime)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def ours_tests(row: dict) -> dict[str, str]:
    """The sandbox row's per-test outcomes in the same form as ``PlainResult.tests``."""
    out: dict[str, str] = {}
    for t in (row.get("test_results") or [{}])[0].get("tests", []):
        if t.get("when") == "collect":
            continue
        key = t["name"].split("::", 1)[1] if "::" in t["name"] else t["name"]
        prev = out.get(key, "passed")
        now = {"passed": "passed", "failed": "failed", "skipped": "skipped"}.get(t["outcome"], "failed")
        out[key] = "failed" if "failed" in (prev, now) else "skipped" if "skipped" in (prev, now) else "passed"
    return out


def comparable(verdict: str) -> str:
    """Our verdicts in plain pytest's terms: a solution that does not compile is a collection error."""
    return "runtime_error" if verdict == "syntax_error" else verdict
