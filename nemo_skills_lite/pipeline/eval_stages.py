"""``eval(benchmarks="gsm8k:4,human-eval", ...)``: per benchmark a generation stage and a grading stage after
it, then one summary stage after all of them (its expname is the eval's expname, so ``run_after=<eval
expname>`` waits for the whole evaluation). Planned with the same planner as ``generate``/``run_cmd`` and added
to the graph as one piece: a benchmark whose data is missing stops the whole eval before anything is submitted.

Layout (NeMo-Skills'): ``<output_dir>/eval-results/<benchmark>/output-rs{S}.jsonl`` graded in place,
``<output_dir>/eval-results/metrics.json`` from the summary.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shlex
from pathlib import Path
from typing import Any

from nemo_skills_lite import benchmarks
from nemo_skills_lite.benchmarks.groups import estimate_costs, pack
from nemo_skills_lite.cluster.config import ClusterConfig, load_cluster_config
from nemo_skills_lite.pipeline.graph import Node
from nemo_skills_lite.pipeline.options import CommonArgs, EvalArgs, GenerateArgs, RunCmdArgs, ServerArgs
from nemo_skills_lite.pipeline.planner import stage_config, user_path
from nemo_skills_lite.pipeline.submission import StageHandle, new_stage_id
from nemo_skills_lite.runtime.paths import command_marker
from nemo_skills_lite.runtime.spec import UnitSpec
from nemo_skills_lite.utils.errors import NslError


def _shared(a: EvalArgs, cls: type) -> dict[str, Any]:
    """Every option ``cls`` shares with ``eval`` (common + server options), copied by field, never by hand."""
    names = {f.name for f in dataclasses.fields(cls)} & {f.name for f in dataclasses.fields(EvalArgs)}
    keep = {f.name for f in dataclasses.fields(CommonArgs)} | {f.name for f in dataclasses.fields(ServerArgs)}
    return {k: getattr(a, k) for k in names & keep}


def plan_eval(a: EvalArgs, ctx: Any) -> list[Node]:
    from nemo_skills_lite.pipeline.cli import plan_generate_node, plan_run_cmd_node

    if not a.output_dir:
        raise NslError("eval: output_dir is required")
    if not a.benchmarks:
        raise NslError(f"eval: benchmarks is required, e.g. 'gsm8k:4,human-eval'; available: "
                       f"{', '.join(benchmarks.available())}")
    plan = [(name, benchmarks.load(name), seeds) for name, seeds in benchmarks.parse_benchmarks(a.benchmarks)]
    # the grading and summary commands name these folders: relative ones must not be left to the job's cwd
    cfg = stage_config(a, load_cluster_config(a.cluster, a.config_dir))
    a = dataclasses.replace(a, **{k: user_path(getattr(a, k), cfg, k) for k in ("output_dir", "data_dir", "log_dir")})
    expname = a.expname or "eval"
    data_dir = a.data_dir or str(benchmarks.default_data_dir())
    if not a.run_after:  # after another stage (one that prepares the data, say) the graph's input check decides
        _check_data(plan, data_dir, a.split, cfg)
    nodes: list[Node] = []
    graders, names = [], [n for n, _, _ in plan]
    results = f"{a.output_dir}/eval-results"
    gen_opts, cmd_opts = _shared(a, GenerateArgs), _shared(a, RunCmdArgs)
    if a.num_jobs is not None and a.num_chunks:
        raise NslError("eval: num_jobs packs whole benchmarks into jobs; it cannot be combined with num_chunks")
    gen_nodes: dict[str, Node] = {}
    for name, spec, seeds in plan:
        out = f"{results}/{name}"
        defaults = [f"++prompt_config={spec['prompt_config']}"] + [
            f"++inference.{k}={v}" for k, v in spec["generation"].items()]
        gen_exp, grade_exp = f"{expname}-{name}", f"{expname}-{name}-grade"
        gen = GenerateArgs(**{**gen_opts, "input_file": _data_file(name, data_dir, a.split), "output_dir": out,
                              "expname": gen_exp, "num_random_seeds": seeds, "num_chunks": a.num_chunks,
                              "log_dir": a.log_dir and f"{a.log_dir}/{name}"})
        gen_nodes[name] = plan_generate_node(gen, defaults + ctx.args, cfg)
        nodes.append(gen_nodes[name])
        grade = (f"python -m nemo_skills_lite.evaluation.evaluate ++input_files={shlex.quote(out + '/output-rs*.jsonl')} "
                 f"++eval_type={spec['eval_type']} {spec.get('eval_args', '')}").strip()
        nodes.append(plan_run_cmd_node(_cmd_args(cmd_opts, grade_exp, gen_exp, f"{out}/logs"), grade, cfg))
        graders.append(grade_exp)
        judge = benchmarks.judge_for(spec) if a.judge_model else None
        if judge:  # the benchmark's own judge, else the math judge for math sets
            nodes.append(judge_node(a, gen_opts, name, out, f"{results}/{name}-judge", seeds, grade_exp, cfg, judge))
            graders.append(f"{expname}-{name}-judge")
            names.append(f"{name}-judge")
    if a.num_jobs is not None:
        nodes = _packed(nodes, gen_nodes, plan, data_dir, a.num_jobs, expname, results, cfg)
    summary = (f"python -m nemo_skills_lite.evaluation.summarize {shlex.quote(results)} "
               f"--benchmarks {','.join(names)}")
    nodes.append(plan_run_cmd_node(_cmd_args(cmd_opts, expname, graders, f"{results}/logs"), summary, cfg))
    return nodes


def _packed(nodes: list[Node], gen_nodes: dict[str, Node], plan: list, data_dir: str, num_jobs: int, expname: str,
            results: str, cfg: ClusterConfig) -> list[Node]:
    """NeMo-Skills' ``num_jobs``: the generation stages become at most ``num_jobs`` stages of one job each, whose
    command runs its benchmarks' generations one after another against one server (a generation whose output is
    done exits at once, so a rerun of the job resumes). Grading stages then run after the job holding their
    benchmark."""
    costs = estimate_costs([(n, s) for n, _, s in plan], cfg.host_path(data_dir))
    owner: dict[str, str] = {}
    packed: list[Node] = []
    for i, names in enumerate(pack(costs, num_jobs)):
        members = [gen_nodes[n] for n in names]
        units = [u for m in members for u in m.spec.units]
        command = " && ".join(u.command for u in units)
        log_dir = f"{results}/logs/jobs"
        first = members[0]
        exp = f"{expname}-job{i}"
        unit = UnitSpec(index=0, command=command,
                        marker=str(command_marker(log_dir, hashlib.sha1(command.encode()).hexdigest()[:12])),
                        inputs=tuple(sorted({p for u in units for p in u.inputs})))
        spec = dataclasses.replace(first.spec, expname=exp, stage_id=new_stage_id(exp), log_dir=log_dir, units=(unit,),
                                   kind="run_cmd",  # a command of several generations: the worker writes its marker
                                   host_log_dir=cfg.host_path(log_dir) if cfg.uses_containers else None)
        produces = frozenset().union(*(m.produces or frozenset() for m in members))
        packed.append(Node(spec, first.cfg, first.run_after, StageHandle(exp, spec.stage_id), rerun_done=first.rerun_done,
                           dry_run=first.dry_run, throttle=first.throttle, produces=produces))
        owner.update({m.expname: exp for m in members})
    out = []
    for n in nodes:
        if n.expname in owner:  # a generation stage: replaced by its job (inserted where the first member was)
            job = next(p for p in packed if p.expname == owner[n.expname])
            if all(m is not job for m in out):
                out.append(job)
            continue
        n.run_after = tuple(owner.get(r, r) for r in n.run_after)
        out.append(n)
    return out


def _cmd_args(opts: dict[str, Any], expname: str, after: str | list[str], log_dir: str) -> RunCmdArgs:
    """A CPU command stage: no server of its own, no sandbox."""
    no_server = {k: f.default for k, f in ServerArgs.__dataclass_fields__.items()}
    return RunCmdArgs(**{**opts, **no_server, "expname": expname, "run_after": after, "log_dir": log_dir})


def _data_file(name: str, data_dir: str, split: str) -> str:
    path = benchmarks.dataset_path(name, data_dir)
    return str(path if split == "test" else path.with_name(f"{split}.jsonl"))


def _check_data(plan: list, data_dir: str, split: str, cfg: ClusterConfig) -> None:
    """Every benchmark's prepared file must exist before any stage of the eval is planned."""
    missing = [name for name, _, _ in plan if not Path(cfg.host_path(_data_file(name, data_dir, split))).exists()]
    if missing:
        raise NslError(f"eval: benchmark data not prepared for {', '.join(missing)} (looked for "
                       f"{cfg.host_path(_data_file(missing[0], data_dir, split))}); run "
                       f"`python -m nemo_skills_lite.benchmarks.prepare {' '.join(missing)} --output-dir {data_dir}`; "
                       f"nothing was submitted")


