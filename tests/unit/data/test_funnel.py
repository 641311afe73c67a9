"""Funnel counts, merge, table, JSON and PNG."""

from __future__ import annotations

import json

from nemo_skills_lite.data.funnel import LENGTH_BIN_EDGES, Funnel, bin_lengths, median_from_hist


def test_counts_merge_and_table(tmp_path):
    f = Funnel()
    f.merge({"read": {"in": 10, "drops": {"incorrect": 3}}, "filter": {"in": 7, "drops": {"x": 1, "y": 2}},
             "__hist__": {"output": bin_lengths([5, 100, 100]).tolist()}})
    f.merge({"read": {"in": 5, "drops": {}}, "filter": {"in": 5, "drops": {"x": 1}}})
    assert f.steps["read"].rows_out == 12
    assert f.steps["filter"].drops == {"x": 2, "y": 2}
    assert f.steps["filter"].rows_out == 8
    table = f.table()
    assert "x=2" in table and "incorrect=3" in table
    assert f.summary() == "kept 8 of 15 rows (53.3%)"
    paths = f.write(tmp_path)
    data = json.loads(paths["json"].read_text())
    assert data["steps"][1]["drops"] == {"x": 2, "y": 2}
    assert sum(data["length_histograms"]["output"]) == 3
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bins_and_median():
    h = bin_lengths([0, 1, 2, 3, 1000, 1000, 1000])
    assert h.sum() == 7 and h[0] == 1
    assert LENGTH_BIN_EDGES[0] == 0 and (LENGTH_BIN_EDGES[1:] > LENGTH_BIN_EDGES[:-1]).all()
    assert median_from_hist(h) == 3
    assert 800 <= median_from_hist(bin_lengths([0, 1, 1000, 1000, 1000])) <= 1000
