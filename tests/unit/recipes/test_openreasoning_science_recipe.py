"""recipes/openreasoning/science.py: the real-scale plan under --dry-run (Slurm and local), and the recipe's
own script commands replayed on hand-written generation outputs, from topics to SFT rows."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.unit.pipeline.test_seed_recipe_dry_run import SLURM_CFG  # the same Slurm config as the seed's test

ROOT = Path(__file__).resolve().parents[3]
RECIPE = ROOT / "recipes" / "openreasoning" / "science.py"
STAGES = ["science-topics", "science-questions", "science-questions-parse", "science-augmentation",
          "science-augmentation-parse", "r1-0528-science-solutions", "science-majority", "prepare-for-sft-science"]


def _recipe(tmp_path: Path, *args: str) -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NSL_REGISTRY_DIR=str(tmp_path / "registry"))
    p = subprocess.run([sys.executable, str(RECIPE), "--dry-run", *args], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return [line for line in p.stdout.splitlines() if line.startswith("[nsl dry-run]")]


def _specs(ws: Path) -> dict[str, dict]:
    specs = {}
    for path in ws.rglob(".nsl/*.json"):
        if ".state" not in path.name:
            spec = json.loads(path.read_text())
            specs[spec["expname"]] = spec
    return specs


def test_slurm_dry_run_shows_the_real_plan(tmp_path: Path):
    (tmp_path / "cluster_configs").mkdir()
    (tmp_path / "cluster_configs" / "slurm.yaml").write_text(
        SLURM_CFG % {"ws": tmp_path / "ws", "reg": tmp_path / "registry"})
    lines = _recipe(tmp_path, "--cluster", "slurm")  # --workspace /workspace, mounted from tmp_path/ws
    assert [re.search(r"stage (\S+) ", ln).group(1) for ln in lines] == STAGES
    by = dict(zip(STAGES, lines))
    assert "(run_cmd): 1/1" in by["science-topics"] and "after" not in by["science-topics"]
    assert all("after dry" in ln for ln in lines[1:])
    assert "(generate): 8/8 unit(s)" in by["science-questions"] and "sglang 1x8 GPUs" in by["science-questions"]
    assert "(generate): 1/1 unit(s)" in by["science-augmentation"]
    assert "(generate): 16/16 unit(s)" in by["r1-0528-science-solutions"]
    assert "sglang 2x8 GPUs" in by["r1-0528-science-solutions"]
    scripts = {p.name: p.read_text() for p in (tmp_path / "ws").rglob("*.sbatch")}
    sol = next(t for n, t in scripts.items() if n.startswith("r1-0528-science-solutions"))
    assert "#SBATCH --array=0-15" in sol and "#SBATCH --nodes=2" in sol and "--container-image=lmsysorg/sglang" in sol
    assert "#SBATCH --array=0-7" in next(t for n, t in scripts.items() if n.startswith("science-questions-2"))
    assert sum("--dependency=afterok:" in t for t in scripts.values()) == len(STAGES) - 1
    specs = _specs(tmp_path / "ws")
    gen = specs["science-questions"]["units"][3]["command"]
    assert "++prompt_config=science/question-generation" in gen and "++examples_type=science_questions" in gen
    assert "++inference.random_seed=3" in gen and "++inference.temperature=1.0" in gen
    sol_cmd = specs["r1-0528-science-solutions"]["units"][15]["command"]
    assert "++prompt_config=generic/science-mcq" in sol_cmd and "++inference.tokens_to_generate=32768" in sol_cmd
    assert "--load-format sharded_state --context-length 34768" in json.dumps(specs["r1-0528-science-solutions"])
    prep = specs["prepare-for-sft-science"]["units"][0]["command"]
    assert "++filters.majority_filter=true" in prep and "++majority_filter.min_majority_percentage=0.5" in prep
    topics = specs["science-topics"]["units"][0]["command"]
    assert "--difficulties 'intermediate,complex,hard,brutal,borderline unsolvable'" in topics


def test_local_dry_run_chains_every_stage_on_the_previous_one(tmp_path: Path):
    lines = _recipe(tmp_path, "--cluster", "local", "--workspace", str(tmp_path / "ws"), "--server-address",
                    "http://127.0.0.1:9", "--num-solutions", "3", "--questions-per-combination", "2")
    jobs = [re.search(r"jobs ([^;\s]+)", ln).group(1) for ln in lines]
    for line, upstream in zip(lines[1:], jobs):
        assert line.endswith(f"after {upstream}")  # exactly the previous stage, nothing else
    assert "3/3 unit(s)" in lines[5] and "2/2 unit(s)" in lines[1]


def test_bad_sizes_are_one_line_errors_before_anything_is_submitted(tmp_path: Path):
    env = dict(os.environ, NSL_REGISTRY_DIR=str(tmp_path / "registry"))
    p = subprocess.run([sys.executable, str(RECIPE), "--cluster", "local", "--num-solutions", "0", "--dry-run"],
                       env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and p.stderr.strip() == "error: --num-solutions 0: must be >= 1"
    assert "[nsl" not in p.stdout


def test_code_pointer_forwards_to_the_opencodereasoning_recipe():
    p = subprocess.run([sys.executable, str(ROOT / "recipes" / "openreasoning" / "code.py"), "--help"],
                       capture_output=True, text=True, timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert p.returncode == 0, p.stderr
    assert "OpenCodeReasoning pipeline" in p.stdout and "usage: ocr.py" in p.stdout
