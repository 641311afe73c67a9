"""The -async resume file: truncated tail dropped, order restored, marker last, bad files named."""

from __future__ import annotations

import json

import pytest

from nemo_skills_lite.inference.resume import POSITION_KEY, AsyncOutput, async_path
from nemo_skills_lite.runtime.markers import is_done
from nemo_skills_lite.utils.errors import NslError


def test_append_reopen_finalize_in_input_order(tmp_path):
    out = tmp_path / "o.jsonl"
    a = AsyncOutput(out)
    assert a.open(4) == set()
    for p in (2, 0):
        a.append(p, {"x": p})
    a.close()
    # a killed writer left half a line
    with open(async_path(out), "ab") as f:
        f.write(b'{"x": 3, "_async_pos')
    b = AsyncOutput(out)
    assert b.open(4) == {0, 2} and b.dropped_tail
    assert b.missing(4) == [1, 3]
    b.append(3, {"x": 3})
    b.append(1, {"x": 1})
    assert not is_done(out)
    assert b.finalize(4) == 4
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert rows == [{"x": 0}, {"x": 1}, {"x": 2}, {"x": 3}]
    assert is_done(out) and not async_path(out).exists()


def test_finalize_refuses_missing_rows(tmp_path):
    a = AsyncOutput(tmp_path / "o.jsonl")
    a.open(2)
    a.append(0, {})
    with pytest.raises(RuntimeError, match="unfinished"):
        a.finalize(2)
    assert not (tmp_path / "o.jsonl").exists()


def test_position_outside_input_is_a_clear_error(tmp_path):
    out = tmp_path / "o.jsonl"
    async_path(out).write_text(json.dumps({POSITION_KEY: 9}) + "\n")
    with pytest.raises(NslError, match="outside the input"):
        AsyncOutput(out).open(3)


def test_corrupt_middle_line_is_named(tmp_path):
    out = tmp_path / "o.jsonl"
    async_path(out).write_text('{"_async_position": 0}\nnot json\n{"_async_position": 1}\n')
    with pytest.raises(NslError, match=r"o.jsonl-async:2"):
        AsyncOutput(out).open(3)
