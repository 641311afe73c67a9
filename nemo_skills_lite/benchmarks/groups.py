"""Benchmark groups and packing of small benchmarks into few jobs (pure functions, stdlib only).

- ``expand_groups("math:4,human-eval")`` -> ``"gsm8k:4,math-500:4,...,human-eval"``: a group name
  stands for its members in ``GROUPS``; ``:N`` after a group applies to every member.
- ``pack(costs, num_jobs)``: splits benchmarks into at most ``num_jobs`` bins of about equal cost
  (longest-processing-time-first), so 25 small benchmarks can run as a few jobs instead of 25.
- ``estimate_costs(plan, data_dir)``: rows x seeds x ``tokens_to_generate`` per benchmark, from the
  prepared files (the cost ``pack`` balances).

The eval planner (``pipeline/eval_stages.py``) calls these; nothing here submits anything.
"""

from __future__ import annotations

import os
from typing import Mapping

from nemo_skills_lite.utils.errors import NslError

# NeMo-Skills-style groups. Every member is a benchmark YAML next to this file (a test checks it).
GROUPS: dict[str, tuple[str, ...]] = {
    "math": ("gsm8k", "math-500", "aime24", "aime25", "amc23", "hmmt_feb25", "brumo25", "omni-math",
             "olympiadbench", "minerva-math"),
    "competition-math": ("aime24", "aime25", "amc23", "hmmt_feb25", "brumo25"),
    "code": ("human-eval", "human-eval+", "mbpp", "mbpp+", "livecodebench", "codecontests"),
    "livecodebench-all": ("livecodebench-v5", "livecodebench-v6"),
    "mcq": ("gpqa-diamond", "mmlu", "mmlu-pro", "supergpqa", "arc-challenge"),
    "instruction-following": ("ifeval",),
}


def expand_groups(arg: str) -> str:
    """Replace each group name in a ``BENCH[:SEEDS]`` list by its members (same seeds)."""
    out = []
    for item in (x.strip() for x in arg.split(",") if x.strip()):
        name, sep, seeds = item.partition(":")
        if name in GROUPS:
            out += [f"{member}{sep}{seeds}" for member in GROUPS[name]]
        else:
            out.append(item)
    return ",".join(out)


def pack(costs: Mapping[str, float], num_jobs: int) -> list[list[str]]:
    """Bins of benchmark names, at most ``num_jobs`` of them, balanced by cost.

    ``costs``: name -> a cost estimate (e.g. rows x seeds, or rows x seeds x tokens_to_generate).
    Greedy longest-first into the currently cheapest bin; ties keep the input order, so the result is
    deterministic. Empty bins are dropped; each bin lists its names in input order.
    """
    if not isinstance(num_jobs, int) or num_jobs < 1:
        raise NslError(f"num_jobs={num_jobs!r} must be a positive integer")
    bad = {k: v for k, v in costs.items() if not isinstance(v, (int, float)) or v < 0}
    if bad:
        raise NslError(f"benchmark costs must be numbers >= 0, got {bad}")
    order = {name: i for i, name in enumerate(costs)}
    bins: list[list[str]] = [[] for _ in range(min(num_jobs, len(costs)))]
    load = [0.0] * len(bins)
    for name in sorted(costs, key=lambda n: (-costs[n], order[n])):
        i = min(range(len(bins)), key=lambda j: (load[j], j))
        bins[i].append(name)
        load[i] += costs[name]
    return [sorted(b, key=order.__getitem__) for b in bins if b]


def estimate_costs(plan: list[tuple[str, int]], data_dir: str | os.PathLike | None = None) -> dict[str, float]:
    """``[(name, seeds), ...]`` (``parse_benchmarks``' output) -> name -> rows x seeds x tokens_to_generate.

    Reads only the prepared files' line counts; a benchmark not prepared yet is an error naming the
    command that prepares it."""
    from nemo_skills_lite.benchmarks import dataset_path, load

    costs: dict[str, float] = {}
    for name, seeds in plan:
        path = dataset_path(name, data_dir)
        if not path.is_file():
            raise NslError(f"{name}: no prepared data at {path}; run `nsl prepare-benchmarks {name} "
                           f"--output-dir {path.parent.parent}` first")
        with open(path, "rb") as f:
            rows = sum(1 for line in f if line.strip())
        costs[name] = float(rows * seeds * int(load(name)["generation"].get("tokens_to_generate", 1)))
    return costs
