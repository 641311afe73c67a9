"""Checkers (special judges): a row's own program decides whether an output is right.

Row key ``checker`` — a string (C++ when it ``#include``s something, else Python) or an object
``{"language": "cpp"|"python", "source": str, "style"?: "testlib"|"program"|"function",
"time_limit"?: seconds (default 10), "memory_limit_mb"?: MB (default 1024)}``. Styles:

- ``testlib`` (C++; Codeforces/Polygon, open-r1's CodeForces data): ``checker input output answer``
  — input = the test's input, output = the program's output, answer = the expected output. The
  exit code is the verdict (testlib's codes): 0 ok -> accepted; 1 wrong answer, 2 presentation
  error, 4 "dirt", 8 unexpected EOF, 7 and >= 16 partial points -> wrong_answer; 3 (``_fail``: the
  checker itself found the test broken), any other code, a signal, a time-out -> ``checker_error``.
  ``testlib.h`` (vendored, vendor/README.md) is next to the source when it is compiled.
- ``program`` (Python): the same files and exit codes, ``sys.argv[1:4]``; an exception in the
  checker (anything but ``SystemExit``) -> ``checker_error``.
- ``function`` (Python, the default when the source defines a top-level ``check``):
  ``check(input: str, output: str, expected: str)`` returns a bool or ``(bool, message)``; an
  exception or another return type -> ``checker_error``.

Checkers run inside the sandbox, one fresh run per test after the program's run, with their own
limits. A C++ checker is compiled once per source in the sandbox (g++ -O2) and the binary kept on
the host (``_BINARIES``), so later rows with the same checker only copy it in; before each checker
run its sha256 is verified, so a program that rewrites the checker binary cannot pass itself off.
A checker that does not compile is a ``checker_error`` (with g++'s log) for every row that uses it.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from importlib import resources

STYLES = ("testlib", "program", "function")
CHECKER_KEYS = ("language", "source", "style", "time_limit", "memory_limit_mb")
WA_CODES = {1: "wrong answer", 2: "presentation error", 4: "wrong answer (dirt)", 7: "partial points",
            8: "unexpected end of output"}
BIN = "/tmp/job/checker"
TAMPERED = 121  # exit code of the checker run when the binary's hash does not match


class CheckerError(ValueError):
    """The row's checker cannot be used as given (message names what and what is valid)."""


@dataclass(frozen=True)
class Checker:
    language: str       # cpp | python
    source: str
    style: str          # testlib | program | function
    time_limit: float = 10.0
    memory_limit_mb: int = 1024

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.language}\0{self.style}\0{self.source}".encode()).hexdigest()


def _python_style(source: str, style: str | None) -> str:
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise CheckerError(f"checker: Python source does not parse: {e.msg} (line {e.lineno})") from None
    has_check = any(isinstance(n, ast.FunctionDef) and n.name == "check" for n in tree.body)
    style = style or ("function" if has_check else "program")
    if style == "function" and not has_check:
        raise CheckerError("checker: style 'function' needs a top-level def check(input, output, expected)")
    if style not in ("function", "program"):
        raise CheckerError(f"checker: style '{style}' is not valid for Python; use 'function' or 'program'")
    return style


def parse_checker(value: object) -> Checker:
    """The ``checker`` key of a row -> Checker; CheckerError names the problem and what is valid."""
    if isinstance(value, str):
        value = {"source": value, "language": "cpp" if "#include" in value else "python"}
    if not isinstance(value, dict):
        raise CheckerError(f"checker must be a string (source) or an object with keys {', '.join(CHECKER_KEYS)}; "
                           f"got {type(value).__name__}")
    unknown = sorted(set(value) - set(CHECKER_KEYS))
    if unknown:
        raise CheckerError(f"checker: unknown key(s) {', '.join(unknown)}; valid: {', '.join(CHECKER_KEYS)}")
    source, lang, style = value.get("source"), str(value.get("language") or "").lower(), value.get("style")
    if not isinstance(source, str) or not source.strip():
        raise CheckerError("checker: 'source' must be a non-empty string")
    if style is not None and style not in STYLES:
        raise CheckerError(f"checker: style '{style}' is not valid; use one of: {', '.join(STYLES)}")
    if lang in ("cpp", "c++"):
        if style not in (None, "testlib"):
            raise CheckerError(f"checker: a C++ checker is a testlib-style program, not style '{style}'")
        if "main" not in source:
            raise CheckerError("checker: C++ source has no main(); a testlib checker is a program "
                               "(registerTestlibCmd(argc, argv))")
        lang, style = "cpp", "testlib"
    elif lang in ("python", "python3", "py"):
        lang, style = "python", _python_style(source, style)
    else:
        raise CheckerError(f"checker: language '{value.get('language')}' is not valid; use cpp or python")
    tl, mem = value.get("time_limit", 10.0), value.get("memory_limit_mb", 1024)
    if isinstance(tl, bool) or not isinstance(tl, (int, float)) or not 0.1 <= tl <= 600:
        raise CheckerError(f"checker: time_limit {tl!r} is not valid; use seconds in [0.1, 600]")
    if isinstance(mem, bool) or not isinstance(mem, (int, float)) or not 16 <= mem <= 65536:
        raise CheckerError(f"checker: memory_limit_mb {mem!r} is not valid; use MB in [16, 65536]")
    return Checker(lang, source, style, float(tl), int(mem))


