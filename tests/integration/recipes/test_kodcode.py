"""The KodCode recipe.

- ``test_scripts_with_real_sandbox``: hand-written, realistic model answers (questions of four subsets,
  four trials per question: passing, failing, malformed; style conversions: one passing, one failing, one
  malformed) go through the recipe's own stage scripts and ``nsl verify-code`` in the real sandbox, exactly
  as the recipe chains them; the kept questions, best trials, difficulties and exports are checked.
- ``test_recipe_end_to_end``: the recipe on the local executor and on the real local Slurm, with the tiny vLLM model (garbage text): every
  stage finishes, every trial went through the sandbox stage, outputs and the funnel report exist.
"""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from nemo_skills_lite.runtime.worker import free_port, wait_http
from tests.integration.recipes.helpers import EXECUTORS, recipe_cluster, run_recipe, slurm_job_states, wait_all

ROOT = Path(__file__).resolve().parents[3]
SCRIPTS = ROOT / "recipes" / "kodcode" / "scripts"
DATA = ROOT / "tests" / "data" / "recipes" / "kodcode"
FN_NAMES = ("is_palindrome", "running_sum", "merge_intervals", "gcd_list")


def run(*argv: str) -> subprocess.CompletedProcess:
    p = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    return p


def script(name: str, *argv: str) -> subprocess.CompletedProcess:
    return run(str(SCRIPTS / f"{name}.py"), *argv)


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write(path: Path, items: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in items))


@contextmanager
def sandbox_service():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "nemo_skills_lite.code_execution.service", "--port", str(port),
                             "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", 60, "the sandbox service")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def fn_of(question: str) -> str:
    return next(f for f in FN_NAMES if f"`{f}(" in question)


@pytest.mark.sandbox
def test_scripts_with_real_sandbox(tmp_path: Path, sandbox_pool) -> None:
    w = tmp_path / "kodcode"
    script("build_seeds", str(w / "seeds"), "--per-subset", "2", *(f"--{k}={ROOT}/recipes/kodcode/data/{k}.jsonl"
                                                                      for k in ("topics", "questions", "snippets", "docs")))
    for subset, gens in json.loads((DATA / "question_generations.json").read_text()).items():
        write(w / "questions-gen" / subset / "output.jsonl", [{"subset": subset, **g} for g in gens])
    script("parse_questions", str(w / "questions-gen"), str(w / "questions" / "questions.jsonl"))
    questions = rows(w / "questions" / "questions.jsonl")
    assert sorted(fn_of(q["question"]) for q in questions) == sorted(FN_NAMES)
    assert {q["id"] for q in questions} == {"zero_shot-0", "zero_shot-1", "questions-0", "questions-1"}
    drops = json.loads((w / "questions" / "questions.summary.json").read_text())["drops"]
    assert drops == {"no_question_section": 1, "duplicate_exact": 1, "bad_document": 1, "too_short": 1}

    trials = json.loads((DATA / "trial_generations.json").read_text())
    for t in range(4):  # what the generate stage writes: output-rs<seed>.jsonl, every input field kept
        write(w / "trials-gen" / f"output-rs{t}.jsonl",
              [{**q, "generation": trials[fn_of(q["question"])][t]} for q in questions])
    script("parse_trials", str(w / "trials-gen"), str(w / "trials" / "trials.jsonl"))
    run("-m", "nemo_skills_lite.cli", "verify-code", str(w / "trials" / "trials.jsonl"),
        str(w / "trials" / "verified.jsonl"), "--workers", "2")
    verified = rows(w / "trials" / "verified.jsonl")
    assert len(verified) == 16 and all("verdict" in r for r in verified)
    by = {(fn_of(r["question"]), r["trial"]): r for r in verified}
    assert [by["is_palindrome", t]["passed"] for t in range(4)] == [True, True, True, False]
    assert by["running_sum", 2]["parse_error"] == "no_test_block"
    assert by["merge_intervals", 1]["verdict"] == "syntax_error"
    assert by["merge_intervals", 3]["parse_error"] == "no_code_block"
    assert by["gcd_list", 2]["parse_error"] == "no_test_functions"
    assert by["running_sum", 0]["tests_total"] == 5  # parametrized tests count one by one

    script("select_trials", str(w / "trials" / "verified.jsonl"), str(w / "selected" / "selected.jsonl"),
           "--num-trials", "4")
    selected = {fn_of(r["question"]): r for r in rows(w / "selected" / "selected.jsonl")}
    assert set(selected) == {"is_palindrome", "running_sum", "merge_intervals"}
    pal, rsum, merge = selected["is_palindrome"], selected["running_sum"], selected["merge_intervals"]
    assert (pal["pass_sequence"], pal["difficulty"], pal["chosen_trial"]) == ([1, 1, 1, 0], "easy", 1)  # 3 tests, shortest
    assert (rsum["pass_sequence"], rsum["difficulty"], rsum["chosen_trial"]) == ([1, 1, 0, 0], "medium", 0)  # 5 tests
    assert (merge["pass_sequence"], merge["difficulty"], merge["chosen_trial"]) == ([1, 0, 0, 0], "hard", 0)
    assert [fn_of(r["question"]) for r in rows(w / "selected" / "selected-failed.jsonl")] == ["gcd_list"]

    conversions = json.loads((DATA / "conversions.json").read_text())
    write(w / "convert-gen" / "output.jsonl",
          [{**r, "generation": conversions[fn_of(r["question"])]} for r in rows(w / "selected" / "selected.jsonl")])
    script("parse_converted", str(w / "convert-gen" / "output.jsonl"), str(w / "converted" / "converted.jsonl"))
    with sandbox_service() as url:  # the recipe's way: a sandbox service beside the job, --sandbox-url
        run("-m", "nemo_skills_lite.cli", "verify-code", str(w / "converted" / "converted.jsonl"),
            str(w / "converted" / "verified.jsonl"), "--sandbox-url", url)
    conv = {r["source_id"]: r for r in rows(w / "converted" / "verified.jsonl")}
    assert conv[pal["id"]]["verdict"] == "accepted" and conv[pal["id"]]["tests_total"] == 3
    assert conv[rsum["id"]]["verdict"] == "wrong_answer"
    assert conv[merge["id"]]["parse_error"] == "no_tests"

    script("export_triplets", str(w / "selected" / "selected.jsonl"), str(w / "export"),
           "--converted", str(w / "converted" / "verified.jsonl"))
    for kind, extra in (("sft", ["++output_key=response"]), ("rl", ["++output_format=rl", "++exclude_optional_keys=false"])):
        run("-m", "nemo_skills_lite.training.prepare_data", "++input_key=question", "++filters.trim_solutions=false",
            "++filters.remove_contaminated=false", "++filters.remove_len_outlier_problems=false",
            f"++preprocessed_dataset_files={w}/export/{kind}-input.jsonl", f"++output_path={w}/export/kodcode-{kind}.jsonl",
            *extra)
    sft, rl = rows(w / "export" / "kodcode-sft.jsonl"), rows(w / "export" / "kodcode-rl.jsonl")
    assert len(sft) == len(rl) == 4  # 3 function-call triplets + the passing stdin conversion
    assert all(r["output"].startswith("```python\n") for r in sft)
    stdin_rl = [r for r in rl if r["style"] == "stdin"]
    assert len(stdin_rl) == 1 and stdin_rl[0]["tests"][0]["output"] == "YES\n" and stdin_rl[0]["difficulty"] == "easy"
    assert sum("from solution import" in r.get("test_code", "") for r in rl) == 3

    # the RL reward form works: the reference solution scores 1 on its own row
    reward_rows = [{"code": s["solution"], "test_code": r["test_code"]} for s, r in
                   zip(rows(w / "selected" / "selected.jsonl"), rows(w / "export" / "rl-input.jsonl"))]
    from nemo_skills_lite.code_execution import verify_rows
    assert all(r["passed"] for r in verify_rows(reward_rows, pool=sandbox_pool))

    out = script("kodcode_report", str(w)).stdout
    assert "self_verification" in out and "SFT rows 4, RL rows 4" in out
    report = json.loads((w / "report" / "report.json").read_text())
    assert report["headline"]["difficulty"] == {"easy": 1, "medium": 1, "hard": 1}
    assert report["headline"]["seeds"] == 8 and report["headline"]["trials"] == 16


