"""Pure parts of the sandbox: comparators, row validation, limits, cache keys, verdict mapping,
bubblewrap arguments, flaky re-runs (with a fake worker: fault injection only)."""

from __future__ import annotations

import re
import shutil
import signal
import threading

import pytest

from nemo_skills_lite.code_execution import isolation
from nemo_skills_lite.code_execution.cache import ExecutionCache
from nemo_skills_lite.code_execution.compare import exact, float_tokens, get_comparator, tokens
from nemo_skills_lite.code_execution.isolation import IsolationConfig, SandboxUnavailable, bwrap_args
from nemo_skills_lite.code_execution.limits import Limits, LimitsError
from nemo_skills_lite.code_execution.pool import Pool
from nemo_skills_lite.code_execution.rows import RowError, cache_key, normalize_code, parse_row
from nemo_skills_lite.code_execution.runners import RunPolicy, classify, execute


def test_comparators():
    ok = lambda r: r[0]  # noqa: E731
    assert ok(exact("1 2\r\n", "1 2\n\n")) and not ok(exact("1  2", "1 2"))
    assert ok(tokens("1  2\n3", "1 2 3")) and not ok(tokens("1 2", "1 2 3"))
    assert ok(float_tokens("0.3333333", "0.33333333")) and not ok(float_tokens("0.34", "0.33"))
    assert not ok(float_tokens("1000000000000000000", "1000000000000000001"))  # integers are exact
    assert ok(float_tokens("YES 1.0", "YES 1.0000001")) and not ok(float_tokens("YES", "NO"))
    assert get_comparator(None) is tokens  # testlib wcmp: no tolerance unless the row asks
    with pytest.raises(ValueError, match="tokens, lines, exact, float"):
        get_comparator("fuzzy")


@pytest.mark.parametrize("row, message", [
    ({"code": "x"}, "none of 'tests'"),
    ({"code": 5, "tests": [{"input": "", "output": ""}]}, "'code' must be a string"),
    ({"code": "  ", "test": "assert 1"}, "'code' is empty"),
    ({"code": "x", "tests": []}, "non-empty list"),
    ({"code": "x", "tests": [{"input": 1, "output": ""}]}, "tests[0]"),
    ({"code": "x", "tests": {"inputs": ["1"], "outputs": []}}, "equal length"),
    ({"code": "x", "language": "rust", "tests": [{"input": "", "output": ""}]}, "python, cpp"),
    ({"code": "x", "language": "cpp", "test": "assert 1"}, "C++ rows"),
    ({"code": "x", "test": "assert 1", "time_limit": -1}, "time_limit"),
    ({"code": "x", "test": "assert 1", "memory_limit_mb": "lots"}, "memory_limit_mb"),
    ({"code": "x", "test": [1]}, "key 'test'"),
    ({"code": "x", "test": "assert 1", "entry_point": "not an id"}, "entry_point"),
    ({"code": "x", "tests": [{"input": "", "output": ""}], "comparator": "fuzzy"}, "comparator"),
    ("just a string", "JSON object"),
])
def test_malformed_rows_name_the_problem(row, message):
    with pytest.raises(RowError, match=re.escape(message)):
        parse_row(row)


def test_row_shapes_and_defaults():
    job = parse_row({"code": "x", "tests": {"inputs": ["1"], "outputs": ["2"]}})
    assert (job.kind, job.language, job.tests, job.limits.time_limit) == ("stdin", "python", (("1", "2"),), 2.0)
    job = parse_row({"code": "x", "test": ["assert 1", "assert 2"], "time_limit": 1})
    assert (job.kind, len(job.tests), job.limits.time_limit) == ("assert", 2, 1.0)
    job = parse_row({"code": "x", "test_code": "def test(): pass", "language": "Python3"})
    assert (job.kind, job.limits.time_limit) == ("pytest", 10.0)
    assert parse_row({"code": "x", "language": "C++", "tests": [{"input": "", "output": ""}]}).language == "cpp"
    base = Limits(memory_limit_mb=256)  # e.g. only --memory-limit-mb given: time limits stay per kind
    assert parse_row({"code": "x", "test_code": "t"}, base_limits=base).limits.time_limit == 10.0
    assert parse_row({"code": "x", "test": "t", "time_limit": 1}, base_limits=base).limits.time_limit == 1.0
    assert parse_row({"code": "x", "test": "t"}, base_limits=base).limits.memory_limit_mb == 256


def test_limits_validation():
    assert Limits(time_limit=0.5).wall_limit == 2.5
    with pytest.raises(LimitsError, match="memory_limit_mb"):
        Limits(memory_limit_mb=1).validate()
    req = Limits(time_limit=1.5, memory_limit_mb=256).worker_request()
    assert (req["cpu"], req["mem"]) == (1.5, 256 << 20)


def test_cache_key_normalises_code_but_not_tests_or_limits():
    a = parse_row({"code": "print(1)  \r\n\n", "tests": [{"input": "", "output": "1"}]})
    b = parse_row({"code": "\nprint(1)", "tests": [{"input": "", "output": "1"}]})
    c = parse_row({"code": "print(1)", "tests": [{"input": "", "output": "2"}]})
    d = parse_row({"code": "print(1)", "tests": [{"input": "", "output": "1"}], "time_limit": 5})
    assert normalize_code("a \r\nb\n") == "a\nb"
    assert cache_key(a, "rt") == cache_key(b, "rt")
    assert len({cache_key(a, "rt"), cache_key(c, "rt"), cache_key(d, "rt"), cache_key(a, "rt2")}) == 4