# ---- running (host side: builds worker requests; the worker runs them in the sandbox) ----

_BINARIES: OrderedDict[str, tuple[bool, str]] = OrderedDict()  # checker key -> (ok, base64 binary | g++ log)
_DIGESTS: dict[str, str] = {}                  # checker key -> sha256 of the binary
MAX_BINARIES = 128                             # ~0.3 MB each; least recently used are compiled again
_KEY_LOCKS: dict[str, threading.Lock] = {}
_LOCK = threading.Lock()


def _testlib_h() -> str:
    return resources.files("nemo_skills_lite.code_execution").joinpath("vendor/testlib.h").read_text("utf-8")


def _limits(chk: Checker, base) -> dict:  # noqa: ANN001 - a Limits
    import dataclasses

    return dataclasses.replace(base, time_limit=chk.time_limit, memory_limit_mb=chk.memory_limit_mb).worker_request()


def _request(worker, req: dict, timeout) -> dict:  # noqa: ANN001
    """One request; a worker that died (and was restarted) gets one more try."""
    r = worker.request(req, timeout=timeout(req))
    return worker.request(req, timeout=timeout(req)) if "infra_error" in r else r


def _compile(chk: Checker, worker, base_limits, timeout) -> tuple[bool, str]:  # noqa: ANN001
    req = {"op": "run", "kind": "exec", "keep_job": True, "limits": base_limits.worker_request(compile_step=True),
           "files": {"checker.cpp": chk.source, "testlib.h": _testlib_h()},
           "argv": ["/usr/bin/g++", "-std=c++17", "-O2", "-s", "-pipe", "-o", BIN, "checker.cpp"]}
    r = _request(worker, req, timeout)
    if "infra_error" in r:
        raise RuntimeError(f"sandbox: {r['infra_error']}")
    if r.get("exit") != 0 or r.get("timed_out"):
        return False, "checker does not compile: " + ("g++ timed out" if r.get("timed_out") else (r.get("stderr") or "")[:2000])
    lim = dict(req["limits"], output=64 << 20)
    r = worker.request({"op": "run", "kind": "exec", "keep_job": True, "limits": lim,
                        "argv": ["/usr/bin/base64", "-w0", BIN]}, timeout=timeout(req))
    if r.get("exit") != 0 or r.get("stdout_truncated"):
        raise RuntimeError(f"sandbox: could not read the compiled checker back ({r.get('stderr', '')[:200]})")
    return True, r["stdout"]


def prepare(chk: Checker, worker, base_limits, timeout) -> str | None:  # noqa: ANN001
    """Make the checker ready in this worker's job dir (after the solution's compile/reset).
    Returns None, or the ``checker_error`` log when the checker cannot be built."""
    if chk.language != "cpp":
        return None
    with _LOCK:
        lock = _KEY_LOCKS.setdefault(chk.key, threading.Lock())
    with lock:  # one compile per checker source, even with many rows in flight
        built = _BINARIES.get(chk.key)
        if built is None:
            built = _compile(chk, worker, base_limits, timeout)
            with _LOCK:
                _BINARIES[chk.key] = built
                if built[0]:
                    _DIGESTS[chk.key] = _sha256_of_b64(built[1])
                while len(_BINARIES) > MAX_BINARIES:
                    _BINARIES.popitem(last=False)
            return None if built[0] else built[1]
        with _LOCK:
            if chk.key in _BINARIES:
                _BINARIES.move_to_end(chk.key)
    if not built[0]:
        return built[1]
    req = {"op": "run", "kind": "exec", "keep_job": True, "limits": base_limits.worker_request(compile_step=True),
           "files": {"checker.b64": built[1]},
           "argv": ["/usr/bin/sh", "-c", f"/usr/bin/base64 -d checker.b64 > {BIN} && chmod 700 {BIN}"]}
    r = _request(worker, req, timeout)
    if r.get("exit") != 0:
        raise RuntimeError(f"sandbox: could not install the checker ({r.get('infra_error') or r.get('stderr', '')[:200]})")
    return None


