"""The recipe API: ``generate``, ``run_cmd``, ``eval`` and ``wrap_arguments`` (NeMo-Skills compatible).

Each call validates everything (cluster config, options, ``++`` overrides, paths, run_after), submits
one stage and returns a ``StageHandle`` at once; nothing is submitted when validation fails.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nemo_skills_lite.cluster.config import load_cluster_config
from nemo_skills_lite.pipeline import options
from nemo_skills_lite.pipeline.planner import Env, plan_generate, plan_run_cmd
from nemo_skills_lite.pipeline.registry import registry_root
from nemo_skills_lite.pipeline.status import wait  # noqa: F401  (public: wait for an expname)
from nemo_skills_lite.pipeline.submit import StageHandle, new_stage_id, submit
from nemo_skills_lite.utils.errors import NslError

CODE_DIR = str(Path(__file__).resolve().parents[2])


@dataclass(frozen=True)
class Ctx:
    """``wrap_arguments`` result: the text as written and its shell-style split (quotes respected)."""

    text: str
    args: list[str] = field(default_factory=list)


def wrap_arguments(arguments: str) -> Ctx:
    try:
        return Ctx(text=arguments, args=shlex.split(arguments))
    except ValueError as e:
        raise NslError(f"wrap_arguments: cannot split {arguments!r} like a shell ({e})") from None


def _ctx(ctx: Ctx | str | None) -> Ctx:
    if ctx is None:
        return Ctx("", [])
    return wrap_arguments(ctx) if isinstance(ctx, str) else ctx


def _env(expname: str) -> Env:
    return Env(python=sys.executable, code_dir=CODE_DIR, stage_id=new_stage_id(expname))


def generate(ctx: Ctx | str | None = None, **kwargs: Any) -> StageHandle:
    a = options.build(options.GenerateArgs, kwargs, "generate")
    options.validate_common(a, "generate")
    cfg = load_cluster_config(a.cluster, a.config_dir)
    a.expname = a.expname or "generate"
    stage = plan_generate(a, _ctx(ctx).args, cfg, _env(a.expname))
    return submit(stage, cfg, run_after=a.run_after, rerun_done=a.rerun_done, dry_run=a.dry_run,
                  throttle=a.array_throttle)


def run_cmd(ctx: Ctx | str | None = None, **kwargs: Any) -> StageHandle:
    a = options.build(options.RunCmdArgs, kwargs, "run_cmd")
    options.validate_common(a, "run_cmd")
    cfg = load_cluster_config(a.cluster, a.config_dir)
    a.expname = a.expname or "run_cmd"
    default_logs = str(Path(cfg.job_dir or registry_root(cfg).parent) / "logs" / a.expname)
    stage = plan_run_cmd(a, _ctx(ctx).text, cfg, _env(a.expname), default_logs)
    return submit(stage, cfg, run_after=a.run_after, rerun_done=a.rerun_done, dry_run=a.dry_run,
                  throttle=a.array_throttle)


def eval(ctx: Ctx | str | None = None, **kwargs: Any) -> list[StageHandle]:  # noqa: A001 (NeMo-Skills name)
    """Generation + grading + summary stages for ``benchmarks='gsm8k:4,human-eval'``."""
    from nemo_skills_lite.pipeline.eval_stages import submit_eval

    a = options.build(options.EvalArgs, kwargs, "eval")
    options.validate_common(a, "eval")
    return submit_eval(a, _ctx(ctx))
