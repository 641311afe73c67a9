#!/usr/bin/env python3
"""Start-up of one chunk job: time to have its rows in memory and peak RSS, for a large JSONL input.

    /opt/nsl/venv/bin/python benchmarks/chunk_input.py --rows 1000000 --num-chunks 100 --chunk-id 57

Writes a synthetic input (math-problem-shaped rows, ~--row-bytes each), then runs each variant in its own
fresh interpreter (so peak RSS is the variant's own: the child's VmHWM), alternating, --rounds times:

  - before        : what ``GenerationTask.load_data`` did on git main until 2026-12-06 (re-implemented here
                    line for line: ``list(read_jsonl(input))``, cut to max_samples, slice by chunk_bounds);
                    ``read_jsonl`` is the package's, unchanged
  - index, build  : ``load_chunk`` with no index yet (the first job of a stage builds and stores it)
  - index, reuse  : ``load_chunk`` with the stored index (every other seed and chunk)
  - streaming     : ``load_chunk`` where no index can be stored (read-only input and output dirs)
  - floor         : an oracle that already knows the chunk's byte range: seek, read, parse (the limit)
  - interpreter   : the child with the imports and nothing loaded (RSS every variant pays)

The page cache is warm for all variants (the input was just written / read); cold-cache times on a
network file system are larger for every variant that reads more bytes, i.e. they favour "before".
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORDS = ("let n be a positive integer such that the sum of its digits equals twice the number of its divisors "
         "find the smallest such n greater than one hundred and prove that the triangle abc with sides three "
         "four five has an inscribed circle of radius one compute the probability that two dice show").split()
VARIANTS = ("before", "index-build", "index-reuse", "streaming", "floor", "interpreter")


def make_input(path: Path, rows: int, row_bytes: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        for i in range(rows):
            n_words = max(5, int(rng.gauss(row_bytes / 6, row_bytes / 24)))
            problem = " ".join(rng.choice(WORDS) for _ in range(n_words))
            f.write(json.dumps({"id": i, "problem": problem, "expected_answer": str(rng.randint(0, 999)),
                                "source": "synthetic"}) + "\n")


def old_load_data(input_file: str, num_chunks: int | None, chunk_id: int | None, max_samples: int = -1) -> list:
    """GenerationTask.load_data as on git main before the row index (d5f30fd)."""
    from nemo_skills_lite.utils.io import read_jsonl
    from nemo_skills_lite.utils.line_index import chunk_bounds  # the same function, moved unchanged

    rows = list(read_jsonl(input_file))
    if max_samples >= 0:
        rows = rows[: max_samples]
    start, end = chunk_bounds(len(rows), num_chunks, chunk_id)
    return rows[start:end]


def child(variant: str, inp: str, num_chunks: int, chunk_id: int, lo: int, hi: int, workdir: str) -> dict:
    sys.path.insert(0, str(ROOT))
    from nemo_skills_lite.utils import line_index

    t0, c0 = time.perf_counter(), time.process_time()
    if variant == "before":
        rows = old_load_data(inp, num_chunks, chunk_id)
    elif variant in ("index-build", "index-reuse"):
        rows = line_index.load_chunk(inp, num_chunks, chunk_id, fallback_dir=workdir)
    elif variant == "streaming":
        line_index.index_paths = lambda *_a: []  # nowhere writable: the streaming passes
        rows = line_index.load_chunk(inp, num_chunks, chunk_id)
    elif variant == "floor":
        with open(inp, "rb") as f:
            f.seek(lo)
            rows = [json.loads(line) for line in f.read(hi - lo).split(b"\n") if line.strip()]
    else:
        rows = []
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    # VmHWM: this interpreter's own peak (ru_maxrss would also count the parent's RSS at fork, kept over exec)
    hwm = [line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:")]
    rss_mb = int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"s": dt, "cpu_s": cpu, "rss_mb": rss_mb, "rows": len(rows), "first": rows[0]["id"] if rows else None}


def run_child(args, variant: str, lo: int, hi: int) -> dict:
    if variant == "index-build":
        for p in Path(args.input).parent.glob("*.nsl-index"):
            p.unlink()
        for p in Path(args.input).parent.glob(".*.nsl-index"):
            p.unlink()
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, __file__, "--child", variant, "--input", args.input, "--num-chunks",
                        str(args.num_chunks), "--chunk-id", str(args.chunk_id), "--lo", str(lo), "--hi", str(hi)],
                       capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise SystemExit(f"{variant} failed:\n{r.stderr[-2000:]}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["process_s"] = time.perf_counter() - t0
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--row-bytes", type=int, default=400, help="approximate size of a row")
    ap.add_argument("--num-chunks", type=int, default=100)
    ap.add_argument("--chunk-id", type=int, default=57)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workdir", default="/tmp/nsl-chunk-input-bench")
    ap.add_argument("--keep", action="store_true", help="keep the input file")
    ap.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    ap.add_argument("--input", help=argparse.SUPPRESS)
    ap.add_argument("--lo", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--hi", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.input, args.num_chunks, args.chunk_id, args.lo, args.hi,
                               str(Path(args.input).parent))))
        return 0

    sys.path.insert(0, str(ROOT))
    from nemo_skills_lite.utils.line_index import chunk_bounds, row_index

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    args.input = str(work / f"input-{args.rows}x{args.row_bytes}.jsonl")
    if not Path(args.input).exists():
        t = time.perf_counter()
        make_input(Path(args.input), args.rows, args.row_bytes)
        print(f"wrote {args.input} in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    size_mb = os.path.getsize(args.input) / 2**20
    idx = row_index(args.input)  # for the oracle's byte range
    start, end = chunk_bounds(idx.count, args.num_chunks, args.chunk_id)
    lo, hi = idx.span(start, end)
    hi = os.path.getsize(args.input) if hi is None else hi
    index_mb = os.path.getsize(idx.index_file) / 2**20

    results: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    for rnd in range(args.rounds):
        for v in VARIANTS:
            results[v].append(run_child(args, v, lo, hi))
            print(f"round {rnd + 1} {v}: {results[v][-1]}", file=sys.stderr)
    for v, rs in results.items():
        if v != "interpreter" and {(r["rows"], r["first"]) for r in rs} != {(end - start, start)}:
            raise SystemExit(f"{v} loaded the wrong rows: {rs}")

    def med(v: str, k: str) -> float:
        return statistics.median(r[k] for r in results[v])

    print(f"\nchunk input: {args.rows:,} rows, {size_mb:.0f} MiB, chunk {args.chunk_id} of {args.num_chunks} "
          f"({end - start:,} rows, {(hi - lo) / 2**20:.1f} MiB); index {index_mb:.1f} MiB; median of "
          f"{args.rounds} alternating rounds, warm page cache")
    load = os.getloadavg()
    print(f"load average at the end (1/5/15 min): {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} on {os.cpu_count()} "
          "cores; 'load' = from the call to rows in memory, 'process' = the whole child incl. interpreter start")
    print("| variant | load CPU s | load wall s | process wall s | peak RSS MiB | CPU vs floor | RSS vs floor "
          "| CPU vs before | RSS vs before |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    labels = {"before": "before: read all + slice (git main)", "index-build": "index, first job (builds it)",
              "index-reuse": "index, later jobs (reuse)", "streaming": "no writable place (2 streaming passes)",
              "floor": "floor: oracle byte range, read + parse", "interpreter": "interpreter + imports only"}
    for v in VARIANTS:
        cpu, rss = med(v, "cpu_s"), med(v, "rss_mb")
        ratios = (f"{cpu / med('floor', 'cpu_s'):.2f}x | {rss / med('floor', 'rss_mb'):.2f}x | "
                  f"{cpu / med('before', 'cpu_s'):.3f}x | {rss / med('before', 'rss_mb'):.3f}x")
        print(f"| {labels[v]} | {cpu:.3f} | {med(v, 's'):.3f} | {med(v, 'process_s'):.2f} | {rss:.0f} | {ratios} |")
    if not args.keep:
        for p in [*work.glob("input-*"), *work.glob(".input-*")]:
            p.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
