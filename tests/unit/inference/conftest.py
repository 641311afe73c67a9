"""Helpers for the generation-engine unit tests: the fault-injecting fake server and a generate runner."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

FAKE = Path(__file__).with_name("fake_openai.py")
PY = sys.executable
_next_port = [18010]  # 18010-18049: fake servers of this module


def free_port() -> int:
    while _next_port[0] < 18050:
        port = _next_port[0]
        _next_port[0] += 1
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port in 18010-18049")


class Fake:
    def __init__(self, **opts: object) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [PY, str(FAKE), "--port", str(self.port)]
        for k, v in opts.items():
            args += [f"--{k.replace('_', '-')}", str(v)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/v1/models", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("fake server did not start")

    def stats(self) -> dict:
        return json.load(urllib.request.urlopen(self.url + "/stats", timeout=5))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture
def fake_server():
    servers: list[Fake] = []

    def start(**opts: object) -> Fake:
        servers.append(Fake(**opts))
        return servers[-1]

    yield start
    for s in servers:
        s.stop()


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def read_rows(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def run_module(module: str, *overrides: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", module, *overrides], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
