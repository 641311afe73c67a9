"""Questions out of the question-synthesis generations, filtered and de-duplicated.

    python recipes/kodcode/scripts/parse_questions.py GEN_DIR OUTPUT.jsonl [--min-chars 20] [--near-threshold 0.7]

GEN_DIR holds one folder per subset (``<subset>/output.jsonl``, the generate stages' outputs). The
question is the ``<|Question Begin|> ... <|Question End|>`` section of the answer (after ``</think>``);
the ``questions`` subset (a new question inspired by an existing one) answers with the bare question,
as in KodCode, so its whole answer is the question. Drop reasons: ``no_question_section``,
``bad_document`` (the docs prompt's way to refuse a useless document), ``too_short``, ``empty``,
``duplicate_exact`` / ``duplicate_near`` (MinHash, nemo_skills_lite.data.dedup). Output rows:
``id`` (``<subset>-<n>``), ``subset``, ``seed_id``, ``question``.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from kodcode_io import SUBSET_FIELDS, counts_line, finish, generation_of, marked_section, stream_rows

from nemo_skills_lite.data.code_blocks import answer_part
from nemo_skills_lite.data.dedup import Duplicate, dedup_rows
from nemo_skills_lite.utils.errors import NslError, run_main

BARE_ANSWER_SUBSETS = ("questions",)


def extract_question(subset: str, generation: str) -> tuple[str | None, str | None]:
    """(question, None) or (None, drop reason)."""
    if subset in BARE_ANSWER_SUBSETS:
        text = marked_section(generation, "Question") or answer_part(generation).strip()
        for label in ("New question:", "Question:"):
            if text.lower().startswith(label.lower()):
                text = text[len(label):].strip()
        return (text, None) if text else (None, "empty")
    text = marked_section(generation, "Question")
    if text is None:
        return None, "no_question_section"
    if "BAD_DOCUMENT" in text:
        return None, "bad_document"
    return (text, None) if text else (None, "empty")


def parse_questions(gen_dir: Path, min_chars: int, near_threshold: float | None) -> tuple[list[dict], dict]:
    subsets = [s for s in SUBSET_FIELDS if (gen_dir / s / "output.jsonl").exists()]
    if not subsets:
        raise NslError(f"{gen_dir}: no <subset>/output.jsonl for any subset ({', '.join(SUBSET_FIELDS)})")
    drops: Counter = Counter()
    per_subset: dict[str, dict[str, int]] = {}
    candidates: list[dict] = []
    for subset in subsets:
        path = gen_dir / subset / "output.jsonl"
        kept = i = 0
        for i, row in enumerate(stream_rows(path, what="question generations"), start=1):
            question, reason = extract_question(subset, generation_of(row, f"{path}:{i}"))
            if question is not None and len(question) < min_chars:
                question, reason = None, "too_short"
            if question is None:
                drops[reason] += 1
                continue
            kept += 1
            candidates.append({"subset": subset, "seed_id": row.get("seed_id", f"{subset}-{i - 1}"),
                               "question": question})
        per_subset[subset] = {"generated": i, "parsed": kept}
    dups: list[Duplicate] = []
    out = list(dedup_rows(candidates, key="question", near=near_threshold is not None,
                          threshold=near_threshold or 0.7, duplicates=dups))
    for d in dups:
        drops[f"duplicate_{d.kind}"] += 1
    numbers: Counter = Counter()
    for row in out:
        row["id"] = f"{row['subset']}-{numbers[row['subset']]}"
        numbers[row["subset"]] += 1
    for subset in subsets:
        per_subset[subset]["kept"] = numbers[subset]
    generated = sum(s["generated"] for s in per_subset.values())
    summary = {"generated": generated, "kept": len(out), "drops": dict(drops), "per_subset": per_subset}
    return out, summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gen_dir", help="folder with <subset>/output.jsonl")
    ap.add_argument("output", help="questions JSONL to write")
    ap.add_argument("--min-chars", type=int, default=20, help="drop questions shorter than this")
    ap.add_argument("--near-threshold", type=float, default=0.7, help="MinHash Jaccard for near duplicates")
    ap.add_argument("--no-near", action="store_true", help="exact de-duplication only")
    args = ap.parse_args(argv)
    if not 0 < args.near_threshold <= 1:
        raise NslError(f"--near-threshold {args.near_threshold}: must be in (0, 1]")
    rows, summary = parse_questions(Path(args.gen_dir), args.min_chars, None if args.no_near else args.near_threshold)
    return finish(args.output, rows, summary, f"[parse_questions] kept {summary['kept']} of {summary['generated']} "
                  f"generated questions; dropped: {counts_line(summary['drops'])}")


if __name__ == "__main__":
    run_main(main)
