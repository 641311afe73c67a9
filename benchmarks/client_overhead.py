#!/usr/bin/env python3
"""Client overhead: requests/s of OpenAI-compatible clients against a zero-latency stub server.

Compares, side by side in one run and at the same concurrency, nemo_skills_lite's AsyncClient (aiohttp),
the openai SDK (AsyncOpenAI, httpx) and litellm (what NeMo-Skills uses). Each client runs in its own
subprocess (its own interpreter if given) against the same stub (tests/unit/inference/fake_openai.py).

    /opt/nsl/venv/bin/python benchmarks/client_overhead.py --requests 3000 --concurrency 64 \\
        --litellm-python /tmp/bench-venv/bin/python

litellm is not a project dependency: install it in a scratch venv (pinned, not 1.107.0) and pass its python.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUB = ROOT / "tests" / "unit" / "inference" / "fake_openai.py"
MESSAGES = [{"role": "user", "content": "What is 2 + 2? Answer with a number."}]


async def _drive(call, n: int, concurrency: int) -> float:
    sem = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with sem:
            await call()

    await one()  # warm-up: connection, lazy imports
    t0 = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    return n / (time.perf_counter() - t0)


async def worker(kind: str, url: str, n: int, concurrency: int) -> float:
    params = {"max_tokens": 16, "temperature": 0.0, "seed": 0}
    if kind == "nsl":
        sys.path.insert(0, str(ROOT))
        from nemo_skills_lite.inference.client import AsyncClient, ClientSettings

        async with AsyncClient(ClientSettings([url], "fake-model", max_connections=concurrency)) as c:
            return await _drive(lambda: c.chat(MESSAGES, params), n, concurrency)
    if kind == "openai":
        import httpx
        from openai import AsyncOpenAI

        client = AsyncOpenAI(base_url=url + "/v1", api_key="x", max_retries=0,
                             http_client=httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)))
        return await _drive(lambda: client.chat.completions.create(model="fake-model", messages=MESSAGES, **params),
                            n, concurrency)
    if kind == "litellm":
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm

        litellm.telemetry = False
        return await _drive(lambda: litellm.acompletion(model="openai/fake-model", api_base=url + "/v1", api_key="x",
                                                        messages=MESSAGES, **params), n, concurrency)
    raise SystemExit(f"unknown client {kind}")


def run_worker(python: str, kind: str, url: str, n: int, concurrency: int) -> float | str:
    r = subprocess.run([python, __file__, "--worker", kind, "--url", url, "--requests", str(n),
                        "--concurrency", str(concurrency)], capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        return f"failed: {(r.stderr.strip().splitlines() or ['?'])[-1][:80]}"
    return float(r.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds; the best round is reported")
    ap.add_argument("--port", type=int, default=18060)
    ap.add_argument("--litellm-python", default=sys.executable)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        async def measure_and_exit() -> None:
            print(await worker(args.worker, args.url, args.requests, args.concurrency), flush=True)
            os._exit(0)  # litellm leaves background tasks that keep asyncio.run from returning
        asyncio.run(measure_and_exit())
        return 0

    url = f"http://127.0.0.1:{args.port}"
    stub = subprocess.Popen([sys.executable, str(STUB), "--port", str(args.port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/v1/models", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        pythons = {"nsl": sys.executable, "openai": sys.executable, "litellm": args.litellm_python}
        results: dict[str, list[float | str]] = {k: [] for k in pythons}
        for _ in range(args.rounds):
            for kind, py in pythons.items():
                results[kind].append(run_worker(py, kind, url, args.requests, args.concurrency))
    finally:
        stub.terminate()
        stub.wait()

    best = {k: max((x for x in v if isinstance(x, float)), default=None) for k, v in results.items()}
    print(f"\nclient overhead: {args.requests} chat requests, concurrency {args.concurrency}, zero-latency stub, "
          f"best of {args.rounds} alternating rounds")
    print("| client | req/s | nsl / this |")
    print("|---|---|---|")
    for kind, rate in best.items():
        if rate is None:
            print(f"| {kind} | {results[kind][-1]} | - |")
        else:
            ratio = (best['nsl'] or 0) / rate
            print(f"| {kind} | {rate:.0f} | {ratio:.2f}x |")
    print(json.dumps({"requests": args.requests, "concurrency": args.concurrency,
                      "rounds": {k: v for k, v in results.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
