"""OCR reasoning-pattern analysis: the steps around the two segmentation generate stages.

    reasoning_patterns.py prepare SOLUTIONS_DIR OUT.jsonl [--rejected REJECTED.jsonl] [--max-rows N]
        rows {pattern_id, id, difficulty, correctness, reasoning} from output-rs*.jsonl: the text inside
        <think>...</think>; correctness from the sandbox's is_correct, else (with --rejected, prepare_data's
        rejected rows) "incorrect" for rows prepare_data dropped and "correct" for the rest, else "unknown".
    reasoning_patterns.py mark INITIAL_OUTPUT.jsonl ANNOTATED.jsonl FINAL_INPUT.jsonl
        parses stage 1 (reasoning-patterns-initial) segments, finds the reasoning text they leave out and writes
        the rows that have some, with that text inside <unannotated> tags, as the stage-2 input.
    reasoning_patterns.py report ANNOTATED.jsonl FINAL_OUTPUT.jsonl OUT_DIR
        joins both stages, counts pattern frequencies by correctness and difficulty, prints the table and
        writes OUT_DIR/patterns.json and OUT_DIR/patterns.png (bar chart).
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ocr_patterns import PATTERNS, coverage, mark_unannotated, parse_segments, summarize  # noqa: E402

from nemo_skills_lite.data.io import RowWriter, iter_inputs, iter_rows  # noqa: E402
from nemo_skills_lite.utils.errors import NslError, run_main  # noqa: E402


def _key(generation: str) -> str:
    """Identity of a solution across prepare_data (whose validate_think_tags may prepend "<think>\\n")."""
    text = generation.lstrip()
    text = text[len("<think>"):] if text.startswith("<think>") else text
    return hashlib.blake2b(text.lstrip("\n").encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def reasoning_of(generation: object) -> str | None:
    if not isinstance(generation, str) or "</think>" not in generation:
        return None
    text = generation.split("</think>", 1)[0]
    return text.split("<think>", 1)[-1].strip() or None


def correctness(row: dict, rejected: set[str] | None) -> str:
    if isinstance(row.get("is_correct"), bool):
        return "correct" if row["is_correct"] else "incorrect"
    if rejected is not None:
        return "incorrect" if _key(row["generation"]) in rejected else "correct"
    return "unknown"


def prepare(solutions_dir: str, out: str, rejected_path: str | None = None, max_rows: int | None = None) -> Counter:
    files = sorted(glob.glob(os.path.join(solutions_dir, "output-rs*.jsonl")))
    if not files:
        raise NslError(f"no output-rs*.jsonl files in {solutions_dir}")
    rejected = None
    if rejected_path:
        rejected = {_key(r["generation"]) for r in iter_inputs(rejected_path) if isinstance(r.get("generation"), str)}
    counts: Counter = Counter()
    with RowWriter(out) as w:
        for f in files:
            for line, row in enumerate(iter_rows(Path(f)), 1):
                if max_rows is not None and counts["kept"] >= max_rows:
                    break
                counts["read"] += 1
                reasoning = reasoning_of(row.get("generation"))
                if reasoning is None:
                    counts["no_reasoning"] += 1
                    continue
                w.write({"pattern_id": f"{Path(f).stem}:{line}", "id": row.get("id"), "difficulty": row.get("difficulty"),
                         "correctness": correctness(row, rejected), "reasoning": reasoning})
                counts["kept"] += 1
    print(f"reasoning_patterns prepare: {dict(counts)} -> {out}")
    return counts


def mark(initial: str, annotated: str, final_input: str) -> Counter:
    counts: Counter = Counter()
    with RowWriter(annotated) as wa, RowWriter(final_input) as wf:
        for row in iter_inputs(initial):
            if "reasoning" not in row or "pattern_id" not in row:
                raise NslError(f"{initial}: rows need 'reasoning' and 'pattern_id' (the prepare step's output); "
                               f"keys present: {sorted(row)}")
            segments = parse_segments(row.pop("generation", None))
            found, gaps = coverage(row["reasoning"], segments)
            counts["rows"] += 1
            counts["segments"] += len(segments)
            counts["segments_not_in_text"] += len(segments) - len(found)
            base = {k: v for k, v in row.items() if k not in ("num_generated_tokens", "finish_reason", "generation_time")}
            wa.write({**base, "initial_patterns": [s.pattern for s in found], "unannotated_parts": len(gaps)})
            if gaps:
                counts["rows_with_unannotated"] += 1
                wf.write({**base, "reasoning": mark_unannotated(row["reasoning"], gaps)})
    print(f"reasoning_patterns mark: {dict(counts)}")
    return counts


def report(annotated: str, final_output: str, out_dir: str) -> dict:
    final = {}
    if os.path.exists(final_output):
        final = {r["pattern_id"]: [s.pattern for s in parse_segments(r.get("generation"))] for r in iter_inputs(final_output)}
    rows = []
    for r in iter_inputs(annotated):
        rows.append({"correctness": r["correctness"], "difficulty": r.get("difficulty"),
                     "patterns": list(r["initial_patterns"]) + final.get(r["pattern_id"], [])})
    summary = summarize(rows)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    (Path(out_dir) / "patterns.json").write_text(json.dumps({"solutions": len(rows), "by_difficulty": summary},
                                                            indent=2) + "\n")
    table = format_table(summary) if rows else "no solutions with a <think> block: nothing to count"
    (Path(out_dir) / "patterns.txt").write_text(table + "\n")
    plot(summary, Path(out_dir) / "patterns.png")
    print(table)
    print(f"reasoning_patterns report: {len(rows)} solutions -> {out_dir}/patterns.{{json,txt,png}}")
    return summary


def format_table(summary: dict) -> str:
    """Mean occurrences per solution of each pattern, one column per (difficulty, correctness)."""
    cols = [(d, c) for d in summary for c in summary[d]]
    labels = [f"{d}/{c} (n={summary[d][c]['solutions']})" for d, c in cols]
    head = f"{'pattern':<20}" + "".join(f"{label:>26}" for label in labels)
    lines = [head, "-" * len(head)]
    names = list(PATTERNS) + (["unrecognized"] if any("unrecognized" in summary[d][c]["patterns"] for d, c in cols) else [])
    for p in names:
        cells = [summary[d][c]["patterns"].get(p, {}).get("mean_count", 0.0) for d, c in cols]
        lines.append(f"{p:<20}" + "".join(f"{v:>26.2f}" for v in cells))
    return "\n".join(lines)


COLORS = {"correct": "tab:green", "incorrect": "tab:red", "unknown": "tab:gray"}


def plot(summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    diffs = list(summary) or ["none"]
    fig, axes = plt.subplots(1, len(diffs), figsize=(5 * len(diffs), 4), squeeze=False)
    for ax, d in zip(axes[0], diffs):
        corrs = list(summary.get(d, {}))
        if not corrs:
            ax.text(0.5, 0.5, "no solutions", ha="center", va="center")
            continue
        width = 0.8 / max(1, len(corrs))
        for j, c in enumerate(corrs):
            vals = [summary[d][c]["patterns"][p]["mean_count"] for p in PATTERNS]
            ax.bar([i + j * width for i in range(len(PATTERNS))], vals, width, color=COLORS.get(c, "tab:gray"),
                   label=f"{c} (n={summary[d][c]['solutions']})")
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(PATTERNS))])
        ax.set_xticklabels(PATTERNS, rotation=40, ha="right", fontsize=8)
        ax.set_title(f"difficulty: {d}")
        ax.set_ylabel("occurrences per solution")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="step", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("solutions_dir")
    p.add_argument("output")
    p.add_argument("--rejected", default=None)
    p.add_argument("--max-rows", type=int, default=None)
    m = sub.add_parser("mark")
    m.add_argument("initial_output")
    m.add_argument("annotated")
    m.add_argument("final_input")
    r = sub.add_parser("report")
    r.add_argument("annotated")
    r.add_argument("final_output")
    r.add_argument("output_dir")
    a = ap.parse_args(argv)
    if a.step == "prepare":
        prepare(a.solutions_dir, a.output, a.rejected, a.max_rows)
    elif a.step == "mark":
        mark(a.initial_output, a.annotated, a.final_input)
    else:
        report(a.annotated, a.final_output, a.output_dir)
    return 0


if __name__ == "__main__":
    run_main(main)
