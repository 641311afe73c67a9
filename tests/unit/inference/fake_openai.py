"""A small OpenAI-compatible fake server for fault injection and client-overhead benchmarks.

Not a stand-in for vLLM in integration tests: it answers deterministically (the reply is derived from the
prompt and seed, so a test can check every row got *its* answer) and, with probability ``--fault-rate``,
injects a fault: HTTP 500/503, a connection reset, or a slow reply (``--slow-s``).

    python tests/unit/inference/fake_openai.py --port 18010 --fault-rate 0.1
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
from collections import Counter

from aiohttp import web

STATS: Counter = Counter()


def reply_for(prompt: str, seed: object) -> str:
    h = hashlib.sha256(f"{prompt}|{seed}".encode()).hexdigest()[:12]
    return f"reply-{h}"


def make_app(fault_rate: float, slow_s: float, model: str, rng_seed: int, delay_s: float = 0.0) -> web.Application:
    rng = random.Random(rng_seed)

    async def fault() -> web.Response | None:
        if rng.random() >= fault_rate:
            return None
        kind = rng.choice(["500", "503", "reset", "slow"])
        STATS[kind] += 1
        if kind == "slow":
            await asyncio.sleep(slow_s)
            return None
        if kind == "reset":
            raise ConnectionResetError  # handled in the handler: abort the transport
        return web.Response(status=int(kind), text=json.dumps({"error": f"injected {kind}"}))

    async def answer(request: web.Request, chat: bool) -> web.StreamResponse:
        try:
            bad = await fault()
        except ConnectionResetError:
            request.transport.abort()  # type: ignore[union-attr]
            return web.Response(status=500)
        if bad is not None:
            return bad
        if delay_s:
            await asyncio.sleep(delay_s)
        body = await request.json()
        if chat:
            prompt = body["messages"][-1]["content"]
        else:
            prompt = body["prompt"]
        n = int(body.get("n", 1))
        texts = [reply_for(prompt, f"{body.get('seed')}/{i}") for i in range(n)]
        STATS["ok"] += 1
        choices = [({"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": "stop"} if chat
                    else {"index": i, "text": t, "finish_reason": "stop"}) for i, t in enumerate(texts)]
        return web.json_response({"id": "fake", "object": "chat.completion" if chat else "text_completion",
                                  "model": body.get("model"), "choices": choices,
                                  "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": 3 * n,
                                            "total_tokens": len(prompt.split()) + 3 * n}})

    async def chat(request: web.Request) -> web.StreamResponse:
        return await answer(request, True)

    async def completions(request: web.Request) -> web.StreamResponse:
        return await answer(request, False)

    async def models(_request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": model, "object": "model"}]})

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response(dict(STATS))

    app = web.Application()
    app.add_routes([web.post("/v1/chat/completions", chat), web.post("/v1/completions", completions),
                    web.get("/v1/models", models), web.get("/stats", stats)])
    return app


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--fault-rate", type=float, default=0.0)
    ap.add_argument("--slow-s", type=float, default=0.3)
    ap.add_argument("--model", default="fake-model")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--delay-s", type=float, default=0.0, help="every reply waits this long")
    args = ap.parse_args()
    web.run_app(make_app(args.fault_rate, args.slow_s, args.model, args.seed, args.delay_s), host="127.0.0.1", port=args.port,
                print=None, access_log=None)


if __name__ == "__main__":
    main()
