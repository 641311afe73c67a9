"""The OpenCodeReasoning recipe's real-scale plan under ``--dry-run --cluster slurm``: every stage, its size,
server and sampling, the chaining, and rendered sbatch scripts; nothing is submitted."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.unit.pipeline.test_seed_recipe_dry_run import SLURM_CFG  # the same slurm config with containers

ROOT = Path(__file__).resolve().parents[3]
RECIPE = ROOT / "recipes" / "opencodereasoning" / "ocr.py"


def _run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    (tmp_path / "cluster_configs").mkdir(exist_ok=True)
    (tmp_path / "cluster_configs" / "slurm.yaml").write_text(
        SLURM_CFG % {"ws": tmp_path / "ws", "reg": tmp_path / "registry"})
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("NSL_DRY_RUN", None)
    return subprocess.run([sys.executable, str(RECIPE), "--cluster", "slurm", "--dry-run", *extra], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)


def _commands(tmp_path: Path, log_dir: str) -> list[str]:
    """Unit commands of every stage whose specs went to <log_dir>/logs (some stages share a folder)."""
    specs = sorted((tmp_path / "ws" / "open-code-reasoning" / log_dir / "logs" / ".nsl").glob("*.json"))
    return [u["command"] for f in specs for u in json.loads(f.read_text())["units"]]


def _graph(lines: dict[str, str]) -> dict[str, set[str]]:
    """stage -> the stages whose jobs it waits for, from the printed job ids and 'after' ids."""
    owner = {j: name for name, line in lines.items() for j in re.search(r"jobs ([^;]+)", line).group(1).split(", ")}
    graph = {}
    for name, line in lines.items():
        after = re.search(r"after ([^;]+)", line)
        graph[name] = {owner[j] for j in after.group(1).split(", ")} if after else set()
    return graph


def test_real_scale_plan(tmp_path: Path) -> None:
    p = _run(tmp_path, "--languages", "python,cpp", "--eval-model", "/workspace/OCR-Qwen-32B", "--reasoning-patterns")
    assert p.returncode == 0, p.stderr
    lines = {line.split()[3]: line for line in p.stdout.splitlines() if line.startswith("[nsl dry-run] stage")}
    assert list(lines) == [
        "ocr-problems", "ocr-benchmarks", "ocr-decontam", "ocr-decontam-llm", "ocr-decontam-flags", "ocr-clean-problems",
        "ocr-solutions-python", "ocr-verify-python", "ocr-sft-python", "ocr-solutions-cpp", "ocr-verify-cpp",
        "ocr-sft-cpp", "ocr-eval-codecontests", "ocr-eval-codecontests-grade", "ocr-eval-livecodebench",
        "ocr-eval-livecodebench-grade", "ocr-eval", "ocr-patterns-input", "ocr-patterns-initial", "ocr-patterns-mark",
        "ocr-patterns-final", "ocr-patterns-report"]
    assert _graph(lines) == {
        "ocr-problems": set(), "ocr-benchmarks": set(), "ocr-decontam": {"ocr-problems", "ocr-benchmarks"},
        "ocr-decontam-llm": {"ocr-decontam"}, "ocr-decontam-flags": {"ocr-decontam-llm"},
        "ocr-clean-problems": {"ocr-decontam-flags"},
        "ocr-solutions-python": {"ocr-clean-problems"}, "ocr-verify-python": {"ocr-solutions-python"},
        "ocr-sft-python": {"ocr-verify-python"}, "ocr-solutions-cpp": {"ocr-clean-problems"},
        "ocr-verify-cpp": {"ocr-solutions-cpp"}, "ocr-sft-cpp": {"ocr-verify-cpp"},
        "ocr-eval-codecontests": {"ocr-benchmarks"}, "ocr-eval-codecontests-grade": {"ocr-eval-codecontests"},
        "ocr-eval-livecodebench": {"ocr-benchmarks"}, "ocr-eval-livecodebench-grade": {"ocr-eval-livecodebench"},
        "ocr-eval": {"ocr-eval-codecontests-grade", "ocr-eval-livecodebench-grade"},
        "ocr-patterns-input": {"ocr-verify-python"}, "ocr-patterns-initial": {"ocr-patterns-input"},
        "ocr-patterns-mark": {"ocr-patterns-initial"}, "ocr-patterns-final": {"ocr-patterns-mark"},
        "ocr-patterns-report": {"ocr-patterns-final"}}
    # R1 solutions: 25 seeds, SGLang on 2 nodes x 8 GPUs, the paper's sampling
    for lang in ("python", "cpp"):
        assert "(generate): 25/25 unit(s)" in lines[f"ocr-solutions-{lang}"]
        assert "sglang 2x8 GPUs" in lines[f"ocr-solutions-{lang}"]
        cmd = _commands(tmp_path, f"solutions/{lang}")[0]
        for arg in (f"++prompt_config=opencodereasoning/{lang}-solution", "++inference.temperature=0.6",
                    "++inference.top_p=0.95", "++inference.tokens_to_generate=16384",
                    "++server.model=/workspace/DeepSeek-R1",
                    f"++input_file=/workspace/open-code-reasoning/problems/clean{'-cpp' if lang == 'cpp' else ''}.jsonl"):
            assert arg in cmd  # C++ gets the problems without the call-based (Python function) ones
    clean_cmd = next(c for c in _commands(tmp_path, "problems") if "clean_problems.py" in c)
    assert "--cpp-output /workspace/open-code-reasoning/problems/clean-cpp.jsonl" in clean_cmd
    assert "sglang 1x8 GPUs" in lines["ocr-decontam-llm"] and "sglang 1x8 GPUs" in lines["ocr-patterns-initial"]
    decontam, flags = sorted(_commands(tmp_path, "decontam"), key=lambda c: "--llm-flags" in c)
    assert "--llm-flags /workspace/open-code-reasoning/decontam/checked/output.jsonl" in flags
    assert "--threshold 0.7 --ngram 10" in decontam and "--no-embeddings" not in decontam
    assert "--benchmark livecodebench=/workspace/benchmarks/livecodebench/test.jsonl:question" in decontam
    sft_cmds = _commands(tmp_path, "sft")
    assert sorted("++code_language=cpp" in c for c in sft_cmds) == [False, True]
    assert all("verified/" in c and "++filters.check_code_syntax=true" in c for c in sft_cmds)
    scripts = sorted((tmp_path / "ws").rglob("*.sbatch"))
    gen = next(s for s in scripts if "ocr-solutions-python" in s.name).read_text()
    assert "#SBATCH --nodes=2" in gen and "#SBATCH --array=0-24" in gen and "--container-image=lmsysorg/sglang:v0.5" in gen
    assert not (tmp_path / "ws" / "open-code-reasoning" / "problems" / "problems.jsonl").exists()  # nothing ran


def test_options_switch_stages_off(tmp_path: Path) -> None:
    p = _run(tmp_path, "--no-llm-check", "--no-verify", "--no-embeddings", "--num-solutions", "4")
    assert p.returncode == 0, p.stderr
    lines = {line.split()[3]: line for line in p.stdout.splitlines() if line.startswith("[nsl dry-run] stage")}
    assert _graph(lines) == {
        "ocr-problems": set(), "ocr-benchmarks": set(), "ocr-decontam": {"ocr-problems", "ocr-benchmarks"},
        "ocr-clean-problems": {"ocr-decontam"}, "ocr-solutions-python": {"ocr-clean-problems"},
        "ocr-sft-python": {"ocr-solutions-python"}}
    assert "(generate): 4/4 unit(s)" in lines["ocr-solutions-python"]
    assert "--no-embeddings" in _commands(tmp_path, "decontam")[0]
    assert "solutions/python/output-rs*.jsonl" in _commands(tmp_path, "sft")[0]
    assert not any("--cpp-output" in c for c in _commands(tmp_path, "problems"))  # Python only: no C++ input


def test_bad_language_is_one_clear_error(tmp_path: Path) -> None:
    p = _run(tmp_path, "--languages", "python,java")
    assert p.returncode == 2 and "--languages 'python,java': give a comma list of python, cpp" in p.stderr
