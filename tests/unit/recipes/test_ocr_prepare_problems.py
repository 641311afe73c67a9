"""OpenCodeReasoning problem preparation: the four sources' real schemas (hand-written rows in
tests/data/recipes/ocr/), local jsonl / json / parquet / save_to_disk inputs, exact dedup across sources,
the per-source report, and one-line errors for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nemo_skills_lite.utils.errors import NslError
from tests.unit.recipes.ocr_scripts import DATA, SCRIPTS, load

pp = load("prepare_problems")
clean_problems = load("clean_problems")

ALL = [("taco", str(DATA / "taco.jsonl")), ("apps", str(DATA / "apps.jsonl")),
       ("code_contests", str(DATA / "code_contests.jsonl")), ("codeforces", str(DATA / "codeforces.json"))]


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_four_sources_mapped_deduplicated_and_counted(tmp_path: Path) -> None:
    out = tmp_path / "problems.jsonl"
    table = pp.prepare(ALL, str(out), duplicates_path=str(tmp_path / "dups.jsonl"))
    assert table["taco"] == {"read": 2, "empty": 0, "duplicate": 0, "kept": 2, "with_tests": 2, "call_based": 1}
    assert table["apps"] == {"read": 2, "empty": 0, "duplicate": 1, "kept": 1, "with_tests": 1, "call_based": 0}
    assert table["code_contests"]["kept"] == 2 and table["codeforces"]["with_tests"] == 1
    assert table["total"] == {"read": 8, "empty": 0, "duplicate": 1, "kept": 7, "with_tests": 6, "call_based": 1}
    rows = {r["id"]: r for r in _rows(out)}
    assert list(rows) == ["taco-0", "taco-1", "apps-17", "code_contests-1559_A. Maximum of Three",
                          "code_contests-1554_F. Mr. Chanek and the prettiness", "codeforces-4A", "codeforces-1807E"]
    assert all({"id", "source", "problem"} <= set(r) for r in rows.values())
    # TACO: stdin tests from the input_output JSON string; call-based (fn_name) -> asserts (test_ocr_call_based.py)
    assert rows["taco-0"]["tests"] == [{"input": "1 2\n", "output": "3\n"}, {"input": "10 20\n", "output": "30\n"}]
    assert rows["taco-0"]["difficulty"] == "easy" and rows["taco-0"]["origin"] == "codeforces"
    assert "tests" not in rows["taco-1"] and rows["taco-1"]["difficulty"] == "medium"
    assert rows["taco-1"]["fn_name"] == "maxProduct" and rows["taco-1"]["test"] == [
        "assert _nsl_apps_ok('maxProduct', '[[1, 5, 4]]', '20')"]
    # APPS: lists of lines become one text; competition -> hard; its copy of the TACO problem was dropped
    assert rows["apps-17"]["tests"][0] == {"input": "abc\n", "output": "cba\n"}
    assert rows["apps-17"]["difficulty"] == "hard"
    assert _rows(tmp_path / "dups.jsonl") == [{"index": 2, "source": "apps", "of": 0, "of_source": "taco"}]
    # CodeContests: public + private + generated tests; cf_rating wins, else the difficulty enum (3 = HARD)
    cc = rows["code_contests-1559_A. Maximum of Three"]
    assert [t["input"] for t in cc["tests"]] == ["1 5 3\n", "7 7 7\n", "0 0 1\n"]
    assert cc["difficulty"] == "easy" and cc["difficulty_raw"] == "800"
    assert rows["code_contests-1554_F. Mr. Chanek and the prettiness"]["difficulty"] == "hard"
    # CodeForces: title + statement sections + examples; official tests; interactive -> no tests
    cf = rows["codeforces-4A"]
    assert cf["problem"].startswith("Watermelon\n\nPete and Billy") and "Example 1\nInput\n8" in cf["problem"]
    assert len(cf["tests"]) == 3 and cf["difficulty"] == "easy"
    assert "tests" not in rows["codeforces-1807E"] and "Interaction\n" in rows["codeforces-1807E"]["problem"]
    assert rows["codeforces-1807E"]["difficulty"] == "medium"


def test_save_to_disk_folder_and_parquet_give_the_same_rows(tmp_path: Path) -> None:
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    cc_rows = _rows(DATA / "code_contests.jsonl")
    folder = tmp_path / "cc_hf"
    datasets.Dataset.from_list(cc_rows).save_to_disk(str(folder))
    cf_rows = json.loads((DATA / "codeforces.json").read_text())
    pq.write_table(pa.Table.from_pylist(cf_rows), tmp_path / "cf.parquet")
    pp.prepare([("code_contests", str(folder)), ("codeforces", str(tmp_path / "*.parquet"))], str(tmp_path / "a.jsonl"))
    pp.prepare([ALL[2], ALL[3]], str(tmp_path / "b.jsonl"))
    assert _rows(tmp_path / "a.jsonl") == _rows(tmp_path / "b.jsonl")


def test_max_per_source_and_parquet_output(tmp_path: Path) -> None:
    table = pp.prepare(ALL, str(tmp_path / "p.parquet"), limit=1)
    assert table["total"]["read"] == 4 and table["total"]["kept"] == 3  # apps' first row is taco's copy
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "p.parquet").num_rows == 3


@pytest.mark.parametrize("sources, message", [
    ([("taco", "no/such/file.jsonl")], "source 'no/such/file.jsonl' not found"),
    ([("taco", "data/taco.parquet")], "source 'data/taco.parquet' not found"),  # a path, not a hub id
    ([("codeforces", str(DATA / "taco.jsonl"))], "missing key 'title'"),
    ([("taco", str(DATA / "taco.jsonl")), ("taco", str(DATA / "apps.jsonl"))], "each source may be given once"),
])
def test_bad_sources_are_one_clear_error(tmp_path: Path, sources, message) -> None:
    with pytest.raises(NslError, match=message):
        pp.prepare(sources, str(tmp_path / "p.jsonl"))
    assert not (tmp_path / "p.jsonl").exists()  # nothing half-written


def test_empty_source_and_unknown_name(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(NslError, match=r"source apps \(.*empty.jsonl\) has no rows"):
        pp.prepare([("apps", str(tmp_path / "empty.jsonl"))], str(tmp_path / "p.jsonl"))
    with pytest.raises(NslError, match="unknown source 'leetcode'; valid: taco, apps, code_contests, codeforces"):
        pp.parse_source("leetcode=x.jsonl")


def test_hub_id_that_cannot_be_loaded_names_it(tmp_path: Path, monkeypatch) -> None:
    import datasets.config
    import huggingface_hub.constants

    # offline with an empty cache (the constants are read at import, so patch them, not only the env)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf")
    with pytest.raises(NslError, match="cannot load HuggingFace dataset 'nobody/no-such-dataset'"):
        pp.prepare([("taco", "nobody/no-such-dataset@train")], str(tmp_path / "p.jsonl"))


def test_cli_prints_table_and_one_line_errors(tmp_path: Path) -> None:
    script = str(SCRIPTS / "prepare_problems.py")
    args = [sys.executable, script, "--output", str(tmp_path / "p.jsonl")]
    ok = subprocess.run(args + [f"--source={n}={s}" for n, s in ALL], capture_output=True, text=True,
                        env=dict(os.environ, PYTHONPATH=str(SCRIPTS.parents[2])))
    assert ok.returncode == 0, ok.stderr
    assert "total                    8           0           1           7           6           1" in ok.stdout
    assert json.loads((tmp_path / "p.jsonl.report.json").read_text())["apps"]["duplicate"] == 1
    bad = subprocess.run(args + ["--source", "apps"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "error: --source 'apps': expected NAME=SPEC, NAME one of taco, apps, code_contests, codeforces"]


def test_clean_problems_drops_flagged_and_renames_to_question(tmp_path: Path) -> None:
    problems = tmp_path / "p.jsonl"
    pp.prepare(ALL, str(problems))
    rows = _rows(problems)
    flags = tmp_path / "contamination.jsonl"
    flags.write_text("".join(json.dumps({"problem": r["problem"], "contaminated": "Chanek" in r["problem"]}) + "\n"
                             for r in rows))
    c = clean_problems.clean(str(problems), str(tmp_path / "clean.jsonl"), str(flags), max_problems=5)
    assert (c["read"], c["contaminated"], c["kept"], c["over_limit"]) == (7, 1, 5, 1)
    out = _rows(tmp_path / "clean.jsonl")
    assert all("question" in r and "problem" not in r for r in out) and not any("Chanek" in r["question"] for r in out)
    assert out[0]["tests"] == rows[0]["tests"] and out[0]["id"] == "taco-0"
    assert out[0]["io_format"] == clean_problems.STDIN_FORMAT and "`maxProduct`" in out[1]["io_format"]
    flags.write_text("".join(flags.read_text().splitlines(keepends=True)[:-1]))
    with pytest.raises(NslError, match="different row counts"):
        clean_problems.clean(str(problems), str(tmp_path / "c2.jsonl"), str(flags))


def test_codeforces_generated_checker_becomes_the_rows_checker() -> None:
    """open-r1/codeforces' generated_checker (problems with several right answers) is kept as the row's
    testlib checker, so the verify stage accepts every right answer, not only the jury's."""
    sources = load("ocr_sources")
    cf = json.loads((DATA / "codeforces.json").read_text())[0]
    checker = '#include "testlib.h"\nint main(int argc, char* argv[]) { registerTestlibCmd(argc, argv); quitf(_ok, ""); }\n'
    row = sources.to_row("codeforces", {**cf, "generated_checker": checker}, 0, "codeforces.json:1")
    assert row["checker"] == {"language": "cpp", "source": checker, "style": "testlib"} and row["tests"]
    assert "checker" not in sources.to_row("codeforces", cf, 0, "codeforces.json:1")
