"""The seed OpenReasoning recipe, renamed, runs under NSL_DRY_RUN=1 and shows the seed's job graph."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

RECIPE = Path(__file__).parent / "seed" / "openreasoning_math_recipe.py"

SLURM_CFG = """executor: slurm
containers: {sglang: lmsysorg/sglang:v0.5, nemo-skills: nsl:0.1, sandbox: nsl-sandbox:0.1}
mounts: ["%(ws)s:/workspace"]
partition: batch
account: my-account
timeouts: {batch: "04:00:00"}
max_array_size: 1001
registry_dir: %(reg)s
"""


def run_seed(tmp_path: Path, *, problems: bool) -> subprocess.CompletedProcess:
    (tmp_path / "cluster_configs").mkdir()
    (tmp_path / "cluster_configs" / "slurm.yaml").write_text(
        SLURM_CFG % {"ws": tmp_path / "ws", "reg": tmp_path / "registry"})
    if problems:  # the seed's first input, as its instructions download it
        sdg = tmp_path / "ws" / "open-reasoning" / "sdg"
        sdg.mkdir(parents=True)
        (sdg / "math-problems.jsonl").write_text('{"problem": "1+1", "expected_answer": "2"}\n')
    env = dict(os.environ, NSL_DRY_RUN="1", PYTHONPATH=str(Path(__file__).resolve().parents[3]))
    return subprocess.run([sys.executable, str(RECIPE)], cwd=tmp_path, env=env, capture_output=True, text=True)


def test_seed_recipe_without_its_problems_submits_nothing(tmp_path: Path) -> None:
    p = run_seed(tmp_path, problems=False)
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert lines[0] == (
        "error: r1-0528-math-solutions: input file(s) not found and not written by any stage it runs after: "
        "/workspace/open-reasoning/sdg/math-problems.jsonl; nothing was submitted")
    # the sharding step before it was planned, and is not submitted either
    assert lines[1:] == ["[nsl] the script stopped with an error (an uncaught exception or sys.exit with a failure "
                         "status) before its 1 planned stage(s) were submitted: nothing was submitted"]
    assert not list(tmp_path.rglob("*.sbatch")) and not (tmp_path / "registry").exists()


def test_seed_recipe_graph_under_dry_run(tmp_path: Path) -> None:
    p = run_seed(tmp_path, problems=True)
    assert p.returncode == 0, p.stderr
    lines = [line for line in p.stdout.splitlines() if line.startswith("[nsl dry-run]")]
    assert len(lines) == 6
    shard, gen, judge, majority, rejudge, prepare = lines
    assert "(run_cmd): 1/1" in shard and "after" not in shard
    assert "r1-0528-math-solutions (generate): 16/16 unit(s)" in gen and "sglang 2x8 GPUs" in gen
    assert "after" not in gen
    for line, after in ((judge, gen), (majority, judge), (rejudge, majority), (prepare, rejudge)):
        upstream_jobs = re.search(r"jobs ([^;]+)", after).group(1).split(", ")[-1]
        assert f"after {upstream_jobs}" in line  # each stage waits for the last jobs of the previous one
    assert "math_judge" not in gen and "(generate): 16/16" in judge and "sglang 1x8 GPUs" in judge
    assert "(run_cmd): 1/1" in majority and "(run_cmd): 1/1" in prepare
    scripts = sorted((tmp_path / "ws").rglob("*.sbatch"))  # rendered, nothing submitted
    gen_script = next(s for s in scripts if "r1-0528-math-solutions-2" in s.name).read_text()
    assert "#SBATCH --nodes=2" in gen_script and "#SBATCH --gres=gpu:8" in gen_script
    assert "#SBATCH --array=0-15" in gen_script and "--container-image=lmsysorg/sglang:v0.5" in gen_script
    spec = next((tmp_path / "ws" / "open-reasoning" / "sdg" / "solutions" / "logs" / ".nsl").glob("*.json")).read_text()
    assert "--load-format sharded_state --context-length 34768" in spec
    assert "++prompt_config=generic/math" in spec and "++inference.temperature=0.6" in spec

    # the sharding step: the seed's command reaches the job unchanged, on 2 nodes x 8 GPUs in the sglang container
    shard_spec = json.loads(next((tmp_path / "ws" / "DeepSeek-R1-0528-tp16" / ".nsl").glob("*.json")).read_text())
    assert shard_spec["units"][0]["command"] == SEED_SHARD_CMD
    assert (shard_spec["num_nodes"], shard_spec["num_gpus"]) == (2, 8)
    shard_script = next(s for s in scripts if "DeepSeek-R1-0528-tp16" in str(s)).read_text()
    assert "#SBATCH --nodes=2" in shard_script and "--container-image=lmsysorg/sglang:v0.5" in shard_script
    assert "srun --overlap --nodes=2 --ntasks-per-node=1" in shard_script  # one process per node: SLURM_PROCID


# the seed's text (002_452423e86d401082.txt) with nemo_skills/ renamed, as the shell will see it
SEED_SHARD_CMD = ("python3 nemo_skills_lite/conversion/save_sharded_state.py     --model-path=/workspace/DeepSeek-R1-0528"
                  "     --output=/workspace/DeepSeek-R1-0528-tp16     --tensor-parallel-size=16     --context-len=8192"
                  "     --trust-remote-code     --nnodes 2     --dist-init-addr $SLURM_MASTER_NODE:20000"
                  "     --node-rank $SLURM_PROCID")
