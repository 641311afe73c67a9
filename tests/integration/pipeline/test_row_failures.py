"""``++max_row_failures``: a row the server keeps refusing is tried that many times in a run, the other
rows are saved, the stage fails without a marker, and a rerun asks again for that row only. Against a
counting fake endpoint (exact attempt counts) and the real tiny vLLM (a prompt longer than its context)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from nemo_skills_lite.pipeline.cli import generate, wrap_arguments
from tests.integration.pipeline.helpers import nsl, rows, wait_stage, write_config

REQUESTS: Counter = Counter()


class PoisonHandler(BaseHTTPRequestHandler):
    """OpenAI chat endpoint that refuses (HTTP 400) every prompt containing POISON and counts requests."""

    def log_message(self, *_: object) -> None:
        pass

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        self._send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][-1]["content"]
        key = "poison" if "POISON" in prompt else prompt
        REQUESTS[key] += 1
        if key == "poison":
            self._send(400, {"error": {"message": "this row is refused on purpose", "type": "BadRequestError"}})
            return
        self._send(200, {"id": "x", "object": "chat.completion", "model": "fake-model",
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": "42"},
                                      "finish_reason": "stop"}],
                         "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}})


@pytest.fixture
def poison_server():
    REQUESTS.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), PoisonHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _input(path: Path, bad: str) -> str:
    problems = ["What is 1+1?", "What is 2+2?", bad, "What is 3+3?", "What is 4+4?"]
    path.write_text("".join(json.dumps({"problem": p, "idx": i}) + "\n" for i, p in enumerate(problems)))
    return str(path)


def _logs(cfg: str, expname: str) -> str:
    return nsl("logs", expname, "--cluster", cfg, "--failed").stdout


def test_max_row_failures_counts_attempts_and_a_rerun_retries_only_that_row(tmp_path: Path, poison_server) -> None:
    cfg = write_config(tmp_path / "c.yaml", "local")
    out = tmp_path / "out"
    kw = dict(cluster=cfg, input_file=_input(tmp_path / "in.jsonl", "POISON: what is 0/0?"), output_dir=str(out),
              expname="rowfail", server_address=poison_server, model="fake-model")
    base = "++prompt_config=generic/math ++server.retry_backoff_s=0.01 ++max_concurrent_requests=2"
    generate(ctx=wrap_arguments(f"{base} ++max_row_failures=2"), **kw)
    assert wait_stage(cfg, "rowfail", timeout=60) == "failed"
    assert REQUESTS["poison"] == 2 and sorted(REQUESTS.values()) == [1, 1, 1, 1, 2]  # the others: once each
    saved = rows(f"{out}/output.jsonl-async")
    assert sorted(r["idx"] for r in saved) == [0, 1, 3, 4]  # the good rows are kept ...
    assert not (out / "output.jsonl.done").exists() and not (out / "output.jsonl").exists()  # ... no marker
    logs = _logs(cfg, "rowfail")
    assert "1 row(s) failed and are not saved" in logs and "row 2" in logs and "refused on purpose" in logs

    h = generate(ctx=wrap_arguments(f"{base} ++max_row_failures=3"), **kw)  # the rerun: only the failed row
    assert h.units_submitted == 1
    assert wait_stage(cfg, "rowfail", timeout=60) == "failed"
    assert REQUESTS["poison"] == 5 and sorted(REQUESTS.values()) == [1, 1, 1, 1, 5]
    assert len(rows(f"{out}/output.jsonl-async")) == 4


@pytest.mark.vllm
@pytest.mark.slow
def test_a_prompt_longer_than_the_context_fails_its_row_on_real_vllm(tmp_path: Path, vllm_server) -> None:
    cfg = write_config(tmp_path / "c.yaml", "local")
    out = tmp_path / "out"
    long_problem = " ".join(["Consider the following sequence of numbers and explain it."] * 400)  # >> 1024 tokens
    generate(ctx=wrap_arguments("++prompt_config=generic/math ++inference.tokens_to_generate=8 ++max_row_failures=2"),
             cluster=cfg, input_file=_input(tmp_path / "in.jsonl", long_problem), output_dir=str(out),
             expname="toolong", server_address=vllm_server.url, model=vllm_server.model)
    assert wait_stage(cfg, "toolong", timeout=180) == "failed"
    assert sorted(r["idx"] for r in rows(f"{out}/output.jsonl-async")) == [0, 1, 3, 4]
    assert not (out / "output.jsonl.done").exists()
    logs = _logs(cfg, "toolong")
    assert "1 row(s) failed and are not saved" in logs and "row 2: HTTP 400" in logs
