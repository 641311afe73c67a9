"""Every option of ``generate`` / ``run_cmd`` / ``eval``, declared once.

The Python API builds these dataclasses from keyword arguments and the ``nsl`` CLI builds its
argument parser from the same fields (``help`` metadata), so the two can never drift apart.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from typing import Any

from nemo_skills_lite.utils.errors import NslError


def opt(default: Any = None, help: str = "", **kw: Any) -> Any:
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata={"help": help, **kw})
    return field(default=default, metadata={"help": help, **kw})


@dataclass
class CommonArgs:
    cluster: str | None = opt(None, "cluster config name or path (default: $NEMO_SKILLS_CONFIG or 'local')")
    config_dir: str | None = opt(None, "folder with cluster configs (searched before ./cluster_configs)")
    expname: str | None = opt(None, "experiment name; later stages refer to it with run_after")
    run_after: str | list[str] | None = opt(None, "expname(s) whose jobs must finish before this stage starts")
    log_dir: str | None = opt(None, "where job logs, scripts and specs go (default: <output_dir>/logs)")
    partition: str | None = opt(None, "Slurm partition (default: the config's partition)")
    time_min: str | None = opt(None, "Slurm --time-min: let the scheduler start the job with less time")
    exclusive: bool = opt(False, "ask Slurm for whole nodes (--exclusive)")
    mount_paths: str | None = opt(None, "extra mounts 'host:container,host2:container2'")
    sbatch_kwargs: dict[str, str] = opt({}, "extra sbatch options, e.g. {'mem': '64G', 'qos': 'high'}")
    array_throttle: int | None = opt(None, "at most this many units of the stage run at once (Slurm %N)")
    dependent_jobs: int = opt(0, "extra chained jobs per unit (afterany), so a time limit never loses work")
    rerun_done: bool = opt(False, "resubmit units whose outputs already have a .done marker")
    dry_run: bool = opt(False, "render every script into the log dir, print the plan, submit nothing")
    qos: str | None = opt(None, "Slurm quality of service (--qos)")
    reuse_code: bool = opt(True, "jobs run the code snapshot taken for this recipe's first stage (False: "
                                 "snapshot the code again for this stage)")
    reuse_code_exp: str | None = opt(None, "run the code snapshot of this earlier expname instead")
    installation_command: str | None = opt(None, "shell command run in the job before the main command "
                                                 "(e.g. 'pip install ...')")


@dataclass
class ServerArgs:
    model: str | None = opt(None, "model path (or name for server_type=openai)")
    server_type: str | None = opt(None, "vllm | sglang | trtllm | openai")
    server_gpus: int = opt(0, "GPUs per server node")
    server_nodes: int = opt(1, "nodes per server (tensor parallel = server_gpus x server_nodes)")
    server_args: str = opt("", "extra arguments passed to the server launch command")
    server_address: str | None = opt(None, "use an existing OpenAI-compatible endpoint instead of starting one")
    with_sandbox: bool = opt(False, "start a code-execution sandbox beside the client (NSL_SANDBOX_URL)")
    keep_mounts_for_sandbox: bool = opt(False, "give the sandbox container the cluster config's mounts too "
                                               "(default: only the code, as NeMo-Skills)")
    server_entrypoint: str | None = opt(None, "module or .py script that starts the server instead of the "
                                              "server type's default (its arguments are kept)")
    server_container: str | None = opt(None, "image for the server instead of the config's containers entry")


@dataclass
class GenerateArgs(ServerArgs, CommonArgs):
    input_file: str | None = opt(None, "JSONL input (one problem per line)")
    input_dir: str | None = opt(None, "folder with output-rs{S}.jsonl from a previous stage (judge stages)")
    output_dir: str | None = opt(None, "where output.jsonl / output-rs{S}.jsonl go")
    generation_type: str = opt("generate", "generate | math_judge | check_contamination | verify_code")
    generation_module: str | None = opt(None, "python module run instead of the built-in generation task")
    num_random_seeds: int | None = opt(None, "number of seeds (one output-rs{S}.jsonl each)")
    random_seeds: str | list[int] | None = opt(None, "explicit seeds instead of num_random_seeds: "
                                                      "'0..7' (inclusive), '1,3' or a list")
    starting_seed: int = opt(0, "first seed when num_random_seeds is given")
    num_chunks: int | None = opt(None, "split each seed's input into this many parallel jobs")
    chunk_ids: str | list[int] | None = opt(None, "run only these chunks: '0..3', '1,3' or a list")
    preprocess_cmd: str | None = opt(None, "shell command run in the job before the generation")
    postprocess_cmd: str | None = opt(None, "shell command run in the job after the generation succeeded")


@dataclass
class RunCmdArgs(ServerArgs, CommonArgs):
    container: str | None = opt(None, "container key from the cluster config (default: nemo-skills)")
    num_gpus: int = opt(0, "GPUs per node for the command")
    num_nodes: int = opt(1, "nodes for the command (one task per node)")


@dataclass
class EvalArgs(ServerArgs, CommonArgs):
    benchmarks: str | None = opt(None, "comma list of BENCH[:SEEDS], e.g. 'gsm8k:4,human-eval'")
    output_dir: str | None = opt(None, "eval results go to <output_dir>/eval-results/<benchmark>/")
    data_dir: str | None = opt(None, "folder with prepared benchmark data (<data_dir>/<bench>/test.jsonl)")
    split: str = opt("test", "benchmark split file name")
    num_chunks: int | None = opt(None, "split each benchmark's input into this many jobs")
    num_jobs: int | None = opt(None, "pack the benchmarks' generation into at most this many jobs (balanced by "
                                     "rows x seeds x tokens), each running its benchmarks one after another")
    judge_model: str | None = opt(None, "LLM judge model for benchmarks that use one")
    judge_server_type: str | None = opt(None, "server type for the judge model")
    judge_server_gpus: int = opt(0, "GPUs for the judge server")
    log_samples: bool = opt(False, "NeMo-Skills: log samples to Weights & Biases (not supported: warns)")
    wandb_name: str | None = opt(None, "NeMo-Skills W&B run name (not supported: warns)")
    wandb_group: str | None = opt(None, "NeMo-Skills W&B group (not supported: warns)")
    wandb_project: str | None = opt(None, "NeMo-Skills W&B project (not supported: warns)")


def build(cls: type, kwargs: dict[str, Any], where: str) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(kwargs) - names)
    if unknown:
        from nemo_skills_lite.utils.errors import unknown_key_error

        raise unknown_key_error(unknown[0], names, f"{where}() argument")
    return cls(**kwargs)


UNSUPPORTED = ("log_samples", "wandb_name", "wandb_group", "wandb_project")


def warn_unsupported(a: Any, where: str) -> None:
    """NeMo-Skills options that cannot apply here: accepted, never silently dropped."""
    used = [k for k in UNSUPPORTED if getattr(a, k, None)]
    if used:
        print(f"[nsl] warning: {where}: {', '.join(used)} ignored: nemo_skills_lite does not log to Weights & "
              f"Biases (metrics are in <output_dir>/eval-results/metrics.json)", file=sys.stderr)


def parse_ids(value: str | list[int] | None, what: str) -> list[int] | None:
    """NeMo-Skills' id lists: '0..7' (inclusive range), '1,3,5', a single '4', or a list of ints."""
    if value is None or isinstance(value, list):
        return value
    text = str(value).strip()
    try:
        if ".." in text:
            lo, hi = (int(x) for x in text.split(".."))
            if hi < lo:
                raise ValueError
            return list(range(lo, hi + 1))
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise NslError(f"{what}='{value}' is not a list of ids; use '0..7' (inclusive), '1,3' or [1, 3]") from None


def validate_common(a: CommonArgs, where: str) -> None:
    if a.dependent_jobs < 0:
        raise NslError(f"{where}: dependent_jobs={a.dependent_jobs} must be >= 0")
    if a.array_throttle is not None and a.array_throttle < 1:
        raise NslError(f"{where}: array_throttle={a.array_throttle} must be >= 1")
    if a.expname is not None and (not a.expname or "/" in a.expname):
        raise NslError(f"{where}: expname '{a.expname}' must be a non-empty name without '/'")
