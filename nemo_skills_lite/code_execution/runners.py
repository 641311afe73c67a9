"""Run a validated ``Job`` on one sandbox worker and turn raw run results into verdicts.

Each test is one forked, namespaced run inside the long-lived worker. A test whose time is near
the CPU limit (a time_limit verdict, or a pass above ``1 - flaky_margin`` of the limit) is re-run
``flaky_reruns`` times; if the verdicts differ the row is labelled ``flaky`` and the test keeps
the conservative ``time_limit`` verdict, so repeated verification gives the same answer.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

from nemo_skills_lite.code_execution import checkers
from nemo_skills_lite.code_execution.compare import get_comparator
from nemo_skills_lite.code_execution.limits import Limits
from nemo_skills_lite.code_execution.missing_module import from_message as missing_from_message
from nemo_skills_lite.code_execution.rows import Job

VERDICTS = ("accepted", "wrong_answer", "runtime_error", "time_limit", "memory_limit",
            "compile_error", "syntax_error", "checker_error", "missing_module", "error")
MISSING = "missing_module"  # an import of a module the sandbox does not have: the row's note names it
SHOW = 300  # characters of stdout/stderr/expected kept per test


@dataclass(frozen=True)
class RunPolicy:
    flaky_reruns: int = 1
    flaky_margin: float = 0.2


def _cut(s: str | None, n: int = SHOW) -> str:
    s = s or ""
    return s if len(s) <= n else s[:n] + f"...[{len(s) - n} more chars]"


def _timing_verdict(r: dict, tl: float) -> str | None:
    if r.get("timed_out") or r.get("cpu", 0.0) > tl:
        return "time_limit"
    if r.get("signal") in (signal.SIGXCPU, signal.SIGKILL) and r.get("cpu", 0.0) >= 0.95 * tl:
        return "time_limit"
    return None


def classify(job: Job, r: dict, expected: str | None) -> tuple[str, str]:
    """(verdict, note) of one raw run result."""
    if "infra_error" in r:
        return "error", f"sandbox: {r['infra_error']}"
    tv = _timing_verdict(r, job.limits.cpu_limit)
    if tv:
        return tv, f"cpu {r.get('cpu', 0):.2f}s, limit {job.limits.cpu_limit}s"
    st = r.get("status") or {}
    exc = st.get("exc", "")
    if st.get("status") == "syntax_error":
        return ("syntax_error", st.get("msg", "")) if st.get("phase") == "code" else ("error", f"test does not compile: {st.get('msg')}")
    if exc == "MemoryError" or (r.get("signal") and "std::bad_alloc" in (r.get("stderr") or "")):
        return "memory_limit", f"limit {job.limits.memory_limit_mb} MB"
    if st.get("status") == "exited_early":
        return "runtime_error", "program exited before the tests ran"
    if r.get("stdout_truncated") and job.kind == "stdin":  # asserts/pytest: stdout does not matter
        return "runtime_error", f"output over {job.limits.max_output_bytes} bytes"
    if r.get("signal"):
        return "runtime_error", f"killed by signal {signal.Signals(r['signal']).name}" if r["signal"] in signal.valid_signals() else f"signal {r['signal']}"
    if job.kind == "pytest":
        if st.get("status") != "pytest":
            return "runtime_error", f"{exc}: {st.get('msg', '')}" if exc else "pytest did not report"
        rc = st.get("rc")
        if rc != 0 and st.get("missing"):
            return MISSING, f"{MISSING}: {st['missing'][0]}"
        note = f"pytest exit code {rc}"
        return ("accepted" if rc == 0 else "wrong_answer" if rc == 1 else
                "error" if rc == 5 else "runtime_error"), note
    if st.get("status") == "exception" and (name := missing_from_message(exc, st.get("msg", ""))):
        return MISSING, f"{MISSING}: {name}"
    if st.get("status") == "exception":
        if job.kind == "assert" and st.get("phase") == "test" and exc == "AssertionError":
            return "wrong_answer", f"AssertionError {st.get('msg', '')}".strip()
        return "runtime_error", f"{exc}: {st.get('msg', '')}"
    if r.get("exit") not in (0, None):
        return "runtime_error", f"exit code {r.get('exit')}"
    if job.kind == "assert":
        if st.get("status") != "ok":
            return "runtime_error", "program exited before the tests finished"
        return "accepted", ""
    if job.checker is not None:
        return "accepted", ""  # the run was fine; the checker decides (_run_one)
    ok, note = get_comparator(job.comparator)(r.get("stdout", ""), expected or "", job.compare_opts)
    return ("accepted", "") if ok else ("wrong_answer", note or "output differs")


def _requests(job: Job) -> list[tuple[dict, str | None]]:
    lim = job.limits.worker_request()
    if job.kind == "pytest":
        return [({"op": "run", "kind": "pytest", "limits": lim, "stop": job.stop_at_first_failure,
                  "files": {"solution.py": job.code, "test_solution.py": job.tests[0]}}, None)]
    if job.kind == "assert":
        out = []
        for test in job.tests:
            call = ["check", job.entry_point] if job.entry_point and "def check" in test else None
            src = (job.setup + "\n" + test) if job.setup else test
            out.append(({"op": "run", "kind": "python", "limits": lim, "call": call,
                         "phases": [["code", "solution.py", job.code], ["test", "test.py", src]]}, None))
        return out
    if job.language == "cpp":
        base: dict = {"op": "run", "kind": "exec", "argv": ["/tmp/job/solution"], "keep_job": True}
    else:
        base = {"op": "run", "kind": "python", "phases": [["code", "solution.py", job.code]]}
    if job.checker is not None and job.checker.language == "cpp":
        base["keep_job"] = True  # the compiled checker waits in the job dir
    return [({**base, "limits": lim, "stdin": inp}, out) for inp, out in job.tests]


def _host_timeout(req: dict) -> float:
    """How long the host waits for a reply: past the worker's own hard cap (5x the wall limit)."""
    return req["limits"]["wall"] * 5 + 30


