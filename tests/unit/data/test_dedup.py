"""Exact (normalised) and MinHash-LSH near-duplicate detection on planted duplicates."""

from __future__ import annotations

import json
from pathlib import Path

from nemo_skills_lite.data.dedup import Duplicate, dedup_rows, main, normalize_text

DATA = Path(__file__).resolve().parents[2] / "data" / "curation"


def planted() -> list[dict]:
    return [json.loads(line) for line in (DATA / "planted_problems.jsonl").read_text().splitlines()]


def test_normalize_text():
    assert normalize_text("  WHAT is\tthe  capital?\n") == "what is the capital?"
    assert normalize_text("ｆｕｌｌ width") == "full width"  # NFKC


def test_planted_exact_and_near_duplicates_are_found():
    rows = planted()
    dups: list[Duplicate] = []
    kept = list(dedup_rows(rows, "problem", duplicates=dups))
    by_kind = {d.index: d for d in dups}
    for i, row in enumerate(rows):
        if row["kind"] in ("near_dup", "exact_dup"):
            assert i in by_kind, f"planted {row['kind']} not found: {row['problem']}"
            orig = rows[by_kind[i].of]
            assert normalize_text(orig["problem"])[:20] == normalize_text(row["problem"])[:20]
        else:
            assert i not in by_kind, f"false duplicate: {row['problem']}"
    assert len(kept) == len(rows) - len(dups)
    assert {d.kind for d in dups} == {"exact", "near"}
    near = [d for d in dups if d.kind == "near"]
    assert all(0.7 <= d.similarity < 1.0 for d in near)


def test_exact_only_mode_keeps_near_duplicates():
    rows = planted()
    dups: list[Duplicate] = []
    list(dedup_rows(rows, "problem", near=False, duplicates=dups))
    assert [rows[d.index]["kind"] for d in dups] == ["exact_dup"]


def test_cli_writes_output_and_duplicates(tmp_path):
    out, dups = tmp_path / "dedup.jsonl", tmp_path / "dups.jsonl"
    assert main([str(DATA / "planted_problems.jsonl"), str(out), "--duplicates", str(dups)]) == 0
    n_in = len(planted())
    n_out = len(out.read_text().splitlines())
    n_dup = len(dups.read_text().splitlines())
    assert n_out + n_dup == n_in and n_dup == 3
