#!/usr/bin/env python3
"""prepare_data throughput on synthetic OpenCodeReasoning-shaped rows with the OCR filter set.

    python benchmarks/prepare_data_throughput.py --rows 736712 [--baseline-rows N] [--workdir DIR]

Generates rows like OCR's R1 generations (``<think>`` reasoning with log-normal length, an answer
with a final ```python or ```cpp block; a few % truncated, missing tags, code in the reasoning,
syntax errors, duplicates), then runs side by side, each in its own process with its process-tree
RSS sampled:
  - streaming  : prepare_data (this project) with one worker per core
  - streaming-1: prepare_data with one worker (in-process)
  - in-memory  : the NeMo-Skills shape (read every row into a list, filter, shuffle, write), the same
                 filter functions, on the same rows (--baseline-rows only to shrink it on a small machine:
                 it needs ~5.7 KB of RAM a row)
  - floor      : read, json-decode, json-encode and write every row, nothing else (one process): the
                 limit for any single-process implementation that parses its input and writes JSONL
Prints a table with rows/s, CPU s, peak RSS and ratios vs in-memory and vs the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

WORDS = ("we need to find the minimum number of operations so that every element becomes equal let us consider "
         "the array sorted in non decreasing order then the answer is the sum of differences wait maybe a greedy "
         "approach works better because each step reduces the maximum by one hmm but what about the edge case "
         "when n equals one so the loop should start from index two and we keep a running prefix sum").split()

PY_CODE = ["import sys\n\ndef main():\n    data = sys.stdin.read().split()\n    n = int(data[0])\n"
           "    a = list(map(int, data[1:1 + n]))\n    a.sort()\n    total = 0\n    for i in range(1, n):\n"
           "        total += a[i] - a[i - 1]\n    print(total)\n\nif __name__ == \"__main__\":\n    main()\n",
           "n, k = map(int, input().split())\nres = []\nfor i in range(n):\n    if i % k == 0:\n"
           "        res.append(str(i))\nprint(' '.join(res))\n"]
CPP_CODE = ["#include <bits/stdc++.h>\nusing namespace std;\nint main() {\n    int n; cin >> n;\n"
            "    vector<long long> a(n);\n    for (auto &x : a) cin >> x;\n    sort(a.begin(), a.end());\n"
            "    long long s = 0;\n    for (int i = 1; i < n; ++i) s += a[i] - a[i-1];\n"
            "    cout << s << endl;\n    return 0;\n}\n"]
BROKEN = {"python": "def main(:\n    print(1\n", "cpp": "int main() { int x = ; return 0 }\n"}


def _text(rng: random.Random, n_words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n_words))


def make_row(i: int, rng: random.Random) -> dict:
    lang = "python" if rng.random() < 0.7 else "cpp"
    code = rng.choice(PY_CODE if lang == "python" else CPP_CODE)
    reasoning = _text(rng, int(min(6000, rng.lognormvariate(6.0, 0.7))))  # median ~400 words (~2.4k chars)
    problem = f"Problem {i % 28904}: " + _text(rng, int(min(800, rng.lognormvariate(5.0, 0.5))))
    u = rng.random()
    finish = "stop"
    if u < 0.03:
        code = BROKEN[lang]
    elif u < 0.05:
        reasoning += f"\n```{lang}\n{code}```\n"
    elif u < 0.07:
        finish = "length"
    answer = f"Here is the solution.\n\n```{lang}\n{code}```\n"
    if u > 0.98:
        answer = "I could not finish the code."
    head = "<think>\n" if rng.random() < 0.9 else ""
    if 0.07 <= u < 0.085:
        out = reasoning + "\n\n" + answer  # neither tag
    else:
        out = f"{head}{reasoning}\n</think>\n\n{answer}"
    return {"input": problem, "output": out, "finish_reason": finish, "source": "synthetic", "id": i}


def generate(path: Path, rows: int, seed: int = 0) -> None:
    """Write ``rows`` rows; 1 in 50 repeats an earlier row (exact duplicate)."""
    rng = random.Random(seed)
    pool: list[str] = []
    with open(path, "w", encoding="utf-8") as f:
        for i in range(rows):
            if pool and rng.random() < 0.02:
                line = rng.choice(pool)
            else:
                line = json.dumps(make_row(i, rng))
                if len(pool) < 5000:
                    pool.append(line)
                elif rng.random() < 0.01:
                    pool[rng.randrange(5000)] = line
            f.write(line + "\n")


OCR_OVERRIDES = ["++input_key=input", "++output_key=output", "++add_unlabeled=true",
                 "++filters.remove_len_outlier_problems=false", "++filters.remove_contaminated=false",
                 "++filters.trim_solutions=false", "++filters.drop_truncated=true",
                 "++filters.validate_think_tags=true", "++filters.drop_code_in_reasoning=true",
                 "++filters.extract_code_block=true", "++filters.check_code_syntax=true"]


def in_memory(inp: str, out: str) -> int:
    """NeMo-Skills' shape: every row in a list, then each filter over the list, shuffle, write."""
    from nemo_skills_lite.configs.prepare_data import PrepareDataConfig
    from nemo_skills_lite.training.steps import Chain
    from nemo_skills_lite.utils.overrides import parse_overrides

    cfg = parse_overrides(PrepareDataConfig, OCR_OVERRIDES + [f"++input_files={inp}", f"++output_path={out}"])
    chain = Chain(cfg, log=lambda m: None)
    with open(inp, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    seen = set()
    rows = [r for r in rows if not ((r["input"], r["output"]) in seen or seen.add((r["input"], r["output"])))]
    for _, fn in chain.steps:
        rows = [r for r in rows if fn(r) is None]
    random.Random(42).shuffle(rows)
    with open(out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(chain.formatter(r), ensure_ascii=False) + "\n")
    return len(rows)


def floor(inp: str, out: str) -> int:
    """The least any one-process JSONL-to-JSONL pass does: decode and encode every row, no filters."""
    n = 0
    with open(inp, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as w:
        for line in f:
            w.write(json.dumps(json.loads(line), ensure_ascii=False) + "\n")
            n += 1
    return n


def measure(cmd: list[str]) -> tuple[float, float, float, str]:
    """Run cmd; return (wall seconds, CPU seconds of the whole tree, peak tree RSS in MB, stderr tail).

    CPU seconds (user+sys of the process and its reaped children) do not grow when other jobs
    load the machine, so rows per CPU-second compares variants fairly on a shared box."""
    import resource

    import psutil

    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        p = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                procs = [p] + p.children(recursive=True)
                peak = max(peak, sum(q.memory_info().rss for q in procs if q.is_running()) / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.1)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _, err = proc.communicate()
    stop.set()
    th.join()
    secs = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err[-3000:]}")
    return secs, cpu, peak, err.strip().splitlines()[-1] if err.strip() else ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=736_712)
    ap.add_argument("--baseline-rows", type=int, default=None, help="in-memory baseline rows (default: --rows)")
    ap.add_argument("--workdir", default="/tmp/nsl-bench-prepare")
    ap.add_argument("--workers", type=int, default=0, help="streaming workers (0 = one per core)")
    ap.add_argument("--keep", action="store_true", help="keep the generated data")
    ap.add_argument("--_in_memory", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--_floor", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._in_memory:
        print(in_memory(*args._in_memory))
        return 0
    if args._floor:
        print(floor(*args._floor))
        return 0
    args.baseline_rows = args.baseline_rows or args.rows
    wd = Path(args.workdir)
    wd.mkdir(parents=True, exist_ok=True)
    big, small = wd / f"ocr-{args.rows}.jsonl", wd / f"ocr-{args.baseline_rows}.jsonl"
    t0 = time.perf_counter()
    if not big.exists():
        generate(big, args.rows)
    if args.baseline_rows == args.rows:
        small = big
    elif not small.exists():
        generate(small, args.baseline_rows)
    size_mb = big.stat().st_size / 2**20
    print(f"data: {args.rows} rows, {size_mb:.0f} MB ({size_mb * 2**20 / args.rows / 1024:.1f} KB/row); "
          f"generated in {time.perf_counter() - t0:.0f}s", flush=True)

    py = sys.executable
    prep = [py, "-m", "nemo_skills_lite.training.prepare_data"] + OCR_OVERRIDES
    runs = [
        ("streaming (workers=%s)" % (args.workers or os.cpu_count()), args.rows,
         prep + [f"++input_files={big}", f"++output_path={wd / 'out-stream.jsonl'}", f"++workers={args.workers}"]),
        ("streaming (workers=1)", args.rows,
         prep + [f"++input_files={big}", f"++output_path={wd / 'out-stream1.jsonl'}", "++workers=1"]),
        ("in-memory baseline", args.baseline_rows,
         [py, __file__, "--_in_memory", str(small), str(wd / "out-mem.jsonl")]),
        ("floor: parse + write only", args.rows, [py, __file__, "--_floor", str(big), str(wd / "out-floor.jsonl")]),
    ]
    results = []
    for name, n, cmd in runs:
        secs, cpu, peak, tail = measure(cmd)
        results.append((name, n, secs, cpu, peak))
        print(f"  {name}: {n} rows in {secs:.1f}s ({cpu:.1f} CPU s), peak RSS {peak:.0f} MB  [{tail[:160]}]",
              flush=True)
    _, bn, bsecs, bcpu, bpeak = results[2]
    _, fn, fsecs, fcpu, _ = results[3]
    load = os.getloadavg()
    print(f"\nload average during the run (1/5/15 min): {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} on {os.cpu_count()} cores")
    print("| variant | rows | wall s | rows/s | CPU s | rows/CPU-s | peak RSS MB | rows/s vs in-memory | "
          "rows/CPU-s vs in-memory | peak RSS vs in-memory at same rows | rows/CPU-s vs floor |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, n, secs, cpu, peak in results:
        print(f"| {name} | {n} | {secs:.1f} | {n / secs:,.0f} | {cpu:.1f} | {n / cpu:,.0f} | {peak:.0f} | "
              f"{(n / secs) / (bn / bsecs):.2f}x | {(n / cpu) / (bn / bcpu):.2f}x | {peak / (bpeak / bn * n):.2f}x | "
              f"{(n / cpu) / (fn / fcpu):.2f}x |")
    if bn != args.rows:
        print(f"(in-memory baseline on {bn} rows: its peak RSS ratio is scaled linearly to the row count)")
    if not args.keep:
        for p in wd.glob("*.jsonl"):
            p.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
