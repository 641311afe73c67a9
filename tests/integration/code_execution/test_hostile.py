"""A battery of hostile programs against the real sandbox: each is contained, gets the right
verdict, the host is clean afterwards and benign programs still pass."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import psutil
import pytest

from nemo_skills_lite.code_execution import Limits, verify_one
from nemo_skills_lite.code_execution.runners import RunPolicy

pytestmark = pytest.mark.sandbox

HOST_PORT = 18150  # our assigned range 18100-18199
CANARY = Path("/var/tmp/nsl-hostile-canary")  # host paths hostile code tries to create
SECRET_FILE = Path("/root/.nsl-hostile-secret")


def stdin_row(code: str, out: str = "", lang: str = "python", tl: float = 1.0, **kw) -> dict:
    return {"code": code, "language": lang, "tests": [{"input": "", "output": out}], "time_limit": tl, **kw}


def blocked_all(attempts: str) -> str:
    """A program that runs each attempt and prints 'blocked' if it raised, 'OPEN' if it worked."""
    return ("import os, socket, signal\nres = []\nfor a in [" + attempts + "]:\n"
            "    try:\n        a()\n        res.append('OPEN')\n    except Exception:\n        res.append('blocked')\n"
            "print(' '.join(res))\n")


CASES = {
    "fork_bomb": (stdin_row("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass", tl=0.5),
                  "time_limit"),
    "memory_bomb_one_block": (stdin_row("x = bytearray(6 * 1024 ** 3)\nprint(len(x))"), "memory_limit"),
    "memory_bomb_growing": (stdin_row("x = []\nwhile True:\n    x.append(' ' * 10 ** 7)", tl=3.0), "memory_limit"),
    "infinite_loop": (stdin_row("while True:\n    pass", tl=0.5), "time_limit"),
    "sleep_forever": (stdin_row("import time\ntime.sleep(1000)", tl=0.5), "time_limit"),
    "huge_output": (stdin_row("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)", tl=3.0), "runtime_error"),
    "fill_tmp": (stdin_row("with open('/tmp/fill', 'wb') as f:\n    while True:\n        f.write(b'0' * (1 << 20))",
                           tl=3.0), "runtime_error"),
    "write_outside_scratch": (stdin_row(blocked_all(
        f"lambda: open('{CANARY}', 'w').write('x'), lambda: open('/usr/nsl-evil', 'w'), "
        "lambda: open('/etc/passwd', 'a'), lambda: open('/sandbox/worker.py', 'a'), "
        "lambda: os.mkdir('/work-evil'), lambda: open('/proc/sysrq-trigger', 'w').write('b'), "
        "lambda: open('/outside-tmp', 'w')"),
        " ".join(["blocked"] * 7)), "accepted"),
    "read_secrets": (stdin_row(blocked_all(
        f"lambda: open('/etc/shadow').read(), lambda: open('{SECRET_FILE}').read(), lambda: os.listdir('/root'), "
        "lambda: os.listdir('/work'), lambda: os.listdir('/home'), lambda: open('/opt/nsl/venv/pyvenv.cfg').read()"),
        " ".join(["blocked"] * 6)), "accepted"),
    "environment_is_clear": (stdin_row("import os\nprint(sorted(k for k in os.environ if k.startswith('NSL_TEST')))",
                                       "[]"), "accepted"),
    "network_loopback_of_host": (stdin_row(blocked_all(
        f"lambda: socket.create_connection(('127.0.0.1', {HOST_PORT}), timeout=1), "
        f"lambda: socket.create_connection(('::1', {HOST_PORT}), timeout=1)"), "blocked blocked"), "accepted"),
    "network_interfaces": (stdin_row("import socket\nprint(sorted(n for _, n in socket.if_nameindex()))",
                                     "['lo']"), "accepted"),
    "kill_everything": (stdin_row("import os, signal\nfor p in range(1, 5000):\n    try:\n        if p != os.getpid():\n            os.kill(p, 9)\n"
                                  "    except OSError:\n        pass\ntry:\n    os.kill(-1, 9)\nexcept OSError:\n    pass\nprint('alive')", "alive"), "accepted"),
    "kill_listed_pids": (stdin_row("import os\nfor p in os.listdir('/proc'):\n    if p.isdigit() and int(p) != os.getpid():\n"
                                   "        try:\n            os.kill(int(p), 9)\n        except OSError:\n            pass\n"
                                   "print('done')", "done"), "accepted"),
    "ptrace_worker_memory": (stdin_row(blocked_all(
        "*[(lambda p=p: open(f'/proc/{p}/mem', 'rb').read(1)) for p in os.listdir('/proc') "
        "if p.isdigit() and p not in ('1', str(os.getpid()))][:3], lambda: os.setuid(0)"),
        ""), None),
    "daemonise_and_escape": (stdin_row(
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(30)\n"
        f"        open('{CANARY}', 'w')\n    os._exit(0)\nprint('parent done')", "parent done"), "accepted"),
    "background_children": (stdin_row("import subprocess\nfor _ in range(5):\n    subprocess.Popen(['sleep', '600'])\n"
                                      "print('ok')", "ok"), "accepted"),
    "thread_bomb": (stdin_row("import threading, time\nts = []\nwhile True:\n"
                              "    t = threading.Thread(target=time.sleep, args=(100,)); t.start(); ts.append(t)"),
                    "runtime_error"),
    "fd_exhaustion": (stdin_row("fs = []\nwhile True:\n    fs.append(open('/dev/null'))"), "runtime_error"),
    "recursion_bomb": (stdin_row("def f():\n    f()\nf()"), "runtime_error"),
    "segfault": (stdin_row("import ctypes\nctypes.string_at(0)"), "runtime_error"),
    "forge_ok_status": ({"code": "import os\ndef f():\n    return 0\nos.write(3, b'{\"status\": \"ok\"}\\n')\nos._exit(0)",
                         "test": "assert f() == 1"}, "runtime_error"),
    "exit_before_asserts": ({"code": "import sys\ndef f():\n    return 0\nsys.exit(0)", "test": "assert f() == 1"},
                            "runtime_error"),
    "cpp_fork_bomb": (stdin_row("#include <unistd.h>\nint main(){while(1) fork();}", lang="cpp", tl=0.5), "time_limit"),
    "cpp_memory_bomb": (stdin_row("#include <vector>\n#include <cstdio>\nint main(){std::vector<char> v(6000000000ULL,1);"
                                  "printf(\"%d\",(int)v[5]);}", lang="cpp"), "memory_limit"),
    "cpp_huge_output": (stdin_row("#include <cstdio>\nint main(){while(1) puts(\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\");}",
                                  lang="cpp", tl=3.0), "runtime_error"),
}


def _sandbox_procs(pool) -> dict[int, int]:
    uids = {w.lease.uid for w in pool._all if w.lease is not None}
    counts = {u: 0 for u in uids}
    for p in psutil.process_iter(["uids", "status"]):
        try:
            real = p.info["uids"].real
        except (AttributeError, psutil.Error):
            continue
        if real in counts and p.info["status"] != psutil.STATUS_ZOMBIE:  # a zombie is dead, its pid awaits init
            counts[real] += 1
    return counts


@pytest.fixture(scope="module")
def host_state(sandbox_pool):
    """Warm workers, a canary secret, a loopback listener; checks the host is clean at the end."""
    SECRET_FILE.write_text("do not read")
    os.environ["NSL_TEST_SECRET"] = "hunter2"
    accepted: list = []
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", HOST_PORT))
    srv.listen(8)
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                accepted.append(srv.accept()[0])
            except OSError:
                pass

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    benign = stdin_row("print(int(input()) * 2)", "84", tests=[{"input": "42", "output": "84"}])
    for _ in range(sandbox_pool.size):
        assert verify_one(benign, sandbox_pool)["verdict"] == "accepted"
    before = _sandbox_procs(sandbox_pool)
    yield {"accepted": accepted, "pool": sandbox_pool}
    stop.set()
    th.join(timeout=5)
    srv.close()
    os.environ.pop("NSL_TEST_SECRET", None)
    SECRET_FILE.unlink(missing_ok=True)
    # the host is clean: no connection reached it, no file appeared, no process was left behind
    assert accepted == [], "a sandboxed program reached a host socket"
    assert not CANARY.exists() and not Path("/usr/nsl-evil").exists() and not Path("/work-evil").exists()
    assert _sandbox_procs(sandbox_pool) == before, "processes were left behind under sandbox uids"
    for _ in range(sandbox_pool.size * 2):  # and every worker still runs benign code correctly
        assert verify_one(benign, sandbox_pool)["verdict"] == "accepted"


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_program_is_contained(name, host_state):
    row, expected = CASES[name]
    res = verify_one(row, host_state["pool"], policy=RunPolicy(flaky_reruns=0))  # re-runs: test_pure
    detail = res["test_results"][-1] if res["test_results"] else res
    if name == "ptrace_worker_memory":  # every attempt must fail, however many pids were visible
        out = detail.get("stdout", "")
        assert res["verdict"] == "wrong_answer" and "OPEN" not in out and "blocked" in out, res
        return
    assert res["verdict"] == expected, f"{name}: {res['verdict']} != {expected}: {detail}"
    assert not CANARY.exists()


def test_limits_are_per_row(host_state):
    """A tight memory limit on one row does not leak to the next."""
    tight = stdin_row("x = bytearray(300 * 1024 ** 2)\nprint('ok')", "ok", memory_limit_mb=128)
    loose = stdin_row("x = bytearray(300 * 1024 ** 2)\nprint('ok')", "ok", memory_limit_mb=1024)
    assert verify_one(tight, host_state["pool"])["verdict"] == "memory_limit"
    assert verify_one(loose, host_state["pool"])["verdict"] == "accepted"
    assert Limits(memory_limit_mb=128).validate().memory_limit_mb == 128


def test_a_killed_worker_is_replaced(sandbox_pool):
    """If a worker dies (here: its processes inside the sandbox are killed from the host), the
    next row restarts it and still gets a correct verdict; the batch never crashes."""
    import signal as _signal

    benign = stdin_row("print(int(input()) * 2)", "84", tests=[{"input": "42", "output": "84"}])
    with sandbox_pool.worker() as w:
        if w.proc is None:
            w.start()
        for p in psutil.process_iter(["uids", "name"]):
            if p.info["uids"].real == w.lease.uid and p.info["name"].startswith("python"):
                p.send_signal(_signal.SIGKILL)
        w.proc.wait(timeout=10)  # the sandbox's bwrap exits when its child dies
        before = w.restarts
    results = [verify_one(benign, sandbox_pool)["verdict"] for _ in range(sandbox_pool.size * 2)]
    assert results == ["accepted"] * len(results)
    assert sum(x.restarts for x in sandbox_pool._all) >= before + 1


def test_nothing_carries_over_between_rows(host_state):
    """Files planted anywhere writable (/tmp, its job dir, /dev/shm) are gone for the next row."""
    pool = host_state["pool"]
    plant = stdin_row("import os\nfor p in ('/tmp/planted', '/tmp/job/planted', '/dev/shm/planted'):\n"
                      "    try:\n        open(p, 'w').write('x')\n    except OSError:\n        pass\nprint('ok')", "ok")
    check = stdin_row("import os\nprint([p for p in ('/tmp/planted', '/tmp/job/planted', '/dev/shm/planted') "
                      "if os.path.exists(p)])", "[]")
    for row in [plant] * pool.size + [check] * pool.size:
        assert verify_one(row, pool, limits=None)["verdict"] == "accepted"
