#!/usr/bin/env python3
"""Rows/s of ``generate`` vs a saturating client on the same vLLM server, same requests, same concurrency.

The saturating client is the floor of client-side work: it sends exactly the requests ``generate`` sends
(same filled prompts, same sampling parameters) with a bare aiohttp loop and keeps only the replies in
memory. Both run as fresh processes, timed from the outside (start-up included): ``generate`` also does
its resume file, progress, final atomic write and marker. Rounds alternate; the median of the per-round
ratios is reported (the machine may be shared, so single rounds are noisy).

    scripts/vllm_server.sh start /opt/nsl/models/tiny-qwen2 18000 tiny-qwen2
    /opt/nsl/venv/bin/python benchmarks/generation_throughput.py --url http://127.0.0.1:18000 --rows 600
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nemo_skills_lite.configs.generation import InferenceConfig  # noqa: E402
from nemo_skills_lite.inference.client import sampling_params  # noqa: E402
from nemo_skills_lite.inference.prompts import Prompt, load_prompt_config  # noqa: E402
from nemo_skills_lite.inference.servers import served_models  # noqa: E402

DATA = ROOT / "tests" / "data" / "inference" / "gsm8k_120.jsonl"


def make_input(path: Path, rows: int) -> list[dict]:
    base = [json.loads(x) for x in DATA.read_text().splitlines()]
    data = [{**base[i % len(base)], "id": i} for i in range(rows)]
    path.write_text("".join(json.dumps(r) + "\n" for r in data))
    return data


async def saturating(url: str, model: str, rows: list[dict], tokens: int, concurrency: int) -> float:
    prompt = Prompt(load_prompt_config("generic/math"))
    params = sampling_params(InferenceConfig(tokens_to_generate=tokens, temperature=1.0), "vllm")
    bodies = [{"model": model, "messages": prompt.messages(r), **params} for r in rows]
    sem = asyncio.Semaphore(concurrency)
    out: list[dict] = []
    t0 = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as s:
        async def one(body: dict) -> None:
            async with sem:
                async with s.post(url + "/v1/chat/completions", json=body) as r:
                    out.append(await r.json())
        await asyncio.gather(*(one(b) for b in bodies))
    return len(out) / (time.perf_counter() - t0)


def run_saturating(url: str, model: str, inp: Path, tokens: int, concurrency: int) -> float:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, __file__, "--saturate", str(inp), "--url", url, "--tokens", str(tokens),
                        "--concurrency", str(concurrency), "--model", model], capture_output=True, text=True)
    el = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"saturating client failed: {r.stderr[-2000:]}")
    return int(r.stdout.strip().splitlines()[-1]) / el


def run_generate(url: str, model: str, inp: Path, out: Path, tokens: int, concurrency: int) -> float:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "nemo_skills_lite.inference.generate", f"++input_file={inp}",
                        f"++output_file={out}", "++prompt_config=generic/math", f"++server.base_url={url}",
                        f"++server.model={model}", f"++inference.tokens_to_generate={tokens}",
                        "++inference.temperature=1.0", f"++max_concurrent_requests={concurrency}"],
                       capture_output=True, text=True)
    el = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"generate failed: {r.stderr[-2000:]}")
    n = sum(1 for _ in out.open())
    return n / el


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:18000")
    ap.add_argument("--rows", type=int, default=600)
    ap.add_argument("--tokens", type=int, default=16)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--saturate", help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.saturate:
        rows = [json.loads(x) for x in Path(args.saturate).read_text().splitlines()]
        asyncio.run(saturating(args.url, args.model, rows, args.tokens, args.concurrency))
        print(len(rows))
        return 0
    model = served_models(args.url)[0]
    with tempfile.TemporaryDirectory(prefix="nsl-bench-") as tmp:
        inp = Path(tmp) / "in.jsonl"
        rows = make_input(inp, args.rows)
        asyncio.run(saturating(args.url, model, rows[:64], args.tokens, args.concurrency))  # warm-up
        sat, gen = [], []
        for i in range(args.rounds):
            first_gen = i % 2 == 1  # alternate who goes first
            if first_gen:
                gen.append(run_generate(args.url, model, inp, Path(tmp) / f"out{i}.jsonl", args.tokens, args.concurrency))
            sat.append(run_saturating(args.url, model, inp, args.tokens, args.concurrency))
            if not first_gen:
                gen.append(run_generate(args.url, model, inp, Path(tmp) / f"out{i}.jsonl", args.tokens, args.concurrency))
    ratios = sorted(g / s for g, s in zip(gen, sat))
    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    print(f"\ngeneration throughput: {args.rows} rows, {args.tokens} tokens, concurrency {args.concurrency}, "
          f"model {model}, {args.rounds} alternating rounds (medians)")
    print("| client | rows/s | vs saturating |")
    print("|---|---|---|")
    print(f"| saturating aiohttp loop (no files) | {med(sat):.1f} | 1.00 |")
    print(f"| nsl generate | {med(gen):.1f} | {med(ratios):.2f} (per-round ratios {ratios[0]:.2f}..{ratios[-1]:.2f}) |")
    print(json.dumps({"saturating": sat, "generate": gen}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