STAGES = ["seeds", *(f"questions-{s}" for s in ("zero_shot", "questions", "snippets", "docs")), "parse-questions",
          "trials", "parse-trials", "verify-trials", "select", "convert", "parse-converted", "verify-converted", "export"]


@pytest.mark.vllm
@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.parametrize("executor", EXECUTORS)
def test_recipe_end_to_end(executor: str, tmp_path: Path, request, vllm_server, tiny_model_dir: Path,
                           sandbox_pool) -> None:
    cluster = recipe_cluster(executor, tmp_path, request)
    out = tmp_path / "kc"
    p = run_recipe("recipes/kodcode/kodcode.py", cluster, "--output-dir", str(out),
                   "--server-address", vllm_server.url, "--model", vllm_server.model,
                   "--tokenizer", str(tiny_model_dir), "--seeds-per-subset", "2", "--num-trials", "2",
                   "--tokens-to-generate", "32", "--expname-prefix", "kc-e2e")
    assert p.stdout.count("[nsl] stage") == len(STAGES)
    wait_all(cluster, [f"kc-e2e-{name}" for name in STAGES])
    if executor == "slurm":  # every stage really ran as Slurm jobs, the sandbox ones included
        assert slurm_job_states(tmp_path / "registry", [f"kc-e2e-{name}" for name in STAGES]) == {"COMPLETED"}
    for subset in ("zero_shot", "questions", "snippets", "docs"):
        assert len(rows(out / "seeds" / f"{subset}.jsonl")) == 2
        gens = rows(out / "questions-gen" / subset / "output.jsonl")
        assert len(gens) == 2 and all(isinstance(g["generation"], str) for g in gens)
    questions = rows(out / "questions" / "questions.jsonl")
    q_summary = json.loads((out / "questions" / "questions.summary.json").read_text())
    assert q_summary["generated"] == 8 and q_summary["kept"] == len(questions)
    assert len(questions) >= 1, "the 'questions' subset takes the bare answer, so garbage still yields questions"
    for seed in (0, 1):
        assert len(rows(out / "trials-gen" / f"output-rs{seed}.jsonl")) == len(questions)
    verified = rows(out / "trials" / "verified" / "output.jsonl")
    assert len(verified) == 2 * len(questions)  # every trial went through the sandbox stage
    assert all({"verdict", "passed", "tests_total"} <= set(r) for r in verified)
    selected = rows(out / "selected" / "selected.jsonl")
    failed = rows(out / "selected" / "selected-failed.jsonl")
    assert len(selected) + len(failed) == len(questions)
    assert len(rows(out / "convert-gen" / "output.jsonl")) == len(selected)
    assert len(rows(out / "converted" / "verified" / "output.jsonl")) == len(selected)
    report = json.loads((out / "report" / "report.json").read_text())
    assert report["headline"]["trials"] == len(verified) and report["headline"]["questions"] == len(questions)
    assert report["final"]["sft_rows"] == len(rows(out / "export" / "kodcode-sft.jsonl"))
    assert (out / "report" / "questions-funnel.txt").exists() and (out / "export" / "kodcode-rl.jsonl").exists()
