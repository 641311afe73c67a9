"""``nsl summarize-results DIR``: metrics tables for graded eval outputs, and ``metrics.json``.

DIR holds one folder per benchmark (``DIR/gsm8k/output-rs0.jsonl ...`` or ``output.jsonl``), or is
itself such a folder. Rows of the same line number across seed files are one problem. The metric
type (math | code | multichoice | ifeval | answer-judgement) comes from the benchmark definition when
the name is known, else from the rows (``is_correct`` -> code, ``strict_eval`` -> ifeval,
``expected_judgement`` -> answer-judgement, ``proof_status`` -> lean4-proof, else math). Rows with ``subset_for_metrics`` also get a ``<benchmark>-<subset>``
section. ``--max_seq_len N`` grades generations longer than N tokens as wrong and writes
``metrics-msN.json``. Tables print like NeMo-Skills' ``summarize_results``. Rows graded by
``evaluate`` carry ``extraction_path``; its counts (over all seeds) go to ``answer_extraction`` in the
benchmark's section and to a line under its table.

``--cluster NAME`` reads DIR where that cluster keeps it: over the ``ssh_tunnel`` (the seed files are
copied to ``--local_dir``, default a temporary folder, and metrics.json is written next to that copy
unless ``--save_metrics_path``), or, without a tunnel, at the host path behind the cluster's mounts.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from nemo_skills_lite.evaluation.metrics import Metrics, incorrect_row, make_metrics
from nemo_skills_lite.utils.errors import NslError, run_main
from nemo_skills_lite.utils.io import atomic_write_text, read_jsonl

_SEED_RE = re.compile(r"^output-rs(\d+)\.jsonl$")


def seed_files(folder: Path) -> list[Path]:
    """``output-rs*.jsonl`` in seed order, else ``[output.jsonl]``, else []."""
    seeds = sorted((p for p in folder.iterdir() if _SEED_RE.match(p.name)),
                   key=lambda p: int(_SEED_RE.match(p.name).group(1)))  # type: ignore[union-attr]
    if seeds:
        return seeds
    single = folder / "output.jsonl"
    return [single] if single.exists() else []


def benchmark_folders(root: Path) -> dict[str, Path]:
    if not root.is_dir():
        raise NslError(f"results folder not found: {root}")
    if seed_files(root):
        return {root.name: root}
    found = {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and seed_files(p)}
    if not found:
        raise NslError(f"{root}: no benchmark results (expected <benchmark>/output-rs*.jsonl or output.jsonl)")
    return found


def load_problems(files: list[Path]) -> list[list[dict[str, Any]]]:
    columns = [list(read_jsonl(f)) for f in files]
    lengths = {f.name: len(c) for f, c in zip(files, columns)}
    if len(set(lengths.values())) > 1:
        raise NslError(f"{files[0].parent}: seed files have different row counts {lengths}; "
                       "a generation job is probably unfinished")
    return [list(rows) for rows in zip(*columns)]


def metric_type_for(name: str, problems: list[list[dict[str, Any]]]) -> str:
    try:
        from nemo_skills_lite.benchmarks import load
        return str(load(name)["metric_type"])
    except (NslError, KeyError):
        pass
    first = problems[0][0] if problems and problems[0] else {}
    for key, metric_type in (("is_correct", "code"), ("strict_eval", "ifeval"), ("expected_judgement", "answer-judgement"),
                             ("proof_status", "lean4-proof")):
        if key in first:
            return metric_type
    return "math"


def compute(name: str, problems: list[list[dict[str, Any]]], metric_type: str,
            max_seq_len: int | None = None) -> tuple[dict[str, dict], dict[str, Metrics]]:
    calculators: dict[str, Metrics] = {name: make_metrics(metric_type)}
    paths: dict[str, Counter] = {}
    for preds in problems:
        if max_seq_len is not None:
            preds = [incorrect_row(p, metric_type) if p.get("num_generated_tokens", 0) > max_seq_len else p
                     for p in preds]
        calculators[name].update(preds)
        subset = preds[0].get("subset_for_metrics")
        if subset:
            calculators.setdefault(f"{name}-{subset}", make_metrics(metric_type)).update(preds)
        for key in (name, f"{name}-{subset}") if subset else (name,):
            paths.setdefault(key, Counter()).update(p["extraction_path"] for p in preds if "extraction_path" in p)
    metrics = {key: calc.get_metrics() for key, calc in calculators.items()}
    for key, counts in paths.items():
        if counts:
            metrics[key]["answer_extraction"] = dict(sorted(counts.items()))
    return metrics, calculators


def _fmt(key: str, value: Any, row: dict[str, Any]) -> str:
    if key in ("num_entries", "avg_tokens", "gen_seconds"):
        return str(int(value))
    if isinstance(value, float):
        std = row.get(f"{key}_statistics", {}).get("std_dev_across_runs")
        return f"{value:.2f}% ± {100.0 * std:.2f}%" if std is not None else f"{value:.2f}%"
    return str(value)


def format_table(name: str, metrics: dict[str, dict[str, Any]], calc: Metrics) -> str:
    modes = [m for m in calc.modes_to_print() + ["greedy"] if m in metrics]
    cols = [c for c in calc.columns_to_print() if any(c in metrics[m] for m in modes)]
    grid = [["evaluation_mode", *cols]]
    grid += [[m, *(_fmt(c, metrics[m][c], metrics[m]) if c in metrics[m] else "" for c in cols)] for m in modes]
    widths = [max(len(r[i]) for r in grid) for i in range(len(grid[0]))]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(r, widths)) for r in grid]
    if "answer_extraction" in metrics:
        lines.append("answer extraction: " + ", ".join(f"{k}={v}" for k, v in metrics["answer_extraction"].items()))
    return "\n".join([f" {name} ".center(len(lines[0]), "-"), *lines])


def summarize(root: str | Path, *, max_seq_len: int | None = None,
              benchmarks: list[str] | None = None) -> tuple[dict[str, Any], str]:
    """Compute all benchmarks under ``root``; returns (metrics dict, printable text)."""
    folders = benchmark_folders(Path(root))
    if benchmarks:
        missing = [b for b in benchmarks if b not in folders]
        if missing:
            raise NslError(f"{root}: no results for {', '.join(missing)}; found: {', '.join(folders)}")
        folders = {b: folders[b] for b in benchmarks}
    all_metrics: dict[str, Any] = {}
    tables = []
    for name, folder in folders.items():
        files = seed_files(folder)
        problems = load_problems(files)
        if not problems:
            continue
        metrics, calcs = compute(name, problems, metric_type_for(name, problems), max_seq_len)
        if [f.name for f in files] == ["output.jsonl"]:  # one greedy run: NeMo-Skills calls it "greedy"
            for per_mode in metrics.values():
                if "pass@1" in per_mode:
                    per_mode["greedy"] = per_mode.pop("pass@1")
        all_metrics.update(metrics)
        tables += [format_table(key, metrics[key], calcs[key]) for key in metrics]
    text = "\n\n\n".join(tables) + "\n\n\n"
    if max_seq_len is not None and tables:
        width = len(tables[0].split("\n", 1)[0])
        text = f" Metrics for Max Sequence Length {max_seq_len} ".center(width, "-") + "\n" + text
    return all_metrics, text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="nsl summarize-results", description=__doc__.split("\n\n")[0])
    ap.add_argument("results_dir", help="folder with <benchmark>/output-rs*.jsonl (or one benchmark folder)")
    ap.add_argument("--max_seq_len", "--max-seq-len", type=int, default=None,
                    help="grade generations longer than this many tokens as wrong")
    ap.add_argument("--benchmarks", default=None, help="comma-separated subset of benchmarks to report")
    ap.add_argument("--save_metrics_path", "--save-metrics-path", default=None,
                    help="where to write the JSON (default DIR/metrics.json or DIR/metrics-msN.json)")
    ap.add_argument("--cluster", default=None, help="read DIR through this cluster config (ssh_tunnel or mounts)")
    ap.add_argument("--config_dir", "--config-dir", default=None, help="where to look for the cluster config")
    ap.add_argument("--local_dir", "--local-dir", default=None,
                    help="ssh_tunnel clusters: where the fetched results go (default: a new temporary folder)")
    args = ap.parse_args(argv)
    results_dir = Path(args.results_dir)
    if args.cluster:
        import tempfile

        from nemo_skills_lite.cluster.config import load_cluster_config
        from nemo_skills_lite.cluster.remote import local_results_dir

        cfg = load_cluster_config(args.cluster, args.config_dir)
        cache = Path(args.local_dir or tempfile.mkdtemp(prefix="nsl-results-"))
        results_dir = local_results_dir(cfg, args.results_dir, cache)
        if results_dir != Path(args.results_dir):
            print(f"reading {args.results_dir} on cluster '{cfg.name}' from {results_dir}", file=sys.stderr)
    metrics, text = summarize(results_dir, max_seq_len=args.max_seq_len,
                              benchmarks=args.benchmarks.split(",") if args.benchmarks else None)
    sys.stdout.write(text)
    default = "metrics.json" if args.max_seq_len is None else f"metrics-ms{args.max_seq_len}.json"
    out = Path(args.save_metrics_path) if args.save_metrics_path else results_dir / default
    atomic_write_text(out, json.dumps(metrics, indent=2) + "\n")
    print(f"metrics written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    run_main(main)
