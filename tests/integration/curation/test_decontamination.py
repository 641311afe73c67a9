"""Decontamination with the real embedding model (all-MiniLM-L6-v2, offline): planted paraphrases of
MATH-500 problems are found, unrelated problems are not; the LLM-check handoff files round-trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nemo_skills_lite.data.decontam import BenchItem, find_candidates, load_benchmarks
from nemo_skills_lite.data.decontam_cli import PAIRS_FILE, main
from nemo_skills_lite.training.prepare_data import run
from nemo_skills_lite.configs.prepare_data import PrepareDataConfig
from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.overrides import parse_overrides

pytestmark = pytest.mark.embedding
DATA = Path(__file__).resolve().parents[2] / "data" / "curation"


def planted() -> list[dict]:
    return [json.loads(line) for line in (DATA / "planted_problems.jsonl").read_text().splitlines()]


def math500() -> list[BenchItem]:
    return load_benchmarks([f"math500={DATA / 'math500_first200.jsonl'}"])


def test_planted_paraphrases_found_unrelated_ignored(embedding_model):
    rows, bench = planted(), math500()
    cands = {c.index: c for c in find_candidates([r["problem"] for r in rows], bench, embedding_model)}
    for i, r in enumerate(rows):
        if r["planted_of"] is not None:
            assert i in cands, f"planted {r['kind']} not flagged: {r['problem']}"
            c = cands[i]
            assert c.benchmark == "math500"
            assert c.similar_items[0] == bench[r["planted_of"]].text
            assert c.cosine[0] >= 0.7
        else:
            assert i not in cands, f"unrelated problem flagged: {r['problem']} ~ {cands[i].similar_items}"
    verbatim = next(i for i, r in enumerate(rows) if r["kind"] == "verbatim")
    assert cands[verbatim].ngram_match and cands[verbatim].embedding_match
    paraphrase = next(i for i, r in enumerate(rows) if r["kind"] == "paraphrase")
    assert not cands[paraphrase].ngram_match and cands[paraphrase].embedding_match  # only embeddings see it


def test_threshold_and_ngram_only():
    rows, bench = planted(), math500()
    cands = find_candidates([r["problem"] for r in rows], bench, None, ngram=10)
    kinds = [rows[c.index]["kind"] for c in cands]
    assert "verbatim" in kinds and set(kinds) <= {"verbatim", "paraphrase"}
    # n-grams alone miss the reworded paraphrases (a shared formula may still match)
    assert kinds.count("paraphrase") < sum(r["kind"] == "paraphrase" for r in rows) - 2


def test_cli_stages_and_prepare_data_handoff(tmp_path, embedding_model_path):
    problems = tmp_path / "problems.jsonl"
    rows = planted()
    problems.write_text("".join(json.dumps({"problem": r["problem"], "generation": "\\boxed{1}",
                                            "symbolic_correct": True}) + "\n" for r in rows))
    # a small benchmark file (the planted targets + 20 others) keeps the CPU encoding short
    lines = (DATA / "math500_first200.jsonl").read_text().splitlines()
    targets = {r["planted_of"] for r in rows if r["planted_of"] is not None}
    bench_file = tmp_path / "math500_subset.jsonl"
    bench_file.write_text("".join(line + "\n" for i, line in enumerate(lines) if i in targets or i < 20))
    out = tmp_path / "decontam"
    assert main([str(problems), "--output-dir", str(out), "--model", embedding_model_path,
                 "--benchmark", f"math500={bench_file}",
                 "--benchmark", f"other={DATA / 'planted_problems.jsonl'}:kind"]) == 0
    pairs = [json.loads(line) for line in (out / PAIRS_FILE).read_text().splitlines()]
    n_planted = sum(r["planted_of"] is not None for r in rows)
    assert len(pairs) == n_planted and all(p["similar_items"] and "problem" in p for p in pairs)
    rep = json.loads((out / "report.json").read_text())
    assert rep["per_benchmark"]["math500"]["candidates"] == n_planted
    assert rep["per_benchmark"]["other"]["candidates"] == 0 and not rep["llm_checked"]
    # the LLM check (generate(generation_type="check_contamination")) answers; here: all but one confirmed
    checked = tmp_path / "checked.jsonl"
    checked.write_text("".join(json.dumps({**p, "contaminated": k != 0}) + "\n" for k, p in enumerate(pairs)))
    assert main([str(problems), "--output-dir", str(out), "--llm-flags", str(checked)]) == 0
    contamination = [json.loads(line) for line in (out / "contamination.jsonl").read_text().splitlines()]
    assert len(contamination) == len(rows)
    assert sum(r["contaminated"] for r in contamination) == n_planted - 1
    rep = json.loads((out / "report.json").read_text())
    assert rep["llm_checked"] and rep["per_benchmark"]["math500"]["confirmed"] == n_planted - 1
    # prepare_data consumes the contamination file
    res = run(parse_overrides(PrepareDataConfig, [
        f"++input_files={problems}", f"++output_path={tmp_path / 'sft.jsonl'}", f"++contamination_file={out / 'contamination.jsonl'}",
        "++filters.remove_len_outlier_problems=false", "++workers=1"]))
    assert res.funnel.steps["remove_contaminated"].drops["contaminated"] == n_planted - 1


def test_cli_errors(tmp_path):
    with pytest.raises(NslError, match="--benchmark"):
        main([str(DATA / "planted_problems.jsonl"), "--output-dir", str(tmp_path)])
    with pytest.raises(NslError, match="NAME=PATH"):
        load_benchmarks([str(DATA / "math500_first200.jsonl")])
    with pytest.raises(NslError, match="run stage 1"):
        main([str(DATA / "planted_problems.jsonl"), "--output-dir", str(tmp_path), "--llm-flags", "x.jsonl"])
