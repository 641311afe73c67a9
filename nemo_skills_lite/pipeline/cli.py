"""The recipe API: ``generate``, ``run_cmd``, ``eval`` and ``wrap_arguments`` (NeMo-Skills compatible).

Each call validates everything it can at once (cluster config, options, ``++`` overrides, paths) and adds its
stage(s) to the process's pipeline graph (``pipeline.graph``); the graph is submitted as a whole, all or
nothing, when the script ends, at ``submit()``, or when a handle's jobs are needed (``wait``, ``job_ids``).
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nemo_skills_lite.cluster.config import ClusterConfig, load_cluster_config
from nemo_skills_lite.pipeline import graph as graph_mod, options
from nemo_skills_lite.pipeline.graph import Node, new_graph, set_dry_run, submit  # noqa: F401 (public)
from nemo_skills_lite.pipeline.planner import Env, plan_generate, plan_run_cmd
from nemo_skills_lite.pipeline.registry import registry_root
from nemo_skills_lite.pipeline.status import wait as _wait
from nemo_skills_lite.pipeline.submission import StageHandle, new_stage_id
from nemo_skills_lite.runtime.spec import StageSpec
from nemo_skills_lite.utils.errors import NslError


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


def env_for(a: options.CommonArgs, cfg: ClusterConfig, expname: str) -> Env:
    """Where the stage's jobs find their code: the graph's snapshot (see ``pipeline.snapshot``)."""
    code = graph_mod.current().code.code_dir(cfg, reuse_code=a.reuse_code, reuse_code_exp=a.reuse_code_exp)
    return Env(python=sys.executable, code_dir=code, stage_id=new_stage_id(expname))


def node(stage: StageSpec, cfg: ClusterConfig, a: options.CommonArgs, produces: frozenset[str] | None) -> Node:
    names = [a.run_after] if isinstance(a.run_after, str) else list(a.run_after or [])
    return Node(stage, cfg, tuple(names), StageHandle(stage.expname, stage.stage_id), rerun_done=a.rerun_done,
                dry_run=a.dry_run, throttle=a.array_throttle, produces=produces)


def outputs_of(stage: StageSpec, cfg: ClusterConfig) -> frozenset[str]:
    """Host paths a generation stage writes (unit outputs and merged seeds)."""
    paths = {u.marker for u in stage.units} | {u.merge.output for u in stage.units if u.merge}
    return frozenset(cfg.host_path(p) for p in paths)


def plan_generate_node(a: options.GenerateArgs, ctx_args: list[str], cfg: ClusterConfig) -> Node:
    stage = plan_generate(a, ctx_args, cfg, env_for(a, cfg, a.expname or "generate"))
    return node(stage, cfg, a, outputs_of(stage, cfg))


def plan_run_cmd_node(a: options.RunCmdArgs, cmd: str, cfg: ClusterConfig) -> Node:
    default_logs = str(Path(cfg.job_dir or registry_root(cfg).parent) / "logs" / (a.expname or "run_cmd"))
    stage = plan_run_cmd(a, cmd, cfg, env_for(a, cfg, a.expname or "run_cmd"), default_logs)
    return node(stage, cfg, a, None)  # what a command writes is unknown


def generate(ctx: Ctx | str | None = None, **kwargs: Any) -> StageHandle:
    a = options.build(options.GenerateArgs, kwargs, "generate")
    options.validate_common(a, "generate")
    cfg = load_cluster_config(a.cluster, a.config_dir)
    a.expname = a.expname or "generate"
    return graph_mod.current().add([plan_generate_node(a, _ctx(ctx).args, cfg)])[0]


def run_cmd(ctx: Ctx | str | None = None, **kwargs: Any) -> StageHandle:
    a = options.build(options.RunCmdArgs, kwargs, "run_cmd")
    options.validate_common(a, "run_cmd")
    cfg = load_cluster_config(a.cluster, a.config_dir)
    a.expname = a.expname or "run_cmd"
    return graph_mod.current().add([plan_run_cmd_node(a, _ctx(ctx).text, cfg)])[0]


def eval(ctx: Ctx | str | None = None, **kwargs: Any) -> list[StageHandle]:  # noqa: A001 (NeMo-Skills name)
    """Generation + grading + summary stages for ``benchmarks='gsm8k:4,human-eval'``."""
    from nemo_skills_lite.pipeline.eval_stages import plan_eval

    a = options.build(options.EvalArgs, kwargs, "eval")
    options.validate_common(a, "eval")
    options.warn_unsupported(a, "eval")
    return graph_mod.current().add(plan_eval(a, _ctx(ctx)))


def wait(expname: str, cluster: str | None = None, config_dir: str | None = None, *,
         timeout: float | None = None, poll_s: float = 2.0) -> str:
    """Submit this process's pending stages, then block until every stage of ``expname`` finished or failed."""
    submit()
    return _wait(expname, cluster, config_dir, timeout=timeout, poll_s=poll_s)
