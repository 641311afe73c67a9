"""eval() plans generation -> grading per benchmark and one summary after all (dry run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from nemo_skills_lite.pipeline.cli import eval as eval_, submit
from nemo_skills_lite.utils.errors import NslError


def prepared(data: Path, *names: str) -> str:
    """A stand-in prepared benchmark file per name (planning only checks that it exists)."""
    for name in names:
        (data / name).mkdir(parents=True, exist_ok=True)
        (data / name / "test.jsonl").write_text('{"problem": "1+1", "expected_answer": "2"}\n')
    return str(data)


def test_eval_stage_graph(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"executor": "slurm", "partition": "p", "registry_dir": str(tmp_path / "reg")}))
    handles = eval_(cluster=str(cfg), benchmarks="gsm8k:4,human-eval", output_dir=str(tmp_path / "res"),
                    data_dir=prepared(tmp_path / "data", "gsm8k", "human-eval"), expname="ev",
                    server_address="http://h:1", model="m", dry_run=True)
    assert len(handles) == 5
    submit()
    out = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[nsl dry-run]")]
    assert "ev-gsm8k (generate): 4/4 unit(s)" in out[0]
    assert "ev-gsm8k-grade (run_cmd)" in out[1] and "after " in out[1]
    assert "ev-human-eval (generate): 1/1" in out[2]
    assert out[4].startswith("[nsl dry-run] stage ev (run_cmd)") and out[4].count(",") >= 1  # after both graders
    specs = [p.read_text() for p in (tmp_path / "res" / "eval-results" / "gsm8k" / "logs" / ".nsl").glob("*.json")]
    spec = next(s for s in specs if '"kind": "generate"' in s)
    assert "++prompt_config=generic/math" in spec and "++inference.temperature=0.0" in spec


def test_benchmark_eval_args_reach_the_grading_command(tmp_path: Path, monkeypatch) -> None:
    """A set whose grader accepts rounded decimals declares its tolerance once, in its YAML."""
    from nemo_skills_lite import benchmarks

    bench = tmp_path / "gsm8k.yaml"
    bench.write_text(yaml.safe_dump({**benchmarks.load("gsm8k"),
                                     "eval_args": "++numeric_tolerance=1e-4 ++extract_phrases=true"}))
    monkeypatch.setattr(benchmarks, "HERE", tmp_path)  # the shipped definitions' folder, with this gsm8k.yaml
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"executor": "slurm", "partition": "p", "registry_dir": str(tmp_path / "reg")}))
    eval_(cluster=str(cfg), benchmarks="gsm8k", output_dir=str(tmp_path / "res"),
          data_dir=prepared(tmp_path / "data", "gsm8k"), expname="ev", server_address="http://h:1", model="m",
          dry_run=True)
    submit()
    specs = [p.read_text() for p in (tmp_path / "res" / "eval-results").glob("**/.nsl/*.json")]
    grade = next(s for s in specs if "nemo_skills_lite.evaluation.evaluate" in s)
    assert "++eval_type=math ++numeric_tolerance=1e-4 ++extract_phrases=true" in grade
    bench.write_text(yaml.safe_dump({**benchmarks.load("gsm8k"), "eval_args": "++numeric_tolerence=1e-4"}))
    with pytest.raises(NslError, match=r"gsm8k.yaml: eval_args item '\+\+numeric_tolerence=1e-4'.*numeric_tolerance"):
        benchmarks.load("gsm8k")


def test_eval_bad_benchmark(tmp_path: Path) -> None:
    with pytest.raises(NslError, match="unknown benchmark 'gsm9k'"):
        eval_(cluster="local", benchmarks="gsm9k", output_dir=str(tmp_path), dry_run=True)
    with pytest.raises(NslError, match="number of seeds for .gsm8k. must be >= 1"):
        eval_(cluster="local", benchmarks="gsm8k:0", output_dir=str(tmp_path), dry_run=True)


def test_every_benchmark_prompt_fits_its_prepared_rows(tmp_path: Path) -> None:
    import json

    from nemo_skills_lite import benchmarks
    from nemo_skills_lite.benchmarks.prepare import main as prepare
    from nemo_skills_lite.inference.prompts import load_prompt_config, template_fields

    src = Path(__file__).resolve().parents[2] / "data" / "benchmarks"
    for name in benchmarks.available():
        assert prepare([name, "--source-dir", str(src), "--output-dir", str(tmp_path)]) == 0
        row = json.loads(benchmarks.dataset_path(name, tmp_path).read_text().splitlines()[0])
        prompt = load_prompt_config(benchmarks.load(name)["prompt_config"])
        fields = template_fields(prompt.user) - {"examples"}
        assert fields <= set(row), (name, fields - set(row))


def test_eval_with_llm_judge_adds_a_judge_stage(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"executor": "slurm", "partition": "p", "registry_dir": str(tmp_path / "reg")}))
    handles = eval_(cluster=str(cfg), benchmarks="math-500:2", output_dir=str(tmp_path / "res"),
                    data_dir=prepared(tmp_path / "data", "math-500"), expname="evj", server_address="http://h:1",
                    model="m", judge_model="/models/judge", judge_server_type="vllm", judge_server_gpus=8, dry_run=True)
    assert len(handles) == 4
    submit()
    out = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[nsl dry-run]")]
    assert "evj-math-500-judge (generate): 2/2 unit(s)" in out[2] and "vllm 1x8 GPUs" in out[2]
    assert "--benchmarks math-500,math-500-judge" in next(
        p.read_text() for p in (tmp_path / "res" / "eval-results" / "logs" / ".nsl").glob("*.json"))


def test_eval_with_a_benchmark_not_prepared_submits_nothing(tmp_path: Path, capsys) -> None:
    """Three benchmarks, one not prepared: one error naming it and the prepare command; no stage at all."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"executor": "local", "registry_dir": str(tmp_path / "reg")}))
    data = prepared(tmp_path / "data", "gsm8k", "human-eval")
    with pytest.raises(NslError, match=r"benchmark data not prepared for math-500 .*benchmarks.prepare math-500"):
        eval_(cluster=str(cfg), benchmarks="gsm8k:1,math-500:1,human-eval", output_dir=str(tmp_path / "res"),
              data_dir=data, expname="ev3", server_address="http://h:1", model="m")
    assert submit() == []  # the eval added nothing to the graph
    assert not (tmp_path / "reg").exists() or not list((tmp_path / "reg").glob("*.json"))
    assert not (tmp_path / "res").exists()