def judge_node(a: EvalArgs, gen_opts: dict[str, Any], name: str, graded: str, out: str, seeds: int, after: str,
               cfg: ClusterConfig, judge: dict[str, str]) -> Node:
    """LLM judge of the graded answers (``benchmarks.judge_for``: generation type, prompt) into ``<bench>-judge/``:
    the summary reports it as its own row set (judge_correct) beside the symbolic grades."""
    from nemo_skills_lite.pipeline.cli import plan_generate_node

    if a.judge_server_type:
        server = dict(model=a.judge_model, server_type=a.judge_server_type, server_gpus=a.judge_server_gpus,
                      server_nodes=1, server_args="", server_address=None)
    elif a.server_address:  # same endpoint, another served model
        server = dict(model=a.judge_model, server_address=a.server_address)
    else:
        raise NslError("eval: judge_model needs judge_server_type (a server to start) or server_address")
    args = GenerateArgs(**{**gen_opts, **server, "generation_type": judge["generation_type"], "input_dir": graded,
                            "output_dir": out, "expname": f"{a.expname or 'eval'}-{name}-judge",
                            "run_after": after, "num_random_seeds": seeds, "log_dir": None})
    prompt = [f"++prompt_config={judge['prompt_config']}"] if judge.get("prompt_config") else []
    return plan_generate_node(args, prompt, cfg)
