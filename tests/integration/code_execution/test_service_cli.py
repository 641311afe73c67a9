"""The HTTP service started for real (POST /execute, POST /verify) and the ``nsl verify-code`` CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from nemo_skills_lite.code_execution.client import execute_remote, verify_rows_remote
from tests.fixtures.common import require
from tests.fixtures.sandbox import sandbox_problem

pytestmark = pytest.mark.sandbox
PORT = 18120
ROWS = [
    {"id": "ok", "code": "print(sum(map(int, input().split())))", "tests": [{"input": "2 3", "output": "5"}]},
    {"id": "wa", "code": "print(0)", "tests": [{"input": "2 3", "output": "5"}]},
    {"id": "he", "code": "def f(x):\n    return x * 2\n", "test": "def check(c):\n    assert c(2) == 4\n",
     "entry_point": "f"},
    {"id": "bad", "code": 5, "tests": []},
]


@pytest.fixture(scope="module")
def service():
    require(sandbox_problem() is None, f"real sandbox: {sandbox_problem()}")
    proc = subprocess.Popen([sys.executable, "-m", "nemo_skills_lite.code_execution.service", "--port", str(PORT),
                             "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{PORT}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"sandbox service did not start: {proc.stdout.read() if proc.stdout else ''}")
        time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_service_module_imports_only_code_execution():
    code = ("import sys, nemo_skills_lite.code_execution.service\n"
            "bad = [m for m in sys.modules if m.startswith('nemo_skills_lite.') and not m.startswith("
            "'nemo_skills_lite.code_execution')]\nprint(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stderr


def test_health_and_execute(service):
    assert httpx.get(f"{service}/health").json() == {"status": "ok", "workers": 2, "isolated": True}
    r = execute_remote("import sys\nprint(sys.stdin.read().upper())", std_input="hi", url=service)
    assert (r["process_status"], r["stdout"]) == ("completed", "HI\n")
    r = execute_remote("while True: pass", timeout=0.5, url=service)
    assert r["process_status"] == "timeout"
    r = execute_remote("raise SystemExit(3)", url=service)
    assert (r["process_status"], r["exit_code"]) == ("error", 3)
    r = execute_remote("#include <cstdio>\nint main(){int a;scanf(\"%d\",&a);printf(\"%d\\n\",a*a);}",
                       language="cpp", std_input="7", url=service)
    assert (r["process_status"], r["stdout"]) == ("completed", "49\n")
    bad = httpx.post(f"{service}/execute", json={"generated_code": "print(1)", "language": "rust"})
    assert bad.status_code == 422 and "python" in bad.text


def test_verify_batch(service):
    out = verify_rows_remote(ROWS, url=service)
    assert [(r["id"], r["verdict"]) for r in out] == [("ok", "accepted"), ("wa", "wrong_answer"),
                                                      ("he", "accepted"), ("bad", "error")]
    assert "code" in out[3]["error"]
    assert httpx.post(f"{service}/verify", json={"rows": "nope"}).status_code == 422


def test_cli_end_to_end(tmp_path):
    require(sandbox_problem() is None, f"real sandbox: {sandbox_problem()}")
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    gen = {"id": "gen", "generation": "<think>```python\nprint(1)\n```</think>\nFinal:\n```python\nprint(int(input())+1)\n```",
           "tests": [{"input": "41", "output": "42"}]}
    lines = [json.dumps(r) for r in ROWS + [gen, ROWS[0]]] + ["{not json", "[1, 2]"]
    src.write_text("\n".join(lines) + "\n")
    p = subprocess.run([sys.executable, "-m", "nemo_skills_lite.cli", "verify-code", str(src), str(dst),
                        "--workers", "2"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    out = [json.loads(line) for line in dst.read_text().splitlines()]
    assert [r["verdict"] for r in out] == ["accepted", "wrong_answer", "accepted", "error", "accepted",
                                          "accepted", "error", "error"]
    assert out[4]["code"].strip() == "print(int(input())+1)"  # the block after </think>, not inside it
    assert "in.jsonl:7" in out[6]["error"] and "in.jsonl:8" in out[7]["error"]
    assert "[verify-code] finished 8 rows" in p.stderr and "4/8 passed" in p.stderr and "cache hits 1" in p.stderr
    # bad arguments: one clear line, exit code 2, nothing written
    p = subprocess.run([sys.executable, "-m", "nemo_skills_lite.cli", "verify-code", str(src), str(src)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "is the input file" in p.stderr and "Traceback" not in p.stderr
    p = subprocess.run([sys.executable, "-m", "nemo_skills_lite.cli", "verify-code", str(tmp_path / "nope.jsonl"),
                        str(dst)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "not found" in p.stderr
    assert os.path.exists(dst)


def test_verify_refuses_a_bad_checker_before_running(service):
    rows = [{"id": "ok", "code": "print(1)", "tests": [{"input": "", "output": "1"}]},
            {"id": "bad", "code": "print(1)", "tests": [{"input": "", "output": "1"}], "checker": {"language": "go", "source": "x"}}]
    r = httpx.post(f"{service}/verify", json={"rows": rows}, timeout=60)
    assert r.status_code == 422 and "row 2 (bad): checker: language 'go' is not valid" in r.text
    ok = httpx.post(f"{service}/verify", json={"rows": [{**rows[0], "checker": "def check(i, o, e):\n    return o.strip() == '1'\n"}]},
                    timeout=60).json()["rows"]
    assert ok[0]["verdict"] == "accepted"


def test_verify_code_task_through_the_service_extracts_generations(service, tmp_path):
    """verify_code with a sandbox URL (with_sandbox=True jobs): rows carrying a model 'generation' get their final
    code block extracted by the task before they are sent; a generation without one is a 'bad row' verdict."""
    good = "<think>add</think>\n```python\nprint(sum(map(int, input().split())))\n```"
    rows = [{"id": 0, "generation": good, "tests": [{"input": "2 3", "output": "5"}]},
            {"id": 1, "generation": "no code at all", "tests": [{"input": "2 3", "output": "5"}]},
            {"id": 2, "code": "print(0)", "tests": [{"input": "2 3", "output": "5"}]}]
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    p = subprocess.run([sys.executable, "-m", "nemo_skills_lite.code_execution.verify_task", f"++input_file={inp}",
                        f"++output_file={out}", f"++sandbox_url={service}"], capture_output=True, text=True,
                       timeout=300, cwd=Path(__file__).resolve().parents[3])
    assert p.returncode == 0, p.stderr
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["verdict"] for r in got] == ["accepted", "error", "wrong_answer"]
    assert "code block" in got[1]["error"] and got[0]["is_correct"] and not got[2]["is_correct"]