def test_cache_persists_waits_for_inflight_and_skips_errors(tmp_path):
    path = tmp_path / "cache.sqlite"
    c = ExecutionCache(path)
    assert c.get("k") is None  # claimed
    got = []
    t = threading.Thread(target=lambda: got.append(c.get("k")))
    t.start()
    t.join(0.2)
    assert t.is_alive()  # a second caller waits for the first computation
    c.put("k", {"verdict": "accepted"})
    t.join(5)
    assert got == [{"verdict": "accepted"}]
    assert c.get("e") is None
    c.put("e", {"verdict": "error"})
    assert c.get("e") is None  # errors are never cached
    c.put("e", {"verdict": "error"})
    c.close()
    assert ExecutionCache(path).get("k") == {"verdict": "accepted"}


def _job(**kw):
    return parse_row({"code": "x", "tests": [{"input": "", "output": "5"}], **kw})


@pytest.mark.parametrize("raw, verdict", [
    ({"exit": 0, "stdout": "5\n", "cpu": 0.1}, "accepted"),
    ({"exit": 0, "stdout": "6\n", "cpu": 0.1}, "wrong_answer"),
    ({"exit": 1, "stdout": "", "cpu": 0.1, "status": {"status": "exception", "exc": "ValueError"}}, "runtime_error"),
    ({"exit": 1, "cpu": 0.1, "status": {"status": "exception", "exc": "MemoryError"}}, "memory_limit"),
    ({"signal": signal.SIGSEGV, "cpu": 0.1, "stderr": "std::bad_alloc"}, "memory_limit"),
    ({"signal": signal.SIGSEGV, "cpu": 0.1}, "runtime_error"),
    ({"signal": signal.SIGKILL, "cpu": 2.5, "timed_out": True}, "time_limit"),
    ({"exit": 0, "stdout": "5", "cpu": 2.5}, "time_limit"),
    ({"exit": 1, "cpu": 0.0, "status": {"status": "syntax_error", "phase": "code"}}, "syntax_error"),
    ({"exit": 0, "stdout": "5", "cpu": 0.1, "stdout_truncated": True}, "runtime_error"),
    ({"infra_error": "worker died"}, "error"),
])
def test_classify(raw, verdict):
    assert classify(_job(), raw, "5")[0] == verdict


class FakeWorker:
    """Returns scripted raw results (fault injection for the flaky logic)."""

    def __init__(self, results):
        self.results = list(results)
        self.calls = 0

    def request(self, msg, timeout):
        self.calls += 1
        return self.results.pop(0)


def test_near_limit_runs_are_rerun_and_labelled_flaky():
    job = _job(time_limit=1.0)
    ok_near = {"exit": 0, "stdout": "5", "cpu": 0.95}
    tle = {"signal": 9, "cpu": 1.01, "timed_out": True}
    res = execute(job, FakeWorker([ok_near, tle]), RunPolicy(flaky_reruns=1))
    assert (res["verdict"], res.get("flaky")) == ("time_limit", True)
    res = execute(job, FakeWorker([tle, tle]), RunPolicy(flaky_reruns=1))
    assert (res["verdict"], "flaky" in res) == ("time_limit", False)
    fast = FakeWorker([{"exit": 0, "stdout": "5", "cpu": 0.1}])
    res = execute(job, fast, RunPolicy(flaky_reruns=1))
    assert (res["passed"], fast.calls, "flaky" in res) == (True, 1, False)  # far from the limit: no re-run


def test_bwrap_arguments_isolate():
    args = bwrap_args(IsolationConfig(python="/opt/nsl/sandbox-venv/bin/python", tmp_size_mb=64))
    joined = " ".join(args)
    for must in ("--unshare-all", "--die-with-parent", "--clearenv", "--remount-ro /", "--size 67108864 --tmpfs /tmp",
                 "--ro-bind /usr /usr", "--new-session"):
        assert must in joined
    assert "/root" not in joined and "/home" not in joined and "--bind " not in joined


def test_refuses_without_bubblewrap(monkeypatch):
    monkeypatch.setattr(isolation, "bwrap_path", lambda: None)
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        Pool(1)
    with pytest.warns(RuntimeWarning, match="WITHOUT isolation"):
        cmd, env = isolation.worker_command(IsolationConfig(allow_unisolated=True), None)
    assert env["NSL_NESTED_NS"] == "0"
    shutil.rmtree(env["NSL_SCRATCH"])


def test_code_prefix_runs_before_the_code_and_only_for_python():
    from nemo_skills_lite.code_execution.rows import RowError, parse_row

    job = parse_row({"code": "def f(x: List[int]):\n    return x\n", "test": ["assert f([1]) == [1]"],
                     "code_prefix": "from typing import *\n"})
    assert job.code == "from typing import *\ndef f(x: List[int]):\n    return x\n"
    with pytest.raises(RowError, match="code_prefix"):
        parse_row({"code": "int main(){}", "language": "cpp", "tests": [{"input": "", "output": ""}],
                   "code_prefix": "#include <bits/stdc++.h>"})