def test_num_jobs_packs_benchmarks_into_jobs(tmp_path: Path, capsys) -> None:
    """NeMo-Skills' num_jobs: three benchmarks' generations in two jobs (balanced by rows x seeds x tokens);
    each grading stage runs after the job that holds its benchmark."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"executor": "slurm", "partition": "p", "registry_dir": str(tmp_path / "reg")}))
    data = prepared(tmp_path / "data", "gsm8k", "aime24", "human-eval")
    handles = eval_(cluster=str(cfg), benchmarks="gsm8k:2,aime24:2,human-eval", output_dir=str(tmp_path / "res"),
                    data_dir=data, expname="pk", server_address="http://h:1", model="m", num_jobs=2, dry_run=True)
    assert len(handles) == 2 + 3 + 1
    submit()
    lines = {ln.split()[3]: ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("[nsl dry-run] stage")}
    jobs = sorted(n for n in lines if n.startswith("pk-job"))
    assert jobs == ["pk-job0", "pk-job1"] and all("(run_cmd): 1/1 unit(s)" in lines[j] for j in jobs)
    specs = [json.loads(p.read_text()) for p in (tmp_path / "res" / "eval-results" / "logs" / "jobs" / ".nsl").glob("*.json")]
    commands = [s["units"][0]["command"] for s in specs]
    assert sorted(c.count("nemo_skills_lite.inference.generate") for c in commands) == [2, 3]  # 5 (bench, seed) runs
    for bench in ("gsm8k", "aime24", "human-eval"):
        job = next(s["expname"] for s in specs if f"eval-results/{bench}/output" in s["units"][0]["command"])
        job_ids = lines[job].split("jobs ")[1].split(";")[0]
        assert f"after {job_ids}" in lines[f"pk-{bench}-grade"]
    with pytest.raises(NslError, match="num_jobs packs whole benchmarks into jobs; it cannot be combined with num_chunks"):
        eval_(cluster=str(cfg), benchmarks="gsm8k", output_dir=str(tmp_path / "r2"), data_dir=data,
              server_address="http://h:1", model="m", num_jobs=2, num_chunks=4, dry_run=True)
