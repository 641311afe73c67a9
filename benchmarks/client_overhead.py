#!/usr/bin/env python3
"""Client overhead: client CPU microseconds per chat request of OpenAI-compatible clients, same local server.

Each client runs in its own subprocess (its own interpreter if given) against the same zero-latency fake
OpenAI-compatible server (tests/unit/inference/fake_openai.py, aiohttp, its own process), at the same
concurrency; rounds alternate the clients. After a warm-up (connections open, lazy imports done) a child sends
--requests chat completions and reports the CPU time of its whole process (all threads) and the wall time.

  - nsl          : nemo_skills_lite AsyncClient (aiohttp; retries, replica round-robin, reasoning split)
  - openai       : openai SDK AsyncOpenAI as shipped (its default httpx client)
  - openai-aio   : openai SDK with its aiohttp backend (``http_client=DefaultAioHttpClient()``, the
                   ``openai[aiohttp]`` extra)
  - openai-httpx : openai SDK given a plain ``httpx.AsyncClient`` (what this benchmark did before 2026-12-06)
  - litellm      : ``litellm.acompletion`` (what NeMo-Skills uses; ``openai/`` provider), its own venv
  - aiohttp      : bare aiohttp, one ClientSession, post + ``json()`` (the floor: no client does less)

    /opt/nsl/venv/bin/python benchmarks/client_overhead.py --requests 3000 --concurrency 64 --rounds 3 \\
        --litellm-python /tmp/bench-venv/bin/python

litellm is not a project dependency: install it in a scratch venv (pinned, not the compromised 1.107.0), e.g.
``python3 -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install litellm==1.80.0``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUB = ROOT / "tests" / "unit" / "inference" / "fake_openai.py"
MESSAGES = [{"role": "user", "content": "What is 2 + 2? Answer with a number."}]
PARAMS = {"max_tokens": 16, "temperature": 0.0, "seed": 0}
KINDS = ("nsl", "openai", "openai-aio", "openai-httpx", "litellm", "aiohttp")
LABELS = {"nsl": "nsl AsyncClient (aiohttp)", "openai": "openai SDK {v}, default client (httpx)",
          "openai-aio": "openai SDK {v}, DefaultAioHttpClient (aiohttp)",
          "openai-httpx": "openai SDK {v}, plain httpx {hv} AsyncClient (old setup)",
          "litellm": "litellm {v} (`openai/` provider)", "aiohttp": "bare aiohttp {v} (floor)"}


async def _drive(call, n: int, concurrency: int, warmup: int) -> dict:
    sem = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with sem:
            await call()

    await asyncio.gather(*(one() for _ in range(warmup)))  # connections, lazy imports, caches
    c0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"cpu_us": cpu / n * 1e6, "rps": n / wall}


async def worker(kind: str, url: str, n: int, concurrency: int, warmup: int) -> dict:
    if kind == "nsl":
        sys.path.insert(0, str(ROOT))
        from nemo_skills_lite.inference.client import AsyncClient, ClientSettings

        async with AsyncClient(ClientSettings([url], "fake-model", max_connections=concurrency)) as c:
            return await _drive(lambda: c.chat(MESSAGES, PARAMS), n, concurrency, warmup)
    if kind.startswith("openai"):
        import openai
        from openai import AsyncOpenAI

        http_client = None
        if kind == "openai-aio":
            http_client = openai.DefaultAioHttpClient()
        elif kind == "openai-httpx":
            import httpx

            http_client = httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency))
        client = AsyncOpenAI(base_url=url + "/v1", api_key="x", max_retries=0, http_client=http_client)
        return await _drive(lambda: client.chat.completions.create(model="fake-model", messages=MESSAGES, **PARAMS),
                            n, concurrency, warmup)
    if kind == "litellm":
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm

        litellm.telemetry = False
        return await _drive(lambda: litellm.acompletion(model="openai/fake-model", api_base=url + "/v1", api_key="x",
                                                        messages=MESSAGES, **PARAMS), n, concurrency, warmup)
    if kind == "aiohttp":
        import aiohttp

        body = {"model": "fake-model", "messages": MESSAGES, **PARAMS}
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as s:
            async def call() -> None:
                async with s.post(url + "/v1/chat/completions", json=body) as r:
                    r.raise_for_status()
                    (await r.json())["choices"][0]["message"]["content"]

            return await _drive(call, n, concurrency, warmup)
    raise SystemExit(f"unknown client {kind}")


def versions(kind: str) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    def v(pkg: str) -> str:
        try:
            return version(pkg)
        except PackageNotFoundError:
            return "?"
    pkg = {"nsl": "aiohttp", "aiohttp": "aiohttp", "litellm": "litellm"}.get(kind, "openai")
    return {"v": v(pkg), "hv": v("httpx")}


def run_worker(python: str, kind: str, args) -> dict | str:
    r = subprocess.run([python, __file__, "--worker", kind, "--url", args.url, "--requests", str(args.requests),
                        "--concurrency", str(args.concurrency), "--warmup", str(args.warmup)],
                       capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        return f"failed: {(r.stderr.strip().splitlines() or ['?'])[-1][:100]}"
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are reported")
    ap.add_argument("--port", type=int, default=18060)
    ap.add_argument("--litellm-python", default=None, help="python of a venv with litellm (skipped if not given)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        async def measure_and_exit() -> None:
            out = await worker(args.worker, args.url, args.requests, args.concurrency, args.warmup)
            print(json.dumps({**out, **versions(args.worker)}), flush=True)
            os._exit(0)  # litellm leaves background tasks that keep asyncio.run from returning
        asyncio.run(measure_and_exit())
        return 0

    args.url = f"http://127.0.0.1:{args.port}"
    stub = subprocess.Popen([sys.executable, str(STUB), "--port", str(args.port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    pythons = {k: sys.executable for k in KINDS}
    if args.litellm_python:
        pythons["litellm"] = args.litellm_python
    else:
        del pythons["litellm"]
    results: dict[str, list] = {k: [] for k in pythons}
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(args.url + "/v1/models", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        for rnd in range(args.rounds):
            for kind, py in pythons.items():
                results[kind].append(run_worker(py, kind, args))
                print(f"round {rnd + 1} {kind}: {results[kind][-1]}", file=sys.stderr, flush=True)
    finally:
        stub.terminate()
        stub.wait()

    ok = {k: [r for r in v if isinstance(r, dict)] for k, v in results.items()}
    med = {k: (statistics.median(r["cpu_us"] for r in v), statistics.median(r["rps"] for r in v)) for k, v in ok.items()
           if v}
    floor, ours = med["aiohttp"][0], med["nsl"][0]
    print(f"\nclient overhead: {args.requests} chat requests after {args.warmup} warm-up, concurrency "
          f"{args.concurrency}, same zero-latency aiohttp fake server (own process); median of {args.rounds} "
          "alternating rounds. Limit: bare aiohttp (floor).")
    print("| client | client CPU µs/request | req/s | CPU vs floor | this / nsl (CPU) |")
    print("|---|---:|---:|---:|---:|")
    for kind in pythons:
        if kind not in med:
            print(f"| {kind} | {results[kind][-1]} | - | - | - |")
            continue
        cpu, rps = med[kind]
        label = LABELS[kind].format(**{k: ok[kind][0][k] for k in ("v", "hv")})
        print(f"| {label} | {cpu:.0f} | {rps:.0f} | {cpu / floor:.2f}x | {cpu / ours:.2f}x |")
    print(json.dumps({"requests": args.requests, "concurrency": args.concurrency, "rounds": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
