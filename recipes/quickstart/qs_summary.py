"""The quick start's end-of-run summary: accuracy per seed, the summarize table (pass@1, majority@k,
pass@k), the prepare_data funnel (rows kept and why the others were dropped) and one result line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

_SEED = re.compile(r"^output-rs(\d+)\.jsonl$")


def seed_stats(solutions: Path) -> list[dict[str, Any]]:
    """One dict per seed file: seed, rows, correct, no_answer, avg generated tokens."""
    out = []
    files = sorted((p for p in solutions.glob("output-rs*.jsonl") if _SEED.match(p.name)),
                   key=lambda p: int(_SEED.match(p.name).group(1)))  # type: ignore[union-attr]
    for path in files:
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        n = len(rows) or 1
        out.append({"seed": int(_SEED.match(path.name).group(1)),  # type: ignore[union-attr]
                    "rows": len(rows),
                    "correct": sum(bool(r.get("symbolic_correct")) for r in rows),
                    "no_answer": sum(r.get("predicted_answer") is None for r in rows),
                    "avg_tokens": sum(r.get("num_generated_tokens", 0) for r in rows) / n})
    return out


def per_seed_table(stats: list[dict[str, Any]]) -> str:
    lines = ["seed  problems  correct  accuracy  no_answer  avg_tokens"]
    for s in stats:
        n = s["rows"] or 1
        lines.append(f"rs{s['seed']:<3} {s['rows']:>8}  {s['correct']:>7}  {100 * s['correct'] / n:>7.1f}%"
                     f"  {100 * s['no_answer'] / n:>8.1f}%  {s['avg_tokens']:>10.0f}")
    tot = sum(s["rows"] for s in stats) or 1
    cor = sum(s["correct"] for s in stats)
    lines.append(f"all  {tot:>8}  {cor:>7}  {100 * cor / tot:>7.1f}%"
                 f"  {100 * sum(s['no_answer'] for s in stats) / tot:>8.1f}%")
    return "\n".join(lines)


def print_summary(out: Path, sft_input: Path, used_majority: bool) -> tuple[int, int, int]:
    """Prints everything; returns (generations, correct generations, SFT rows kept)."""
    solutions = out / "solutions"
    stats = seed_stats(solutions)
    print("\n[quickstart] accuracy per seed (graded against the GSM8K reference answers):")
    print(per_seed_table(stats))
    print("\n[quickstart] across seeds (majority@k: the most common answer per problem, graded against the reference):")
    sys.stdout.flush()
    subprocess.run([sys.executable, "-m", "nemo_skills_lite.evaluation.summarize", str(solutions)], check=False)
    funnel = out / "sft-report" / "funnel.txt"
    if funnel.exists():
        print(f"[quickstart] prepare_data funnel over {sft_input} ({funnel.parent}/funnel.png):")
        print(funnel.read_text())
    if used_majority:
        print("[quickstart] --use-majority: where no seed matched the GSM8K answer, expected_answer became the "
              "model's majority answer before grading again (see docs/quickstart.md for why that is off by default)")
    sft = out / "sft.jsonl"
    kept = sum(1 for _ in sft.open()) if sft.exists() else 0
    return sum(s["rows"] for s in stats), sum(s["correct"] for s in stats), kept