def _compile(job: Job, worker) -> dict | None:
    """g++ inside the sandbox with its own limits; returns a failure result or None."""
    worker.request({"op": "reset"}, timeout=30)
    req = {"op": "run", "kind": "exec", "files": {"solution.cpp": job.code},
           "limits": job.limits.worker_request(compile_step=True),
           "argv": ["/usr/bin/g++", "-std=c++17", "-O2", "-pipe", "-o", "/tmp/job/solution", "solution.cpp"],
           "keep_job": True}
    r = worker.request(req, timeout=_host_timeout(req))
    if "infra_error" in r:
        return {"verdict": "error", "error": f"sandbox: {r['infra_error']}"}
    if r.get("exit") != 0 or r.get("timed_out"):
        why = "compiler timed out" if r.get("timed_out") else _cut(r.get("stderr"), 2000)
        return {"verdict": "compile_error", "error": why}
    return None


def _run_one(job: Job, worker, req: dict, expected: str | None) -> tuple[str, str, dict]:
    timeout = _host_timeout(req)
    r = worker.request(req, timeout=timeout)
    if "infra_error" in r:  # the worker was restarted: one more try
        if job.language == "cpp" and _compile(job, worker):
            return "error", "sandbox: could not recompile after a worker restart", r
        if job.checker is not None and checkers.prepare(job.checker, worker, job.limits, _host_timeout):
            return "error", "sandbox: could not prepare the checker after a worker restart", r
        r = worker.request(req, timeout=timeout)
    verdict, note = classify(job, r, expected)
    if verdict == "accepted" and job.checker is not None:
        creq = checkers.request(job.checker, job.limits, req.get("stdin") or "", r.get("stdout") or "", expected or "")
        cr = worker.request(creq, timeout=_host_timeout(creq))
        verdict, note = checkers.verdict(job.checker, cr)
        if verdict != "accepted":
            r = {**r, "checker_log": ((cr.get("stdout") or "") + (cr.get("stderr") or ""))[-SHOW:]}
    return verdict, note, r


def _near_limit(verdict: str, r: dict, tl: float, margin: float) -> bool:
    return verdict == "time_limit" or (verdict == "accepted" and r.get("cpu", 0.0) >= (1 - margin) * tl)


