"""Benchmark YAML definitions, the yaml-only loader and the prepare step (local files only)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nemo_skills_lite.benchmarks import REQUIRED, available, load, parse_benchmarks
from nemo_skills_lite.benchmarks.prepare import prepare
from nemo_skills_lite.utils.errors import NslError

SRC = Path(__file__).resolve().parents[2] / "data" / "benchmarks"
NAMES = ["aime24", "aime25", "amc23", "answer-judge", "arc-challenge", "brumo25", "codecontests", "gpqa-diamond",
         "gsm8k", "hmmt_feb25", "human-eval", "human-eval+", "ifeval", "livecodebench", "livecodebench-v5",
         "livecodebench-v6", "math-500", "mbpp", "mbpp+", "minerva-math", "mmlu", "mmlu-pro", "olympiadbench",
         "omni-math", "supergpqa"]


def test_all_definitions_load():
    assert available() == NAMES
    for name in NAMES:
        spec = load(name)
        assert spec["name"] == name and all(k in spec for k in REQUIRED)
        assert spec["eval_type"] == spec["metric_type"]
    assert load("human-eval")["eval_type"] == "code" and load("gsm8k")["eval_type"] == "math"


def test_loader_imports_only_stdlib_and_yaml():
    code = ("import sys; import nemo_skills_lite.benchmarks as b; b.load('gsm8k'); "
            "heavy = [m for m in ('math_verify', 'sympy', 'torch', 'datasets', 'omegaconf') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_parse_benchmarks_and_errors(tmp_path):
    assert parse_benchmarks("gsm8k:4, human-eval") == [("gsm8k", 4), ("human-eval", 1)]
    assert parse_benchmarks("aime24") == [("aime24", 8)]
    with pytest.raises(NslError, match="unknown benchmark 'gsm9k'; available: aime24"):
        load("gsm9k")
    with pytest.raises(NslError, match="must be >= 1"):
        parse_benchmarks("gsm8k:x")
    bad = tmp_path / "b.yaml"
    bad.write_text("name: b\neval_type: math\n")
    with pytest.raises(NslError, match="missing key"):
        load(str(bad))


@pytest.mark.parametrize("name,count,check", [
    ("gsm8k", 20, lambda r: r["expected_answer"] == "18" and "Janet" in r["problem"]),
    ("math-500", 20, lambda r: r["expected_answer"] == "\\left( 3, \\frac{\\pi}{2} \\right)"),
    ("aime24", 5, lambda r: r["expected_answer"].isdigit()),
    ("amc23", 40, lambda r: r["expected_answer"] == "27"),
    ("human-eval", 164, lambda r: r["entry_point"] == "has_close_elements" and "def check" in r["test"]),
    ("mbpp", 5, lambda r: isinstance(r["test"], list) and r["test"][0].startswith("assert")),
    ("codecontests", 3, lambda r: r["tests"][0] == {"input": "5 2\nAA\nAB\nBB\nBA\nAZ\n", "output": "5 2 1 3 4 \n"}),
])
def test_prepare_from_local_files(tmp_path, name, count, check):
    out, n = prepare(name, source_dir=SRC, output_dir=tmp_path)
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert out == tmp_path / name / "test.jsonl" and n == len(rows) == count
    assert check(rows[0])
    with pytest.raises(NslError, match="already exists"):
        prepare(name, source_dir=SRC, output_dir=tmp_path)


def test_prepare_livecodebench_stdin_functional_and_date_filter(tmp_path):
    out, n = prepare("livecodebench", source_dir=SRC, output_dir=tmp_path)
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert n == 2 and [r["task_id"] for r in rows] == ["lcb-stdin-1", "lcb-func-1"]  # 2023 row filtered out
    assert rows[0]["tests"] == [{"input": "1 2\n", "output": "3\n"}, {"input": "5 7\n", "output": "12\n"}]
    assert rows[1]["test"] == ["assert Solution().total([1, 2, 3]) == 6", "assert Solution().total([]) == 0"]


def test_prepare_cli(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "nemo_skills_lite.benchmarks.prepare", "amc23", "nope",
                           "--source-dir", str(SRC), "--output-dir", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "amc23: 40 rows" in proc.stdout and "unknown benchmark 'nope'" in proc.stderr


def test_codecontests_hf_layout():
    from nemo_skills_lite.benchmarks.formats import codecontests
    row = {"name": "x", "description": "d", "public_tests": {"input": ["1\n"], "output": ["2\n"]},
           "private_tests": {"input": [], "output": []}, "generated_tests": {"input": ["3\n"], "output": ["4\n"]}}
    assert codecontests(row)["tests"] == [{"input": "1\n", "output": "2\n"}, {"input": "3\n", "output": "4\n"}]
    with pytest.raises(NslError, match="has no tests"):
        codecontests({"name": "y", "description": "d", "public_tests": {"input": [], "output": []}})


def test_prepare_through_the_datasets_loader_on_a_local_file(tmp_path):
    """The --from-hf path is real `datasets.load_dataset` code; pointed at a local JSON file here."""
    yaml_path = tmp_path / "lcb-local.yaml"
    spec = load("livecodebench")
    spec.update(name="lcb-local", source={"format": "livecodebench", "local": "unused", "hf": {
        "path": "json", "split": "train", "data_files": [str(SRC / "code" / "livecodebench.jsonl")],
        "cache_dir": str(tmp_path / "hf-cache")}})
    import yaml
    yaml_path.write_text(yaml.safe_dump(spec))
    out, n = prepare(str(yaml_path), source_dir=None, output_dir=tmp_path / "out", from_hf=True)
    assert n == 2 and out == tmp_path / "out" / "lcb-local" / "test.jsonl"
