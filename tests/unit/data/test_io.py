"""Readers (jsonl, parquet, HF datasets folder) and writers (jsonl, parquet)."""

from __future__ import annotations

import json

import pytest

from nemo_skills_lite.data.io import RowWriter, expand_inputs, iter_inputs, iter_rows, write_rows
from nemo_skills_lite.utils.errors import NslError

ROWS = [{"problem": f"p{i}", "n": i, "tags": ["a", "b"][: i % 3]} for i in range(7)]


def test_jsonl_and_parquet_roundtrip(tmp_path):
    for name in ("rows.jsonl", "rows.parquet"):
        assert write_rows(tmp_path / name, ROWS) == len(ROWS)
        assert list(iter_rows(tmp_path / name)) == ROWS


def test_hf_datasets_folder(tmp_path):
    import datasets

    datasets.Dataset.from_list(ROWS).save_to_disk(str(tmp_path / "ds"))
    assert list(iter_rows(tmp_path / "ds")) == ROWS
    datasets.DatasetDict({"train": datasets.Dataset.from_list(ROWS[:3]),
                          "test": datasets.Dataset.from_list(ROWS[3:])}).save_to_disk(str(tmp_path / "dd"))
    assert sorted(r["n"] for r in iter_rows(tmp_path / "dd")) == list(range(7))


def test_globs_and_lists(tmp_path):
    write_rows(tmp_path / "a-rs0.jsonl", ROWS[:2])
    write_rows(tmp_path / "a-rs1.jsonl", ROWS[2:])
    write_rows(tmp_path / "b.parquet", ROWS[:1])
    assert [p.name for p in expand_inputs(str(tmp_path / "a-rs*.jsonl"))] == ["a-rs0.jsonl", "a-rs1.jsonl"]
    spec = f"{tmp_path / 'a-rs*.jsonl'},{tmp_path / 'b.parquet'}"
    assert len(list(iter_inputs(spec))) == len(ROWS) + 1
    assert len(list(iter_inputs(f"{tmp_path / 'a-rs0.jsonl'} {tmp_path / 'b.parquet'}"))) == 3


def test_bad_inputs_name_file_and_line(tmp_path):
    with pytest.raises(NslError, match="matched no files"):
        expand_inputs(str(tmp_path / "nothing-*.jsonl"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": 1}\n{"a": \n')
    with pytest.raises(NslError, match=r"bad.jsonl:2: not valid JSON"):
        list(iter_rows(bad))
    (tmp_path / "x.csv").write_text("a,b\n")
    with pytest.raises(NslError, match="unknown input format"):
        list(iter_rows(tmp_path / "x.csv"))
    (tmp_path / "folder").mkdir()
    with pytest.raises(NslError, match="HuggingFace datasets folder"):
        list(iter_rows(tmp_path / "folder"))


def test_writer_is_atomic_and_keeps_old_file_on_error(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text(json.dumps({"old": True}) + "\n")
    with pytest.raises(RuntimeError):
        with RowWriter(out) as w:
            w.write({"new": 1})
            raise RuntimeError("boom")
    assert out.read_text() == json.dumps({"old": True}) + "\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]  # no temp file left


def test_empty_parquet_is_valid(tmp_path):
    assert write_rows(tmp_path / "e.parquet", []) == 0
    assert list(iter_rows(tmp_path / "e.parquet")) == []
