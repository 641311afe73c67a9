"""The funnel also counts rows a step edited but kept."""

from __future__ import annotations

import json

from nemo_skills_lite.data.funnel import Funnel


def test_modified_counts_merge_and_show(tmp_path):
    f = Funnel()
    f.merge({"read": {"in": 4, "drops": {}}, "split_arithmetic": {"in": 4, "drops": {}, "modified": 1}})
    f.merge({"read": {"in": 3, "drops": {"incorrect": 1}}, "split_arithmetic": {"in": 2, "drops": {}, "modified": 2}})
    assert f.steps["split_arithmetic"].modified == 3 and f.steps["read"].modified == 0
    header, _, read, split = f.table().splitlines()
    assert header.split() == ["step", "in", "dropped", "out", "modified", "reasons"]
    assert read.split() == ["read", "7", "1", "6", "-", "incorrect=1"]
    assert split.split() == ["split_arithmetic", "6", "0", "6", "3", "-"]
    data = json.loads(f.write(tmp_path)["json"].read_text())
    assert [s["modified"] for s in data["steps"]] == [0, 3]


def test_no_modified_column_without_edits():
    f = Funnel()
    f.merge({"read": {"in": 2, "drops": {"x": 1}}})  # older callers pass no "modified"
    assert f.table().splitlines()[0].split() == ["step", "in", "dropped", "out", "reasons"]
