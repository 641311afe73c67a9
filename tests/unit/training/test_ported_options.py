"""NeMo-Skills options ported last: filters.remove_no_code / split_arithmetic / code_text_filter,
add_code_execution_counts, code_tags and chat_format: config, per-row chain, per-problem selection,
formatting, and a NeMo-Skills style command line end to end."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from array import array
from pathlib import Path

import pytest

from nemo_skills_lite.configs.prepare_data import PrepareDataConfig
from nemo_skills_lite.training.formatting import Formatter
from nemo_skills_lite.training.spill import code_text_select, final_order
from nemo_skills_lite.training.steps import Chain
from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.overrides import parse_overrides

BASE = ["++input_files=x/*.jsonl", "++output_path=out.jsonl", "++filters.remove_len_outlier_problems=false",
        "++filters.remove_contaminated=false"]


def parse(*extra: str) -> PrepareDataConfig:
    return parse_overrides(PrepareDataConfig, [*BASE, *extra], where="prepare_data")


def code(n: int, remaining: int = 2) -> str:
    return (f"Compute.\n<tool_call>\nprint({n} * 2)\n</tool_call>\n```output\n{2 * n}\n```\n"
            f"Remaining code executions: {remaining}.\nThus \\boxed{{{2 * n}}}.")


def text(n: int) -> str:
    return f"We have {n} + {n} + 0 = {2 * n}, so the answer is \\boxed{{{2 * n}}}."


def test_nemo_skills_keys_parse_with_defaults():
    cfg = parse()
    assert (cfg.filters.remove_no_code, cfg.filters.split_arithmetic, cfg.filters.code_text_filter,
            cfg.add_code_execution_counts, cfg.chat_format, cfg.code_tags) == (False, False, None, False, None, None)
    cfg = parse("++filters.remove_no_code=true", "++filters.split_arithmetic=true", "++add_code_execution_counts=true",
                "++filters.code_text_filter=majority_code", "++code_tags=openmath", "++chat_format=Nemotron",
                "++filters.code_text_filter=null", "++chat_format=null")  # later overrides win, null accepted
    assert cfg.filters.remove_no_code and cfg.filters.split_arithmetic and cfg.add_code_execution_counts
    assert cfg.filters.code_text_filter is None and cfg.chat_format is None


@pytest.mark.parametrize("extra,msg", [
    (["++chat_format=chatml"], "chat_format 'chatml' is not valid; valid: null (input/output rows rendered with "
                               "++tokenizer's chat template), nemotron, llama"),
    (["++chat_format=llama", "++output_format=messages"], "chat_format=llama writes SFT conversations; it needs "
                                                          "output_format=sft"),
    (["++filters.code_text_filter=most"], "filters.code_text_filter 'most' is not valid; valid: null, all, "
                                          "majority_code, majority_text, any_code"),
    (["++filters.code_text_filter=all"], "filters.code_text_filter needs ++code_tags=NAME"),
])
def test_invalid_values_name_the_valid_ones(extra, msg):
    with pytest.raises(NslError, match=re.escape(msg)):
        parse(*extra)


def test_chain_order_edits_and_modified_counts():
    cfg = parse("++filters.remove_no_code=true", "++filters.split_arithmetic=true", "++add_code_execution_counts=true",
                "++filters.trim_solutions=false", "++exclude_optional_keys=false")
    chain = Chain(cfg, log=lambda m: None)
    names = [n for n, _ in chain.steps]
    assert names == ["remove_no_code", "split_arithmetic", "add_code_execution_counts"]  # NeMo-Skills' order
    arith = "<tool_call>x</tool_call> so 2 + 3 * 4 = 14"
    rows = [{"problem": "p", "generation": code(1, 3), "symbolic_correct": True},
            {"problem": "p", "generation": arith, "symbolic_correct": True},
            {"problem": "q", "generation": text(2), "symbolic_correct": True}]
    res = chain.process_batch([(json.dumps(r).encode(), False) for r in rows], want_rejected=True)
    out = [json.loads(line) for _, _, line, _ in res.kept]
    assert [o["total_code_executions"] for o in out] == [4, 0]
    assert out[1]["output"] == "<tool_call>x</tool_call> so 2 + 3 * 4 = 2 + 12 = 14"
    assert res.counts["remove_no_code"] == {"in": 3, "drops": {"no_code": 1}, "modified": 0}
    assert res.counts["split_arithmetic"] == {"in": 2, "drops": {}, "modified": 1}
    assert res.counts["add_code_execution_counts"]["modified"] == 2
    assert [json.loads(r)["drop_reason"] for r in res.rejected] == ["no_code"]


def test_code_counts_kept_with_exclude_optional_keys():
    """NeMo-Skills drops the new field unless exclude_optional_keys=false; here asking for it keeps it."""
    chain = Chain(parse("++add_code_execution_counts=true"), log=lambda m: None)
    res = chain.process_batch([({"problem": "p", "generation": code(1, 5), "symbolic_correct": True}, False)], False)
    assert json.loads(res.kept[0][2]) == {"input": "p", "output": code(1, 5), "total_code_executions": 6}


def test_code_flag_for_code_text_filter():
    chain = Chain(parse("++filters.code_text_filter=all", "++code_tags=openmath"), log=lambda m: None)
    res = chain.process_batch([({"problem": "p", "generation": g, "symbolic_correct": True}, False)
                               for g in (code(1), text(1))], False)
    assert [k[3] for k in res.kept] == [True, False]


def test_code_text_select_groups_code_first_and_counts_drops():
    # rows in arrival order: problem 1 has 1 code of 3, problem 2 has 2 code of 2, problem 3 only text
    groups = array("q", [1, 2, 1, 3, 2, 1])
    has_code = array("b", [0, 1, 1, 0, 1, 0])
    keep, drops = code_text_select(groups, has_code, "majority_code")
    assert keep == [2, 0, 5, 1, 4, 3] and not drops  # every group keeps all; code first within each problem
    keep, drops = code_text_select(groups, has_code, "all")
    assert keep == [2, 1, 4] and drops == {"text_solution": 3}
    keep, drops = code_text_select(groups, has_code, "majority_text")
    assert keep == [0, 5, 1, 4, 3] and drops == {"code_solution": 1}
    keep, drops = code_text_select(groups, has_code, "any_code")
    assert keep == [2, 1, 4, 3] and drops == {"text_solution": 2}
    # downstream ordering only picks from the kept rows
    assert final_order(6, groups, None, None, 0, False, keep) == keep
    assert sorted(final_order(6, groups, None, None, 0, True, keep)) == sorted(keep)
    assert final_order(6, groups, "fair", 3, 0, False, keep) == [2, 1, 3]  # first solution of every problem
    assert set(final_order(6, groups, "random", 2, 0, True, keep)) <= set(keep)


def test_chat_formats_match_nemo_skills_rows():
    from nemo_skills_lite.training.formatting import load_prompt

    row = {"problem": "What is 2+2?", "generation": "4", "expected_answer": 4}
    prompt = load_prompt("generic/math", "Be brief.")
    fmt = Formatter(input_key="problem", output_key="generation", output_format="sft", prompt=prompt,
                    chat_format="nemotron", metadata={"source": "t"})
    out = fmt(row)
    user = prompt.messages(row)[-1]["content"]
    assert out == {"expected_answer": "4", "system": "Be brief.", "mask": "User", "source": "t",
                   "conversations": [{"value": user, "from": "User", "canonical_form": ""},
                                     {"value": "4", "from": "Assistant", "canonical_form": ""}]}
    assert fmt.texts_for_lengths(out) == {"input": "Be brief." + user, "output": "4"}
    llama = Formatter(input_key="problem", output_key="generation", output_format="sft", chat_format="LLAMA")(row)
    assert llama["mask"] == llama["conversations"][0]["from"] == "<|start_header_id|>user<|end_header_id|>"
    assert llama["conversations"][1]["from"] == "<|start_header_id|>assistant<|end_header_id|>"
    assert llama["conversations"][0]["value"] == "What is 2+2?" and llama["system"] == ""  # no prompt: raw problem


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nemo_skills_lite.training.prepare_data", *args],
                          capture_output=True, text=True, timeout=120)


def test_nemo_skills_command_line_end_to_end(tmp_path):
    rows = []
    for p in range(3):  # problem 0: 2 code of 4, problem 1: 3 code of 4, problem 2: text only
        gens = [code(10 * p + k) if k < p + 2 - (p == 2) * 4 else text(10 * p + k) for k in range(4)]
        rows += [{"problem": f"Problem {p}", "generation": g, "symbolic_correct": True, "expected_answer": "x"}
                 for g in gens]
    rows.append({"problem": "Problem 0", "generation": text(99), "symbolic_correct": False})
    src = tmp_path / "output-rs0.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "sft.jsonl"
    p = _cli(f"++input_files={tmp_path}/output-rs*.jsonl", f"++output_path={out}", "++prompt_config=generic/math",
             "++filters.drop_multi_boxed=true", "++filters.remove_contaminated=false",
             "++filters.remove_len_outlier_problems=false", "++filters.remove_no_code=false",
             "++filters.split_arithmetic=true", "++filters.code_text_filter=majority_text", "++code_tags=openmath",
             "++add_code_execution_counts=true", "++exclude_optional_keys=false", "++chat_format=nemotron",
             "++do_shuffle=false")
    assert p.returncode == 0, p.stderr
    got = [json.loads(line) for line in out.read_text().splitlines()]
    # majority_text: problem 0 (2 of 4 code) keeps its text, problem 1 (3 of 4) its code, problem 2 its text
    kinds = [(r["problem"], "<tool_call>" in r["conversations"][1]["value"]) for r in got]
    assert kinds == [("Problem 0", False)] * 2 + [("Problem 1", True)] * 3 + [("Problem 2", False)] * 4
    for r in got:
        answer = r["conversations"][1]["value"]
        assert r["mask"] == "User" and r["conversations"][0]["value"].endswith(r["problem"])
        assert r["total_code_executions"] == (3 if "<tool_call>" in answer else 0)
        if "<tool_call>" not in answer:  # split_arithmetic expanded 'n + n + 0 = 2n'
            assert re.search(r"(\d+) \+ \1 \+ 0 = (\d+) \+ 0 = \2", answer), answer
    funnel = json.loads((tmp_path / "sft-report" / "funnel.json").read_text())
    steps = {s["name"]: s for s in funnel["steps"]}
    assert steps["read"]["drops"] == {"incorrect": 1}
    assert steps["split_arithmetic"]["modified"] == 7 and steps["add_code_execution_counts"]["modified"] == 12
    assert steps["code_text_filter"]["drops"] == {"code_solution": 2, "text_solution": 1}
    assert steps["code_text_filter"]["out"] == len(got) == 9
    assert list(steps)[-2:] == ["deduplicate", "code_text_filter"]
    assert "modified" in p.stdout.splitlines()[0] and "kept 9 of 13 rows" in p.stdout

    # remove_no_code + llama conversations
    out2 = tmp_path / "tool.jsonl"
    p = _cli(f"++input_files={src}", f"++output_path={out2}", "++filters.remove_no_code=true",
             "++filters.remove_contaminated=false", "++filters.remove_len_outlier_problems=false",
             "++chat_format=llama")
    assert p.returncode == 0, p.stderr
    got = [json.loads(line) for line in out2.read_text().splitlines()]
    assert len(got) == 5 and all("<tool_call>" in r["conversations"][1]["value"] for r in got)
    assert all(set(r) == {"conversations", "system", "mask", "expected_answer"} for r in got)


def test_bad_option_is_one_line_error(tmp_path):
    (tmp_path / "in.jsonl").write_text(json.dumps({"problem": "p", "generation": "g", "symbolic_correct": True}) + "\n")
    p = _cli(f"++input_files={tmp_path / 'in.jsonl'}", f"++output_path={tmp_path / 'o.jsonl'}",
             "++filters.remove_len_outlier_problems=false", "++filters.code_text_filter=any_code",
             "++code_tags=chatml")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.strip().splitlines()[-1].startswith("error: code_tags 'chatml' is not valid; valid: openmath")
    assert not Path(tmp_path / "o.jsonl").exists()
