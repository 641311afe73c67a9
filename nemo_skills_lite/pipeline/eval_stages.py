"""``eval(benchmarks="gsm8k:4,human-eval", ...)``: per benchmark a generation stage and a grading
stage after it, then one summary stage after all of them (its expname is the eval's expname, so
``run_after=<eval expname>`` waits for the whole evaluation).

Layout (NeMo-Skills'): ``<output_dir>/eval-results/<benchmark>/output-rs{S}.jsonl`` graded in place,
``<output_dir>/eval-results/metrics.json`` from the summary.
"""

from __future__ import annotations

import shlex

from nemo_skills_lite import benchmarks
from nemo_skills_lite.cluster.config import load_cluster_config
from nemo_skills_lite.pipeline.options import EvalArgs
from nemo_skills_lite.pipeline.planner import stage_config, user_path
from nemo_skills_lite.pipeline.submit import StageHandle
from nemo_skills_lite.utils.errors import NslError

SERVER_KEYS = ("model", "server_type", "server_gpus", "server_nodes", "server_args", "server_address")
COMMON_KEYS = ("cluster", "config_dir", "partition", "time_min", "exclusive", "mount_paths", "sbatch_kwargs",
               "array_throttle", "dependent_jobs", "rerun_done", "dry_run")


def submit_eval(a: EvalArgs, ctx) -> list[StageHandle]:
    from nemo_skills_lite.pipeline.cli import generate, run_cmd, wrap_arguments

    if not a.output_dir:
        raise NslError("eval: output_dir is required")
    if not a.benchmarks:
        raise NslError(f"eval: benchmarks is required, e.g. 'gsm8k:4,human-eval'; available: "
                       f"{', '.join(benchmarks.available())}")
    plan = [(name, benchmarks.load(name), seeds) for name, seeds in benchmarks.parse_benchmarks(a.benchmarks)]
    # the grading and summary commands name these folders: relative ones must not be left to the job's cwd
    cfg = stage_config(a, load_cluster_config(a.cluster, a.config_dir))
    a.output_dir, a.data_dir, a.log_dir = (user_path(p, cfg, k) for p, k in
                                           ((a.output_dir, "output_dir"), (a.data_dir, "data_dir"), (a.log_dir, "log_dir")))
    expname = a.expname or "eval"
    common = {k: getattr(a, k) for k in COMMON_KEYS}
    server = {k: getattr(a, k) for k in SERVER_KEYS}
    data_dir = a.data_dir or str(benchmarks.default_data_dir())
    handles, graders = [], []
    names = [n for n, _, _ in plan]
    results = f"{a.output_dir}/eval-results"
    for name, spec, seeds in plan:
        out = f"{results}/{name}"
        gen = spec["generation"]
        defaults = [f"++prompt_config={spec['prompt_config']}"] + [
            f"++inference.{k}={v}" for k, v in gen.items()]
        gen_exp, grade_exp = f"{expname}-{name}", f"{expname}-{name}-grade"
        handles.append(generate(
            ctx=wrap_arguments(shlex.join(defaults + ctx.args)), input_file=str(benchmarks.dataset_path(name, data_dir)),
            output_dir=out, expname=gen_exp, num_random_seeds=seeds, num_chunks=a.num_chunks,
            run_after=a.run_after, log_dir=a.log_dir and f"{a.log_dir}/{name}", **server, **common))
        grade = (f"python -m nemo_skills_lite.evaluation.evaluate ++input_files={shlex.quote(out + '/output-rs*.jsonl')} "
                 f"++eval_type={spec['eval_type']}")
        handles.append(run_cmd(ctx=wrap_arguments(grade), expname=grade_exp, run_after=gen_exp,
                               log_dir=f"{out}/logs", **common))
        graders.append(grade_exp)
        if a.judge_model and spec["eval_type"] == "math":
            handles.append(judge_stage(a, common, name, out, f"{results}/{name}-judge", seeds, grade_exp))
            graders.append(f"{expname}-{name}-judge")
            names.append(f"{name}-judge")
    summary = (f"python -m nemo_skills_lite.evaluation.summarize {shlex.quote(results)} "
               f"--benchmarks {','.join(names)}")
    handles.append(run_cmd(ctx=wrap_arguments(summary), expname=expname, run_after=graders,
                           log_dir=f"{results}/logs", **common))
    return handles


def judge_stage(a: EvalArgs, common: dict, name: str, graded: str, out: str, seeds: int, after: str) -> StageHandle:
    """LLM judge of the graded answers (math_judge) into ``<bench>-judge/``: the summary reports it as
    its own row set (judge_correct) beside the symbolic grades."""
    from nemo_skills_lite.pipeline.cli import generate, wrap_arguments

    if a.judge_server_type:
        server = dict(model=a.judge_model, server_type=a.judge_server_type, server_gpus=a.judge_server_gpus)
    elif a.server_address:  # same endpoint, another served model
        server = dict(model=a.judge_model, server_address=a.server_address)
    else:
        raise NslError("eval: judge_model needs judge_server_type (a server to start) or server_address")
    return generate(ctx=wrap_arguments(""), generation_type="math_judge", input_dir=graded, output_dir=out,
                    expname=f"{a.expname or 'eval'}-{name}-judge", run_after=after, num_random_seeds=seeds,
                    **server, **common)