def execute(job: Job, worker, policy: RunPolicy = RunPolicy()) -> dict:
    """Verify one job on one worker. Returns the verdict fields added to the row."""
    if job.language == "cpp":
        failed = _compile(job, worker)
        if failed:
            return {"passed": False, **failed, "tests_passed": 0, "tests_total": len(job.tests), "test_results": []}
    if job.checker is not None:
        log = checkers.prepare(job.checker, worker, job.limits, _host_timeout)
        if log is not None:
            return {"passed": False, "verdict": "checker_error", "error": _cut(log, 2000), "tests_passed": 0,
                    "tests_total": len(job.tests), "test_results": []}
    results, flaky, row_verdict = [], False, None
    for req, expected in _requests(job):
        verdict, note, r = _run_one(job, worker, req, expected)
        for _ in range(policy.flaky_reruns if _near_limit(verdict, r, job.limits.cpu_limit, policy.flaky_margin) else 0):
            again, _, _ = _run_one(job, worker, req, expected)
            if again not in (verdict, "error"):  # a sandbox hiccup is not flakiness
                flaky, verdict, note = True, "time_limit", f"flaky near the {job.limits.cpu_limit}s limit"
        res = {"verdict": verdict, "time": round(r.get("cpu", 0.0), 4), "wall": round(r.get("wall", 0.0), 4)}
        if note:
            res["note"] = _cut(note)
        if verdict != "accepted":
            res["stdout"], res["stderr"] = _cut(r.get("stdout")), _cut(r.get("stderr"))
            if expected is not None:
                res["expected"] = _cut(expected)
            if r.get("checker_log"):
                res["checker_log"] = r["checker_log"]
        if job.kind == "pytest":
            res["tests"] = ((r.get("status") or {}).get("outcomes") or [])[:200]
        results.append(res)
        if verdict != "accepted":
            row_verdict = row_verdict or verdict
            if verdict in ("syntax_error", "error", "checker_error") or job.stop_at_first_failure:
                break
    return _summarise(job, results, row_verdict, flaky)


def _summarise(job: Job, results: list[dict], row_verdict: str | None, flaky: bool) -> dict:
    if job.kind == "pytest":
        outs = results[0].get("tests", []) if results else []
        names = {o["name"] for o in outs}
        failed = {o["name"] for o in outs if o["outcome"] != "passed"}
        total, passed = len(names), len(names - failed)
    else:
        total = len(job.tests)
        passed = sum(r["verdict"] == "accepted" for r in results)
    ok = row_verdict is None and total > 0 and (job.kind == "pytest" or passed == total)
    out = {"passed": ok, "verdict": "accepted" if ok else (row_verdict or "error"),
           "tests_passed": passed, "tests_total": total, "test_results": results}
    if row_verdict in ("error", "checker_error") and results:
        out["error"] = results[-1].get("note", "")
    if row_verdict == MISSING:
        out[MISSING] = next(r["note"] for r in results if r["verdict"] == MISSING).split(": ", 1)[1]
    if flaky:
        out["flaky"] = True
    return out


def run_program(code: str, language: str, stdin: str, limits: Limits, worker) -> dict:
    """Run one program once on stdin (no comparison): the NeMo-Skills-style ``/execute`` call.
    Returns ``process_status`` (completed | timeout | error), ``stdout``, ``stderr``, ``exit_code``."""
    job = Job("stdin", language, code, ((stdin, ""),), limits)
    if language == "cpp":
        failed = _compile(job, worker)
        if failed:
            return {"process_status": "error", "stdout": "", "stderr": failed.get("error", ""), "exit_code": None,
                    "verdict": failed["verdict"]}
    req, _ = _requests(job)[0]
    r = worker.request(req, timeout=_host_timeout(req))
    verdict, note = classify(job, r, None)
    status = ("timeout" if verdict == "time_limit" else
              "completed" if r.get("exit") == 0 and verdict in ("accepted", "wrong_answer") else "error")
    stderr = r.get("stderr", "") or (note if status != "completed" else "")
    return {"process_status": status, "stdout": r.get("stdout", ""), "stderr": stderr,
            "exit_code": r.get("exit"), "verdict": "accepted" if status == "completed" else verdict}
