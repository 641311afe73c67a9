"""recipes/openreasoning/math.py under --dry-run: the seed's sharding command rendered unchanged as the first
stage (generation waits for it), skipped with --skip-sharding or when --server-address is given."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.unit.pipeline.test_seed_recipe_dry_run import SEED_SHARD_CMD, SLURM_CFG

ROOT = Path(__file__).resolve().parents[3]
RECIPE = ROOT / "recipes" / "openreasoning" / "math.py"


def _plan(tmp_path: Path, *args: str) -> list[str]:
    (tmp_path / "cluster_configs").mkdir(exist_ok=True)
    (tmp_path / "cluster_configs" / "slurm.yaml").write_text(
        SLURM_CFG % {"ws": tmp_path / "ws", "reg": tmp_path / "registry"})
    sdg = tmp_path / "ws" / "open-reasoning" / "sdg"
    sdg.mkdir(parents=True, exist_ok=True)
    (sdg / "math-problems.jsonl").write_text('{"problem": "1+1", "expected_answer": "2"}\n')
    env = dict(os.environ, PYTHONPATH=str(ROOT), NSL_REGISTRY_DIR=str(tmp_path / "registry"))
    p = subprocess.run([sys.executable, str(RECIPE), "--dry-run", "--cluster", "slurm", *args], cwd=tmp_path,
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return [ln for ln in p.stdout.splitlines() if ln.startswith("[nsl dry-run]")]


def test_sharding_step_is_the_seeds_command(tmp_path: Path) -> None:
    lines = _plan(tmp_path)
    names = [re.search(r"stage (\S+) ", ln).group(1) for ln in lines]
    assert names[:2] == ["r1-0528-shard", "r1-0528-math-solutions"] and len(names) == 6
    shard_jobs = re.search(r"jobs ([^;]+)", lines[0]).group(1)
    assert f"after {shard_jobs}" in lines[1]  # generation loads the shards, so it waits for them
    spec = json.loads(next((tmp_path / "ws" / "DeepSeek-R1-0528-tp16" / ".nsl").glob("*.json")).read_text())
    assert spec["units"][0]["command"] == SEED_SHARD_CMD
    assert (spec["num_nodes"], spec["num_gpus"], spec["client_container"]) == (2, 8, "lmsysorg/sglang:v0.5")


def test_sharding_can_be_skipped(tmp_path: Path) -> None:
    names = [re.search(r"stage (\S+) ", ln).group(1) for ln in _plan(tmp_path, "--skip-sharding")]
    assert "r1-0528-shard" not in names and len(names) == 5
    (tmp_path / "x").mkdir()
    lines = _plan(tmp_path / "x", "--server-address", "http://127.0.0.1:1", "--model", "m")
    names = [re.search(r"stage (\S+) ", ln).group(1) for ln in lines]
    assert "r1-0528-shard" not in names and len(names) == 5
