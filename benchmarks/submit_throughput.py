"""Submission cost on the real local Slurm: 16 seeds x 64 chunks x dependent_jobs=2 (3072 jobs).

Side by side in one run: nemo_skills_lite's generate() (one job array per chain level) and the
one-sbatch-per-unit pattern (each unit's chain submitted as separate dependent jobs, as NeMo-Skills
does per chunk). All jobs are submitted held (--hold) and cancelled right after, so nothing runs.

    python benchmarks/submit_throughput.py [--seeds 16 --chunks 64 --dependent-jobs 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import yaml

from nemo_skills_lite.cluster.slurm import Slurm
from nemo_skills_lite.pipeline.cli import generate, wrap_arguments

calls = {"sbatch": 0}
_orig = Slurm.sbatch


def counting_sbatch(self, script: str) -> str:
    calls["sbatch"] += 1
    return _orig(self, script)


def per_unit(units: int, dependent_jobs: int, log_dir: Path) -> tuple[float, int, list[str]]:
    slurm, ids = Slurm(), []
    t = time.perf_counter()
    for u in range(units):
        prev = None
        for level in range(dependent_jobs + 1):
            dep = f"#SBATCH --dependency=afterany:{prev}\n" if prev else ""
            script = (f"#!/bin/bash\n#SBATCH --job-name=bench-unit\n#SBATCH --partition=cpu\n#SBATCH --hold\n"
                      f"#SBATCH --output={log_dir}/u{u}-{level}.out\n{dep}true\n")
            prev = slurm.sbatch(script)
            ids.append(prev)
    return time.perf_counter() - t, units * (dependent_jobs + 1), ids


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=16)
    ap.add_argument("--chunks", type=int, default=64)
    ap.add_argument("--dependent-jobs", type=int, default=2)
    a = ap.parse_args()
    Slurm.sbatch = counting_sbatch
    tmp = Path(tempfile.mkdtemp(prefix="nsl-bench-"))
    (tmp / "in.jsonl").write_text(json.dumps({"problem": "x"}) + "\n")
    cfg = tmp / "c.yaml"
    cfg.write_text(yaml.safe_dump({"executor": "slurm", "partition": "cpu", "registry_dir": str(tmp / "reg")}))
    units = a.seeds * a.chunks
    t = time.perf_counter()
    h = generate(ctx=wrap_arguments("++prompt_config=generic/math"), cluster=str(cfg),
                 input_file=str(tmp / "in.jsonl"), output_dir=str(tmp / "out"), expname="bench",
                 server_address="http://127.0.0.1:9", num_random_seeds=a.seeds, num_chunks=a.chunks,
                 dependent_jobs=a.dependent_jobs, sbatch_kwargs={"hold": ""})
    ours = time.perf_counter() - t
    ours_calls = calls["sbatch"]
    Slurm().cancel(h.job_ids)
    base_t, base_calls, ids = per_unit(units, a.dependent_jobs, tmp)
    for i in range(0, len(ids), 500):
        Slurm().cancel(ids[i:i + 500])
    jobs = units * (a.dependent_jobs + 1)
    print(f"\n{units} units x {a.dependent_jobs + 1} chained jobs = {jobs} jobs on the local Slurm cluster\n")
    print("| submission | sbatch calls | wall time (s) | jobs/s | speed-up |")
    print("|---|---|---|---|---|")
    print(f"| nemo_skills_lite generate() (arrays) | {ours_calls} | {ours:.2f} | {jobs / ours:.0f} | {base_t / ours:.1f}x |")
    print(f"| one sbatch per unit and level | {base_calls} | {base_t:.2f} | {jobs / base_t:.0f} | 1.0x |")


if __name__ == "__main__":
    main()
