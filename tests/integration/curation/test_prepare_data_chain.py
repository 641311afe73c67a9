"""prepare_data end to end on NeMo-Skills' graded generation fixtures with a real tokenizer (the tiny
ChatML model), the real prompt config, real report files; plus OCR post-processing on code rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nemo_skills_lite.cli import main as nsl_main
from nemo_skills_lite.configs.prepare_data import PrepareDataConfig
from nemo_skills_lite.data.filters import last_boxed_span
from nemo_skills_lite.data.io import iter_rows
from nemo_skills_lite.training.prepare_data import main as prepare_main
from nemo_skills_lite.training.prepare_data import run
from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.overrides import parse_overrides

DATA = Path(__file__).resolve().parents[2] / "data" / "curation"
INPUTS = [DATA / f"nemo_skills_math_output_rs{i}.jsonl" for i in range(3)]
NO_LEN = ["++filters.remove_len_outlier_problems=false", "++filters.remove_contaminated=false"]


def all_rows() -> list[dict]:
    return [json.loads(line) for p in INPUTS for line in p.read_text().splitlines() if line.strip()]


def read(path: Path) -> list[dict]:
    return list(iter_rows(path))


def cfg(tmp: Path, *extra: str, out: str = "sft.jsonl") -> PrepareDataConfig:
    return parse_overrides(PrepareDataConfig, [f"++input_files={DATA}/nemo_skills_math_output_rs*.jsonl",
                                               f"++output_path={tmp / out}", "++workers=1", *NO_LEN, *extra])


def test_seed_recipe_chain_with_tokenizer(tmp_path, tiny_model_dir):
    from transformers import AutoTokenizer

    rc = nsl_main(["prepare-data", f"++input_files={DATA}/nemo_skills_math_output_rs*.jsonl",
                   f"++output_path={tmp_path / 'sft.jsonl'}", f"++tokenizer={tiny_model_dir}",
                   "++prompt_config=generic/math", "++filters.drop_multi_boxed=false", "++filters.trim_prefix=false",
                   "++filters.remove_contaminated=false", "++filters.remove_len_outlier_solutions=false",
                   "++filters.remove_len_outlier_problems=false", f"++rejected_path={tmp_path / 'rejected.jsonl'}",
                   "++workers=1"])
    assert rc == 0
    src = all_rows()
    correct = {(r["problem"], r["generation"]) for r in src if r["symbolic_correct"]}
    out = read(tmp_path / "sft.jsonl")
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    problems = {r["problem"] for r in src}
    assert 0 < len(out) <= len(correct)
    for row in out:
        assert set(row) == {"input", "output", "expected_answer"}
        assert row["input"].startswith("<|im_start|>user\nSolve the following math problem.")
        assert row["input"].endswith("<|im_start|>assistant\n")
        assert row["output"].endswith("<|im_end|>")
        problem = row["input"].split("\\boxed{}.\n\n", 1)[1].rsplit("<|im_end|>", 1)[0]
        assert problem in problems
        # trim_solutions (default on): nothing after the line with the last boxed answer
        gen = row["output"][: -len("<|im_end|>")]
        span = last_boxed_span(gen)
        if span:
            assert "\n" not in gen[span[1]:]
        assert tok.apply_chat_template([{"role": "user", "content": row["input"][len("<|im_start|>user\n"):].split("<|im_end|>")[0]}],
                                       tokenize=False, add_generation_prompt=True) == row["input"]
    # every dropped row is in the rejected file with its reason, and the counts add up
    rejected = read(tmp_path / "rejected.jsonl")
    assert {r["drop_reason"] for r in rejected} == {"incorrect"}
    assert len(rejected) == sum(1 for r in src if not r["symbolic_correct"])
    funnel = json.loads((tmp_path / "sft-report" / "funnel.json").read_text())
    steps = {s["name"]: s for s in funnel["steps"]}
    assert steps["read"]["in"] == len(src) == 150
    assert steps["deduplicate"]["out"] == len(out)
    assert steps["deduplicate"]["in"] - steps["deduplicate"]["dropped"] == len(out)
    assert funnel["length_unit"] == "tokens" and sum(funnel["length_histograms"]["output"]) == len(out)
    assert (tmp_path / "sft-report" / "funnel.png").read_bytes()[:4] == b"\x89PNG"


def test_workers_give_the_same_output_and_parquet(tmp_path):
    a = run(cfg(tmp_path, "++do_shuffle=true", out="a.jsonl"))
    b = run(cfg(tmp_path, "++do_shuffle=true", "++workers=2", "++batch_size=16", out="b.parquet"))
    assert a.rows_written == b.rows_written > 0
    assert read(tmp_path / "a.jsonl") == read(tmp_path / "b.parquet")
    run(cfg(tmp_path, "++do_shuffle=false", out="c.jsonl"))
    assert sorted(json.dumps(r) for r in read(tmp_path / "c.jsonl")) == sorted(json.dumps(r) for r in read(tmp_path / "a.jsonl"))


def test_selection_flags_and_judgement(tmp_path):
    src = all_rows()
    n_correct = len({(r["problem"], r["generation"]) for r in src if r["symbolic_correct"]})
    n_incorrect = len({(r["problem"], r["generation"]) for r in src if not r["symbolic_correct"]})
    only_bad = run(cfg(tmp_path, "++add_correct=false", "++add_incorrect=true", "++filters.trim_solutions=false",
                       out="bad.jsonl"))
    assert only_bad.rows_written == n_incorrect
    both = run(cfg(tmp_path, "++add_incorrect=true", "++filters.trim_solutions=false", out="both.jsonl"))
    assert both.rows_written == n_correct + n_incorrect
    # judged copy: the judge disagrees with symbolic_correct on every 4th row; one row unjudged
    judged_dir = tmp_path / "judged"
    judged_dir.mkdir()
    expected = set()
    for k, p in enumerate(INPUTS):
        rows = [json.loads(line) for line in p.read_text().splitlines()]
        for i, r in enumerate(rows):
            ok = r["symbolic_correct"] != (i % 4 == 0)
            if (k, i) == (0, 1):
                continue
            r["judgement"] = f"Reasoning...\nJudgement: {'Yes' if ok else 'No'}"
            if ok:
                expected.add((r["problem"], r["generation"]))
        (judged_dir / f"output-rs{k}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    res = run(parse_overrides(PrepareDataConfig, [
        f"++input_files={judged_dir}/output-rs*.jsonl", f"++output_path={tmp_path / 'j.jsonl'}", "++use_judgement=true",
        "++workers=1", "++filters.trim_solutions=false", "++exclude_optional_keys=false", *NO_LEN]))
    got = {(r["problem"], r["generation"]) for r in read(tmp_path / "j.jsonl")}
    assert got == expected and res.rows_written == len(expected)
    assert res.funnel.steps["read"].drops["unlabeled"] == 1


def test_formats_messages_and_rl(tmp_path):
    res = run(cfg(tmp_path, "++output_format=messages", "++prompt_config=generic/math", "++system_message=Be brief.",
                  out="m.jsonl"))
    rows = read(tmp_path / "m.jsonl")
    assert res.rows_written == len(rows) > 0
    assert [m["role"] for m in rows[0]["messages"]] == ["system", "user", "assistant"]
    assert rows[0]["messages"][0]["content"] == "Be brief."
    rl = run(cfg(tmp_path, "++output_format=rl", "++prompt_config=generic/math", out="rl.jsonl"))
    rl_rows = read(tmp_path / "rl.jsonl")
    assert rl.rows_written == len({r["problem"] for r in all_rows()})  # one row per problem, labels ignored
    assert set(rl_rows[0]) == {"input", "problem", "expected_answer"}


def test_downsampling_and_metadata(tmp_path):
    res = run(cfg(tmp_path, "++downsampling_method=fair", "++num_output_samples=40", "++metadata.source=math",
                  out="d.jsonl"))
    rows = read(tmp_path / "d.jsonl")
    assert res.rows_written == len(rows) == 40 and all(r["source"] == "math" for r in rows)
    assert res.funnel.steps["downsample"].drops["fair"] > 0
    # fair: every problem that has a correct solution is represented before any gets a second one
    n_problems = len({r["problem"] for r in all_rows() if r["symbolic_correct"]})
    assert len({r["input"] for r in rows}) == min(40, n_problems)


def test_contamination_and_length_filters(tmp_path, tiny_model_dir):
    from transformers import AutoTokenizer

    src = all_rows()
    bad = sorted({r["problem"] for r in src if r["symbolic_correct"]})[:3]
    cf = tmp_path / "contamination.jsonl"
    cf.write_text("".join(json.dumps({"problem": p, "contaminated": True}) + "\n" for p in bad))
    res = run(parse_overrides(PrepareDataConfig, [
        f"++input_files={DATA}/nemo_skills_math_output_rs*.jsonl", f"++output_path={tmp_path / 'o.jsonl'}",
        "++workers=1", f"++contamination_file={cf}", f"++tokenizer={tiny_model_dir}", "++max_problem_length=60",
        "++exclude_optional_keys=false"]))
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    out = read(tmp_path / "o.jsonl")
    assert not {r["problem"] for r in out} & set(bad)
    assert all(len(tok.encode(r["problem"], add_special_tokens=False)) <= 60 for r in out)
    assert res.funnel.steps["remove_contaminated"].drops["contaminated"] > 0
    assert res.funnel.steps["remove_len_outlier_problems"].drops["problem_too_long"] > 0


OCR_ROWS = [
    ("<think>\nplan\n</think>\n```python\nprint(sum(map(int, input().split())))\n```", "stop", None),
    ("plan only closed\n</think>\n```cpp\nint main() { return 0; }\n```", "stop", None),
    ("no tags\n```python\nprint(1)\n```", "stop", "no_think_end_tag"),
    ("<think>\n```python\nx = 1\n```\n</think>\n```python\nprint(x)\n```", "stop", "code_in_reasoning"),
    ("<think>\nplan\n</think>\nI give up.", "stop", "no_code_block"),
    ("<think>\nplan\n</think>\n```python\ndef f(:\n    pass\n```", "stop", "syntax_error_python"),
    ("<think>\nplan\n</think>\n```cpp\nint main() { return 0 }\n```", "stop", "syntax_error_cpp"),
    ("<think>\nplan and then the model ran out of tok", "length", "finish_reason_length"),
]


def test_ocr_post_processing_chain(tmp_path):
    inp = tmp_path / "ocr.jsonl"
    inp.write_text("".join(json.dumps({"input": f"problem {i}", "output": o, "finish_reason": fr}) + "\n"
                           for i, (o, fr, _) in enumerate(OCR_ROWS)))
    res = run(parse_overrides(PrepareDataConfig, [
        f"++input_files={inp}", f"++output_path={tmp_path / 'o.jsonl'}", "++input_key=input", "++output_key=output",
        "++add_unlabeled=true", "++filters.trim_solutions=false", *NO_LEN, "++workers=1", "++do_shuffle=false",
        "++filters.drop_truncated=true", "++filters.validate_think_tags=true", "++filters.drop_code_in_reasoning=true",
        "++filters.extract_code_block=true", "++filters.check_code_syntax=true", "++exclude_optional_keys=false",
        f"++rejected_path={tmp_path / 'rej.jsonl'}"]))
    out = read(tmp_path / "o.jsonl")
    assert [r["input"] for r in out] == ["problem 0", "problem 1"]
    assert out[1]["output"].startswith("<think>\nplan only closed")  # <think> prepended
    assert [r["language"] for r in out] == ["python", "cpp"]
    rej = {r["input"]: r["drop_reason"] for r in read(tmp_path / "rej.jsonl")}
    assert rej == {f"problem {i}": reason for i, (_, _, reason) in enumerate(OCR_ROWS) if reason}
    assert res.funnel.summary() == f"kept 2 of {len(OCR_ROWS)} rows (25.0%)"


def test_bad_input_is_a_clear_error_and_nothing_is_overwritten(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    lines = INPUTS[0].read_text().splitlines()
    bad.write_text("\n".join(lines[:5] + ['{"problem": "x", "generation": '] + lines[5:]) + "\n")
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n")
    with pytest.raises(NslError, match=r"bad.jsonl:6: not valid JSON"):
        run(parse_overrides(PrepareDataConfig, [f"++input_files={bad}", f"++output_path={out}", "++workers=1", *NO_LEN]))
    assert out.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "out.jsonl"]
    with pytest.raises(NslError, match=r"no key 'question'.*keys present: .*problem"):
        run(cfg(tmp_path, "++input_key=question"))
    assert nsl_main(["prepare-data", f"++input_files={bad}", f"++output_path={out}", "++filters.bogus=1"]) == 2
    assert "unknown key 'filters.bogus'" in capsys.readouterr().err
    with pytest.raises(NslError, match="is also an input file"):
        run(cfg(tmp_path, f"++input_files={out}", out="out.jsonl"))
    with pytest.raises(NslError, match="prompt config 'generic/nope' not found"):
        run(cfg(tmp_path, "++prompt_config=generic/nope"))


def test_hf_folder_input(tmp_path):
    import datasets

    datasets.Dataset.from_list(all_rows()).save_to_disk(str(tmp_path / "ds"))
    res = run(parse_overrides(PrepareDataConfig, [f"++input_files={tmp_path / 'ds'}", f"++output_path={tmp_path / 'o.jsonl'}",
                                                  "++workers=1", *NO_LEN]))
    ref = run(cfg(tmp_path, out="ref.jsonl"))
    assert res.rows_written == ref.rows_written > 0
    assert prepare_main(["--help"]) == 0
