"""Validating and submitting the seed recipe's whole graph at full size, on the real local Slurm.

The OpenReasoning math recipe's five stages (generation -> judge -> majority -> re-judge -> prepare_data) with
16 seeds x 64 chunks x dependent_jobs=2 on the two generation stages (3072 + 3072 jobs): timed by phase
(planning the calls, validating the graph, taking the code snapshot, submitting), with the sbatch calls per
stage. Jobs are submitted held and cancelled right after, so nothing runs. The endpoint is a server_address so
the test cluster's 4 fake GPUs per node do not refuse the 2x8-GPU servers; the graph's shape is the seed's.

    bash scripts/slurm_cluster.sh start
    python benchmarks/graph_submit.py [--seeds 16 --chunks 64 --dependent-jobs 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import yaml

from nemo_skills_lite.cluster.slurm import Slurm
from nemo_skills_lite.pipeline import graph as graph_mod
from nemo_skills_lite.pipeline import snapshot
from nemo_skills_lite.pipeline.cli import generate, run_cmd, wrap_arguments

calls: dict[str, int] = {}
_sbatch, _take = Slurm.sbatch, snapshot.Snapshot.take
timing = {"snapshot": 0.0}


def counting_sbatch(self: Slurm, script: str) -> str:
    name = next(line.split("=", 1)[1] for line in script.splitlines() if line.startswith("#SBATCH --job-name="))
    calls[name] = calls.get(name, 0) + 1
    return _sbatch(self, script)


def timed_take(*args, **kwargs):
    t = time.perf_counter()
    try:
        return _take(*args, **kwargs)
    finally:
        timing["snapshot"] += time.perf_counter() - t


def recipe(ws: Path, cfg: str, seeds: int, chunks: int, dep: int) -> None:
    """The seed's stages (tests/unit/pipeline/seed/openreasoning_math_recipe.py) with sizes as arguments."""
    big = dict(cluster=cfg, server_address="http://127.0.0.1:9", model="m", num_random_seeds=seeds,
               num_chunks=chunks, dependent_jobs=dep, sbatch_kwargs={"hold": ""})
    generate(ctx=wrap_arguments("++prompt_config=generic/math ++inference.temperature=0.6"),
             input_file=f"{ws}/math-problems.jsonl", output_dir=f"{ws}/solutions", expname="sol", **big)
    generate(ctx=wrap_arguments(""), generation_type="math_judge", input_dir=f"{ws}/solutions",
             output_dir=f"{ws}/judged", expname="judge", run_after="sol", **big)
    run_cmd(ctx=wrap_arguments(f"python -m nemo_skills_lite.evaluation.majority ++input_files='{ws}/judged/*.jsonl'"),
            cluster=cfg, expname="maj", run_after="judge", log_dir=f"{ws}/logs/maj", sbatch_kwargs={"hold": ""})
    generate(ctx=wrap_arguments(""), generation_type="math_judge", input_dir=f"{ws}/maj",
             output_dir=f"{ws}/rejudged", expname="rejudge", run_after="maj", **{**big, "num_chunks": None,
                                                                                   "dependent_jobs": 0})
    run_cmd(ctx=wrap_arguments(f"python -m nemo_skills_lite.training.prepare_data ++input_files='{ws}/rejudged/*.jsonl' "
                               f"++output_path={ws}/sft.jsonl"), cluster=cfg, expname="prep", run_after="rejudge",
            log_dir=f"{ws}/logs/prep", sbatch_kwargs={"hold": ""})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=16)
    ap.add_argument("--chunks", type=int, default=64)
    ap.add_argument("--dependent-jobs", type=int, default=2)
    a = ap.parse_args()
    Slurm.sbatch = counting_sbatch
    snapshot.Snapshot.take = timed_take
    tmp = Path(tempfile.mkdtemp(prefix="nsl-graph-bench-"))
    (tmp / "math-problems.jsonl").write_text(json.dumps({"problem": "x", "expected_answer": "1"}) + "\n")
    cfg = tmp / "c.yaml"
    cfg.write_text(yaml.safe_dump({"executor": "slurm", "partition": "cpu", "registry_dir": str(tmp / "reg"),
                                   "job_name_prefix": "bench-"}))
    t0 = time.perf_counter()
    recipe(tmp, str(cfg), a.seeds, a.chunks, a.dependent_jobs)
    t1 = time.perf_counter()
    g = graph_mod.current()
    g.validate()
    t2 = time.perf_counter()
    handles = g.submit()  # validates again (cheap), writes the snapshot, submits in order
    t3 = time.perf_counter()
    ids = [j for h in handles for j in h.job_ids]
    Slurm().cancel(ids)
    jobs = sum(h.units_submitted * (n.spec.dependent_jobs + 1) for h, n in zip(handles, g.nodes))
    print(f"\nseed recipe graph: {len(handles)} stages, {jobs} jobs "
          f"({a.seeds} seeds x {a.chunks} chunks x {a.dependent_jobs + 1} chained on the generation stages)\n")
    print("| phase | seconds |")
    print("|---|---|")
    print(f"| planning the 5 calls (options, overrides, paths, code snapshot read) | {t1 - t0:.2f} |")
    print(f"| of which reading the code snapshot | {timing['snapshot']:.2f} |")
    print(f"| validating the graph (names, cycles, inputs) | {t2 - t1:.2f} |")
    print(f"| submit(): validation, snapshot written, {sum(calls.values())} sbatch calls, registry | {t3 - t2:.2f} |")
    print(f"| **total** | **{t3 - t0:.2f}** |\n")
    print("| stage | sbatch calls |")
    print("|---|---|")
    for name, n in calls.items():
        print(f"| {name.removeprefix('bench-')} | {n} |")


if __name__ == "__main__":
    main()
