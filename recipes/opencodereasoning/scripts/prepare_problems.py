"""Load the OpenCodeReasoning problem sources, map them to one row shape, drop exact duplicates.

    python recipes/opencodereasoning/scripts/prepare_problems.py --output problems.jsonl \\
        --source taco=BAAI/TACO --source apps=codeparrot/apps@test \\
        --source code_contests=/data/code_contests_hf --source codeforces='/data/cf/*.parquet' \\
        [--max-per-source N] [--report problems-report.json] [--duplicates dups.jsonl]

Each ``--source NAME=SPEC``: NAME is taco, apps, code_contests or codeforces; SPEC is a local jsonl / json
(array) / parquet file or glob, a ``datasets`` ``save_to_disk`` folder, or a HuggingFace dataset id
(``owner/name[@split]``, default split train; loaded with ``datasets`` from the hub or the HF cache).
Rows become ``{id, source, problem, tests?, difficulty?, difficulty_raw?}``, call-based TACO/APPS problems
``{..., fn_name, test, test_setup_code, starter_code?}`` instead of ``tests`` (ocr_sources.py); the first
occurrence of a problem text (NFKC, lower case, collapsed whitespace: nemo_skills_lite.data.dedup) wins,
in the order the sources are given. Prints a per-source table and writes it as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ocr_sources import HF_IDS, MAPPERS, to_row  # noqa: E402

from nemo_skills_lite.data.dedup import Duplicate, dedup_rows  # noqa: E402
from nemo_skills_lite.data.io import RowWriter, iter_inputs  # noqa: E402
from nemo_skills_lite.utils.errors import NslError, run_main  # noqa: E402
from nemo_skills_lite.utils.progress import Progress  # noqa: E402

HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+(@[\w.\[\]:%-]+)?$")
COLUMNS = ("read", "empty", "duplicate", "kept", "with_tests", "call_based")


def parse_source(text: str) -> tuple[str, str]:
    name, sep, spec = text.partition("=")
    if not sep or not spec:
        raise NslError(f"--source '{text}': expected NAME=SPEC, NAME one of {', '.join(MAPPERS)}")
    if name not in MAPPERS:
        raise NslError(f"--source '{text}': unknown source '{name}'; valid: {', '.join(MAPPERS)}")
    return name, spec


def _json_array(path: Path) -> Iterator[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise NslError(f"{path}: not valid JSON ({e.msg})") from None
    for i, row in enumerate(data if isinstance(data, list) else [data]):
        if not isinstance(row, dict):
            raise NslError(f"{path}: item {i} is {type(row).__name__}, expected a JSON object")
        yield row


def _hub(spec: str) -> Iterator[dict[str, Any]]:
    name, _, split = spec.partition("@")
    try:
        import datasets

        ds = datasets.load_dataset(name, split=split or "train")
    except Exception as e:  # noqa: BLE001 - hub, cache and script errors all mean "cannot load it here"
        raise NslError(f"cannot load HuggingFace dataset '{name}' (split {split or 'train'}): "
                       f"{type(e).__name__}: {str(e)[:300]}; download it and pass the folder or files instead") from None
    yield from ds


def load_source(spec: str) -> Iterator[dict[str, Any]]:
    """Rows of one source spec: local file(s) / glob / save_to_disk folder, else a hub id."""
    path = Path(spec)
    if path.is_file() and path.suffix == ".json" and path.read_bytes()[:64].lstrip().startswith(b"["):
        yield from _json_array(path)
    elif path.exists() or any(c in spec for c in "*?["):
        yield from iter_inputs(spec)
    elif HUB_ID.match(spec) and not spec.startswith((".", "/")) and not spec.endswith((".json", ".jsonl", ".parquet")):
        yield from _hub(spec)
    else:
        raise NslError(f"source '{spec}' not found: not an existing file, glob or folder, "
                       "nor a HuggingFace dataset id (owner/name[@split])")


def mapped_rows(sources: list[tuple[str, str]], limit: int | None, counts: dict[str, Counter],
                owner: list[str], progress: Progress) -> Iterator[dict[str, Any]]:
    for name, spec in sources:
        for i, raw in enumerate(load_source(spec)):
            if limit is not None and i >= limit:
                break
            counts[name]["read"] += 1
            progress.update(1)
            row = to_row(name, raw, i, f"{name} ({spec}) row {i + 1}")
            if not row["problem"].strip():
                counts[name]["empty"] += 1
                continue
            owner.append(name)
            yield row
        if counts[name]["read"] == 0:
            raise NslError(f"source {name} ({spec}) has no rows")


def prepare(sources: list[tuple[str, str]], output: str, *, limit: int | None = None,
            duplicates_path: str | None = None) -> dict[str, dict[str, int]]:
    """Write the merged, de-duplicated problems; return per-source counts (+ 'total')."""
    names = [n for n, _ in sources]
    if len(set(names)) != len(names):
        raise NslError(f"each source may be given once; got {names}")
    counts: dict[str, Counter] = {n: Counter() for n in names}
    owner: list[str] = []
    dups: list[Duplicate] = []
    progress = Progress("prepare_problems", unit="problems")
    with RowWriter(output) as w:
        for row in dedup_rows(mapped_rows(sources, limit, counts, owner, progress), "problem", near=False,
                              duplicates=dups):
            counts[row["source"]]["kept"] += 1
            counts[row["source"]]["with_tests"] += "tests" in row or "test" in row
            counts[row["source"]]["call_based"] += "fn_name" in row
            w.write(row)
    for d in dups:
        counts[owner[d.index]]["duplicate"] += 1
    if duplicates_path:
        with RowWriter(duplicates_path) as w:
            for d in dups:
                w.write({"index": d.index, "source": owner[d.index], "of": d.of, "of_source": owner[d.of]})
    table = {n: {c: counts[n][c] for c in COLUMNS} for n in names}
    table["total"] = {c: sum(t[c] for t in table.values()) for c in COLUMNS}
    progress.close(f"kept {table['total']['kept']} of {table['total']['read']} problems -> {output}")
    return table


def format_table(table: dict[str, dict[str, int]]) -> str:
    lines = [f"{'source':<14}" + "".join(f"{c:>12}" for c in COLUMNS)]
    lines += [f"{n:<14}" + "".join(f"{v[c]:>12}" for c in COLUMNS) for n, v in table.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", action="append", default=[], help="NAME=SPEC, repeatable (order = dedup priority)")
    ap.add_argument("--output", required=True, help="problems .jsonl or .parquet")
    ap.add_argument("--max-per-source", type=int, default=None, help="read only the first N rows of each source")
    ap.add_argument("--report", default=None, help="counts as JSON (default: <output>.report.json)")
    ap.add_argument("--duplicates", default=None, help="write the dropped duplicates (index, source, of) here")
    args = ap.parse_args(argv)
    sources = [parse_source(s) for s in args.source] or list(HF_IDS.items())
    table = prepare(sources, args.output, limit=args.max_per_source, duplicates_path=args.duplicates)
    report = args.report or f"{args.output}.report.json"
    Path(report).write_text(json.dumps(table, indent=2) + "\n")
    print(format_table(table))
    print(f"report: {report}")
    return 0


if __name__ == "__main__":
    run_main(main)
