"""Build the question-synthesis inputs: one ``<subset>.jsonl`` per KodCode question source.

    python recipes/kodcode/scripts/build_seeds.py OUTPUT_DIR --topics T.jsonl --questions Q.jsonl \\
        --snippets S.jsonl --docs D.jsonl [--per-subset N]

Each seed file holds rows of one subset (``subset`` field, checked) with the fields its prompt needs:
zero_shot ``topic``, ``subtopic`` (``focus`` optional); questions ``seed_question``; snippets ``snippet``;
docs ``package``, ``doc``. ``--per-subset N`` keeps the first N rows of each (0 = all). Rows get a
``seed_id`` when they have none.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kodcode_io import SUBSET_FIELDS, read_rows, require_keys, write_rows, write_summary

from nemo_skills_lite.utils.errors import NslError, run_main

OPTIONAL_DEFAULTS = {"zero_shot": {"focus": "any"}}


def build_subset(subset: str, path: Path, per_subset: int) -> list[dict]:
    rows = read_rows(path, what=f"--{subset.replace('_', '-')} seed")
    if not rows:
        raise NslError(f"{path}: no seed rows (subset '{subset}' needs at least one)")
    out = []
    for i, row in enumerate(rows[:per_subset] if per_subset > 0 else rows, start=1):
        where = f"{path}:{i}"
        if row.get("subset", subset) != subset:
            raise NslError(f"{where}: subset '{row.get('subset')}' in the {subset} seed file; "
                           f"valid here: '{subset}' (or no subset key)")
        require_keys(row, SUBSET_FIELDS[subset], where)
        out.append({**OPTIONAL_DEFAULTS.get(subset, {}), **row, "subset": subset,
                    "seed_id": str(row.get("seed_id") or f"{subset}-{i - 1}")})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("output_dir")
    ap.add_argument("--topics", required=True, help="zero_shot seeds: topic, subtopic[, focus]")
    ap.add_argument("--questions", required=True, help="questions seeds: seed_question")
    ap.add_argument("--snippets", required=True, help="snippets seeds: snippet")
    ap.add_argument("--docs", required=True, help="docs seeds: package, doc")
    ap.add_argument("--per-subset", type=int, default=0, help="first N seeds of each subset (0 = all)")
    args = ap.parse_args(argv)
    files = {"zero_shot": args.topics, "questions": args.questions, "snippets": args.snippets, "docs": args.docs}
    counts = {}
    for subset, path in files.items():
        rows = build_subset(subset, Path(path), args.per_subset)
        counts[subset] = write_rows(Path(args.output_dir) / f"{subset}.jsonl", rows)
    write_summary(Path(args.output_dir) / "seeds.jsonl", {"seeds": counts, "total": sum(counts.values())})
    print(f"[build_seeds] wrote {sum(counts.values())} seeds to {args.output_dir}: "
          + ", ".join(f"{k} {v}" for k, v in counts.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    run_main(main)
