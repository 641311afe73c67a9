"""generate against the fault-injecting fake: every row completes with its own answer; replicas; signals;
judges' LLM skipping; a user generation_module. (Behaviour against real vLLM: tests/integration/inference.)"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from nemo_skills_lite.runtime.markers import is_done

from .conftest import PY, read_rows, run_module, write_rows
from .fake_openai import reply_for

GEN = "nemo_skills_lite.inference.generate"


def _args(inp: Path, out: Path, url: str, *extra: str) -> list[str]:
    return [f"++input_file={inp}", f"++output_file={out}", "++prompt_config=generic/math",
            f"++server.base_url={url}", "++server.model=fake-model", "++server.retry_backoff_s=0.01",
            "++inference.random_seed=7", *extra]


def _expected(row: dict, seed: int = 7) -> str:
    from nemo_skills_lite.inference.prompts import Prompt, load_prompt_config

    return reply_for(Prompt(load_prompt_config("generic/math")).messages(row)[-1]["content"], f"{seed}/0")


def test_ten_percent_faults_all_rows_complete(tmp_path, fake_server):
    fake = fake_server(fault_rate=0.1, slow_s=0.2, seed=1)
    rows = [{"problem": f"problem {i}", "id": i} for i in range(300)]
    inp, out = write_rows(tmp_path / "in.jsonl", rows), tmp_path / "out.jsonl"
    r = run_module(GEN, *_args(inp, out, fake.url, "++max_concurrent_requests=32"))
    assert r.returncode == 0, r.stderr
    got = read_rows(out)
    assert [g["id"] for g in got] == list(range(300))  # every input once, in input order, fields kept
    assert all(g["generation"] == _expected(row) for g, row in zip(got, rows))
    stats = fake.stats()
    assert sum(stats.get(k, 0) for k in ("500", "503", "reset")) >= 15  # faults really happened
    assert is_done(out) and not Path(f"{out}-async").exists()
    assert "rows/s" in r.stderr and "finished 300 rows" in r.stderr


def test_replicas_round_robin_and_dead_replica(tmp_path, fake_server):
    a, b = fake_server(), fake_server()
    rows = [{"problem": f"p{i}"} for i in range(40)]
    inp, out = write_rows(tmp_path / "in.jsonl", rows), tmp_path / "out.jsonl"
    dead = "http://127.0.0.1:18049"
    r = run_module(GEN, *_args(inp, out, f"{a.url},{b.url},{dead}", "++max_concurrent_requests=4"))
    assert r.returncode == 0, r.stderr
    assert a.stats()["ok"] >= 10 and b.stats()["ok"] >= 10
    assert len(read_rows(out)) == 40


def test_unreachable_server_fails_fast_with_log_tail(tmp_path):
    log = tmp_path / "server.log"
    log.write_text("engine core died: RuntimeError fake\n")
    inp, out = write_rows(tmp_path / "in.jsonl", [{"problem": "x"}]), tmp_path / "out.jsonl"
    t0 = time.monotonic()
    r = run_module(GEN, *_args(inp, out, "http://127.0.0.1:18049", "++server.max_retries=2"),
                   env={"NSL_SERVER_LOG": str(log)})
    assert r.returncode == 1 and time.monotonic() - t0 < 30
    assert "server unreachable" in r.stderr and "engine core died" in r.stderr and "Traceback" not in r.stderr


def test_sigterm_saves_and_rerun_continues(tmp_path, fake_server):
    fake = fake_server(delay_s=0.5)
    rows = [{"problem": f"p{i}"} for i in range(60)]
    inp, out = write_rows(tmp_path / "in.jsonl", rows), tmp_path / "out.jsonl"
    args = _args(inp, out, fake.url, "++max_concurrent_requests=4")
    proc = subprocess.Popen([PY, "-m", GEN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        p = Path(f"{out}-async")
        if p.exists() and len(p.read_text().splitlines()) >= 8:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGUSR1)
    outs, err = proc.communicate(timeout=30)
    assert proc.returncode == 75, err
    saved = len(Path(f"{out}-async").read_text().splitlines())
    assert 8 <= saved < 60 and not out.exists() and "rerun to continue" in outs
    before = fake.stats()["ok"]
    r = run_module(GEN, *args[:-1], "++max_concurrent_requests=32")
    assert r.returncode == 0, r.stderr
    assert f"{saved} already done" in r.stdout
    assert fake.stats()["ok"] - before == 60 - saved  # finished rows are not asked again
    assert [g["generation"] for g in read_rows(out)] == [_expected(x) for x in rows]


def test_math_judge_skips_llm_for_trivial_rows(tmp_path, fake_server):
    fake = fake_server()
    rows = [
        {"problem": "1+1", "generation": "so \\boxed{2}", "expected_answer": "2"},          # equal -> Yes
        {"problem": "1+1", "generation": "no answer here", "expected_answer": "2"},         # none -> No
        {"problem": "half", "generation": "\\boxed{0.5}", "expected_answer": "\\frac{1}{2}"},  # LLM
        {"problem": "x", "predicted_answer": "", "expected_answer": "3"},                   # empty -> No
        {"problem": "y", "predicted_answer": " 3 ", "expected_answer": "3"},                # strip-equal -> Yes
    ]
    inp, out = write_rows(tmp_path / "in.jsonl", rows), tmp_path / "out.jsonl"
    r = run_module("nemo_skills_lite.inference.math_judge", f"++input_file={inp}", f"++output_file={out}",
                   f"++server.base_url={fake.url}", "++server.model=fake-model")
    assert r.returncode == 0, r.stderr
    got = read_rows(out)
    assert fake.stats()["ok"] == 1
    assert [g["judgement_correct"] for g in got] == [True, False, False, False, True]
    assert got[0]["judgement"].endswith("Judgement: Yes") and got[1]["judgement"].endswith("Judgement: No")
    assert got[0]["predicted_answer"] == "2" and got[1]["predicted_answer"] is None
    assert got[2]["judgement"].startswith("reply-")  # the LLM's text, verbatim


def test_check_contamination_pairs(tmp_path, fake_server):
    fake = fake_server()
    rows = [{"problem": "Find x if 2x=4.", "similar_items": ["find X if 2x=4. ", "other"]},
            {"problem": "Sum 1..10", "similar_items": ["a", "b", "c"]},
            {"problem": "Empty", "similar_items": []}]
    inp, out = write_rows(tmp_path / "in.jsonl", rows), tmp_path / "out.jsonl"
    r = run_module("nemo_skills_lite.inference.check_contamination", f"++input_file={inp}", f"++output_file={out}",
                   f"++server.base_url={fake.url}", "++server.model=fake-model", "++check_both_ways=true",
                   "++top_k=2")
    assert r.returncode == 0, r.stderr
    got = read_rows(out)
    assert [g["contaminated"] for g in got] == [True, False, False]
    assert len(got[1]["all_generations"]) == 4 and fake.stats()["ok"] == 4  # 2 items x both ways
    assert "contaminated: 1/3" in r.stdout
    bad = write_rows(tmp_path / "bad.jsonl", [{"question": "q"}])
    r = run_module("nemo_skills_lite.inference.check_contamination", f"++input_file={bad}",
                   f"++output_file={tmp_path / 'o2.jsonl'}", f"++server.base_url={fake.url}")
    assert r.returncode == 1 and "similar_items" in r.stderr and "row 0" in r.stderr


def test_user_generation_module(tmp_path, fake_server):
    fake = fake_server()
    module = tmp_path / "my_task.py"
    module.write_text(
        "import sys\n"
        "from dataclasses import dataclass\n"
        "from nemo_skills_lite.configs.generation import GenerationConfig\n"
        "from nemo_skills_lite.inference.generate import GenerationTask, main\n\n"
        "@dataclass\nclass MyConfig(GenerationConfig):\n    suffix: str = '!'\n\n"
        "class MyTask(GenerationTask):\n"
        "    def prefill_generation(self, row):\n"
        "        return {'generation': 'skipped'} if row.get('skip') else None\n"
        "    def postprocess_output(self, row, out):\n"
        "        fields = super().postprocess_output(row, out)\n"
        "        fields['generation'] = fields['generation'].upper() + self.cfg.suffix\n"
        "        return fields\n\n"
        "if __name__ == '__main__':\n    sys.exit(main(None, MyTask, MyConfig))\n")
    rows = [{"problem": "a"}, {"problem": "b", "skip": True}]
    inp, out = write_rows(tmp_path / "in.jsonl", rows), tmp_path / "out.jsonl"
    r = subprocess.run([sys.executable, str(module), *_args(inp, out, fake.url, "++suffix=_x")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    got = read_rows(out)
    assert got[0]["generation"] == _expected(rows[0]).upper() + "_x" and got[1]["generation"] == "skipped"


def test_missing_template_field_fails_before_requests(tmp_path, fake_server):
    fake = fake_server()
    inp = write_rows(tmp_path / "in.jsonl", [{"question": "no problem field"}])
    r = run_module(GEN, *_args(inp, tmp_path / "out.jsonl", fake.url))
    assert r.returncode == 1 and "'problem'" in r.stderr and "row 0" in r.stderr and "Traceback" not in r.stderr
    assert fake.stats().get("ok", 0) == 0


def test_chunks_and_max_samples_and_dry_run(tmp_path, fake_server):
    fake = fake_server()
    rows = [{"problem": f"p{i}", "i": i} for i in range(10)]
    inp = write_rows(tmp_path / "in.jsonl", rows)
    parts = []
    for k in range(3):
        out = tmp_path / f"output-rs7_chunk_{k}.jsonl"
        r = run_module(GEN, *_args(inp, out, fake.url, "++num_chunks=3", f"++chunk_id={k}", "++max_samples=8"))
        assert r.returncode == 0, r.stderr
        parts += [g["i"] for g in read_rows(out)]
    assert parts == list(range(8))
    r = run_module(GEN, *_args(inp, tmp_path / "dry.jsonl", fake.url, "++dry_run=true"))
    assert r.returncode == 0 and "p0" in r.stdout and not (tmp_path / "dry.jsonl").exists()


def test_skip_filled_reuses_unmarked_output(tmp_path, fake_server):
    fake = fake_server()
    rows = [{"problem": f"p{i}"} for i in range(6)]
    inp, out = write_rows(tmp_path / "in.jsonl", rows), tmp_path / "out.jsonl"
    write_rows(out, [{"problem": "p0", "generation": "kept-0"}, {"problem": "p1", "generation": "kept-1"}])
    r = run_module(GEN, *_args(inp, out, fake.url, "++skip_filled=true"))
    assert r.returncode == 0, r.stderr
    got = read_rows(out)
    assert [g["generation"] for g in got[:2]] == ["kept-0", "kept-1"] and fake.stats()["ok"] == 4
    assert got[5]["generation"] == _expected(rows[5])


def test_prompt_format_openai_sends_row_messages(tmp_path, fake_server):
    fake = fake_server()
    rows = [{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "hello"}]}]
    inp, out = write_rows(tmp_path / "in.jsonl", rows), tmp_path / "out.jsonl"
    r = run_module(GEN, f"++input_file={inp}", f"++output_file={out}", "++prompt_format=openai",
                   f"++server.base_url={fake.url}", "++inference.random_seed=7")
    assert r.returncode == 0, r.stderr
    assert read_rows(out)[0]["generation"] == reply_for("hello", "7/0")  # model taken from /v1/models