def _sha256_of_b64(b64: str) -> str:
    return hashlib.sha256(base64.b64decode(b64)).hexdigest()


_CALL_FUNCTION = """
import sys
def _nsl_read(name):
    with open(name, encoding="utf-8", errors="replace") as f:
        return f.read()
_nsl_res = check(_nsl_read("input.txt"), _nsl_read("output.txt"), _nsl_read("answer.txt"))
_nsl_msg = ""
if isinstance(_nsl_res, tuple) and len(_nsl_res) == 2:
    _nsl_res, _nsl_msg = _nsl_res
if not isinstance(_nsl_res, bool):
    raise TypeError("check() must return a bool or (bool, message), got " + type(_nsl_res).__name__)
if _nsl_msg:
    print(_nsl_msg, file=sys.stderr)
sys.stderr.flush()
raise SystemExit(0 if _nsl_res else 1)
"""
_ARGV = "import sys\nsys.argv = ['checker.py', 'input.txt', 'output.txt', 'answer.txt']\n"


def request(chk: Checker, base_limits, inp: str, output: str, expected: str) -> dict:  # noqa: ANN001
    files = {"input.txt": inp, "output.txt": output, "answer.txt": expected}
    lim = _limits(chk, base_limits)
    if chk.language == "cpp":
        digest = _DIGESTS[chk.key]
        script = (f'echo "{digest}  {BIN}" | /usr/bin/sha256sum -c --status - || '
                  f'{{ echo "the checker binary was modified during the run" >&2; exit {TAMPERED}; }}; '
                  f"exec {BIN} input.txt output.txt answer.txt")
        return {"op": "run", "kind": "exec", "keep_job": True, "limits": lim, "files": files,
                "argv": ["/usr/bin/sh", "-c", script]}
    phases = ([["checker", "checker.py", chk.source], ["check", "check.py", _CALL_FUNCTION]]
              if chk.style == "function" else [["argv", "argv.py", _ARGV], ["checker", "checker.py", chk.source]])
    return {"op": "run", "kind": "python", "keep_job": True, "limits": lim, "files": files, "phases": phases}


def verdict(chk: Checker, r: dict) -> tuple[str, str]:
    """(verdict, note) from the checker run's raw result."""
    log = ((r.get("stdout") or "") + (r.get("stderr") or ""))
    if ((r.get("status") or {}).get("exc") == "SystemExit"):  # sys.exit(1): the exit code is the verdict
        log = log.split("Traceback (most recent call last):")[0]
    log = log.strip()[-1000:]
    if "infra_error" in r:
        return "error", f"sandbox: {r['infra_error']}"
    if r.get("timed_out"):
        return "checker_error", f"checker timed out ({chk.time_limit}s)"
    if r.get("signal"):
        return "checker_error", f"checker killed by signal {r['signal']}: {log}"
    code = r.get("exit")
    st = r.get("status") or {}
    if chk.language == "python" and st.get("status") == "exception" and st.get("exc") != "SystemExit":
        return "checker_error", f"checker raised {st.get('exc')}: {st.get('msg', '')}\n{log[-600:]}".strip()
    if chk.language == "python" and st.get("status") == "syntax_error":
        return "checker_error", f"checker does not compile: {st.get('msg', '')}"
    if code == 0:
        return "accepted", ""
    if code == TAMPERED and chk.language == "cpp":
        return "runtime_error", "the program modified the checker binary"
    if code in WA_CODES or (isinstance(code, int) and 16 <= code < 100):
        what = WA_CODES.get(code, "partial points")
        return "wrong_answer", f"checker: {what}" + (f": {log}" if log else "")
    return "checker_error", f"checker exit code {code}" + (f": {log}" if log else "")
