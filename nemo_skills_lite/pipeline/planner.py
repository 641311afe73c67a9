"""Stage planning: validated options + cluster config -> StageSpec (seeds x chunks units).

Pure apart from reading the task registry; file-system checks (inputs exist, markers) happen in
``submit``. Output naming follows NeMo-Skills: ``output.jsonl``, ``output-rs{S}.jsonl`` and chunks
``output-rs{S}_chunk_{K}.jsonl``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from nemo_skills_lite.cluster.config import ClusterConfig, Mount
from nemo_skills_lite.cluster.sbatch import CODE_MOUNT
from nemo_skills_lite.configs import TASKS
from nemo_skills_lite.configs.generation import SERVER_TYPES
from nemo_skills_lite.pipeline.options import CommonArgs, GenerateArgs, RunCmdArgs, ServerArgs, parse_ids
from nemo_skills_lite.runtime.paths import command_marker
from nemo_skills_lite.runtime.spec import MergeSpec, ServerSpec, StageSpec, UnitSpec
from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.overrides import check_key, parse_overrides, split_override, valid_keys


@dataclass(frozen=True)
class Env:
    """What the planner needs to know about where it runs."""

    python: str  # interpreter for host-mode jobs
    code_dir: str  # the project checkout / installed package root
    stage_id: str


def output_name(seed: int | None, chunk: int | None) -> str:
    base = "output" if seed is None else f"output-rs{seed}"
    return f"{base}_chunk_{chunk}.jsonl" if chunk is not None else f"{base}.jsonl"


def seeds_of(a: GenerateArgs) -> list[int | None]:
    seeds = parse_ids(a.random_seeds, "random_seeds")
    if seeds is not None:
        if not seeds:
            raise NslError("generate: random_seeds is empty")
        return seeds
    if a.num_random_seeds is None or a.num_random_seeds == 0:
        return [None]
    if a.num_random_seeds < 0:
        raise NslError(f"generate: num_random_seeds={a.num_random_seeds} must be >= 0")
    return list(range(a.starting_seed, a.starting_seed + a.num_random_seeds))


def chunks_of(a: GenerateArgs) -> list[int | None]:
    chunk_ids = parse_ids(a.chunk_ids, "chunk_ids")
    if a.num_chunks is None:
        if chunk_ids:
            raise NslError("generate: chunk_ids needs num_chunks")
        return [None]
    if a.num_chunks < 1:
        raise NslError(f"generate: num_chunks={a.num_chunks} must be >= 1")
    ids = chunk_ids if chunk_ids is not None else list(range(a.num_chunks))
    bad = [c for c in ids if not 0 <= c < a.num_chunks]
    if bad:
        raise NslError(f"generate: chunk_ids {bad} outside 0..{a.num_chunks - 1}")
    return list(ids)


def server_spec(a: ServerArgs, cfg: ClusterConfig, where: str) -> ServerSpec | None:
    if a.server_address:
        return ServerSpec(server_type=a.server_type or "openai", model=a.model or "", address=a.server_address)
    if a.server_type is None and a.model is None:
        return None
    if a.server_type not in SERVER_TYPES:
        raise NslError(f"{where}: server_type '{a.server_type}' is not valid; valid: {', '.join(SERVER_TYPES)}")
    if not a.model:
        raise NslError(f"{where}: server_type={a.server_type} needs model=<path or name>")
    if a.server_type == "openai":
        raise NslError(f"{where}: server_type=openai needs server_address (an existing endpoint)")
    if a.server_nodes < 1 or a.server_gpus < 0:
        raise NslError(f"{where}: server_nodes must be >= 1 and server_gpus >= 0")
    image = a.server_container if cfg.uses_containers and a.server_container else \
        cfg.container(a.server_type, what=f"the {a.server_type} server")
    if a.server_container and not cfg.uses_containers:
        print(f"[nsl] warning: {where}: server_container='{a.server_container}' ignored: cluster config "
              f"{cfg.source} runs jobs on the host (no containers)", file=sys.stderr)
    return ServerSpec(server_type=a.server_type, model=a.model, gpus=a.server_gpus, nodes=a.server_nodes,
                      args=a.server_args or "", container=image, entrypoint=a.server_entrypoint)


def stage_config(a: CommonArgs, cfg: ClusterConfig) -> ClusterConfig:
    """The cluster config as this stage's jobs see it: the config's mounts plus ``mount_paths``."""
    extra = []
    for item in (a.mount_paths or "").split(","):
        if item.strip():
            host, _, cont = item.strip().partition(":")
            cont = cont.split(":")[0]  # an optional ':ro' mode, as in the config's mounts
            if not host.startswith("/") or not cont.startswith("/"):
                raise NslError(f"mount_paths entry '{item}' must be '/host/path:/container/path'")
            extra.append(Mount(host, cont))
    return cfg.with_mounts(tuple(extra))


def user_path(path: str | None, cfg: ClusterConfig, what: str) -> str | None:
    """A relative path is the submitting shell's: make it absolute against its cwd (jobs run elsewhere).
    On a container cluster it becomes the path jobs see through a mount; absolute paths are kept as given."""
    if not path or path.startswith("/"):
        return path
    host = os.path.abspath(path)
    if not cfg.uses_containers:
        return host
    seen = cfg.container_path(host)
    if seen is None:
        mounts = ", ".join(str(m) for m in cfg.mounts) or "none"
        raise NslError(f"{what} '{path}' is relative and {host} is not inside any mount of cluster config "
                       f"{cfg.source} (mounts: {mounts}); give the path jobs see, or add a mount")
    return seen


def sbatch_lines(a: CommonArgs) -> tuple[str, ...]:
    lines = []
    if a.exclusive:
        lines.append("--exclusive")
    if a.time_min:
        lines.append(f"--time-min={a.time_min}")
    if a.qos:
        lines.append(f"--qos={a.qos}")
    for k, v in (a.sbatch_kwargs or {}).items():
        lines.append(f"--{k.replace('_', '-')}" + (f"={v}" if v not in (None, "", True) else ""))
    return tuple(lines)


def validate_overrides(task: str, args: list[str]) -> None:
    """Check ``++`` overrides against the task's typed config before anything is submitted."""
    if task not in TASKS:
        return
    mod, _, cls = TASKS[task][1].partition(":")
    parse_overrides(getattr(importlib.import_module(mod), cls), args, where=f"{task} ++overrides")


SHELL_OPERATORS = {"&&", "||", ";", "|"}


def check_command_keys(cmd: str) -> None:
    """``python -m <task module> ++key=...`` inside a run_cmd command: unknown keys fail at submission.
    Only keys are checked (values may hold $VARS expanded in the job)."""
    try:
        tokens = shlex.split(cmd)
    except ValueError:
        return
    tasks = {mod: task for task, (mod, _) in TASKS.items()}
    segment: list[str] = []
    for tok in [*tokens, ";"]:
        if tok not in SHELL_OPERATORS:
            segment.append(tok)
            continue
        if len(segment) >= 3 and Path(segment[0]).name.startswith("python") and segment[1] == "-m" \
                and segment[2] in tasks:
            mod, _, name = TASKS[tasks[segment[2]]][1].partition(":")
            cls = getattr(importlib.import_module(mod), name)
            valid = valid_keys(cls)
            for arg in segment[3:]:
                if arg.startswith("+"):
                    check_key(cls, valid, split_override(arg)[0], f"{segment[2]} ++overrides")
        segment = []


def base_stage(kind: str, a: CommonArgs, cfg: ClusterConfig, env: Env, log_dir: str, units: list[UnitSpec],
               server: ServerSpec | None, with_sandbox: bool, num_nodes: int, num_gpus: int,
               client_key: str) -> StageSpec:
    containers = cfg.uses_containers
    gpus = max(num_gpus, server.gpus if server and not server.address else 0)
    partition = cfg.partition_for(a.partition, gpus)  # the time limit follows the partition used
    stage_env = dict(cfg.env_vars)
    stage_env["NSL_CODE_DIR"] = CODE_MOUNT if containers else env.code_dir
    code = CODE_MOUNT if containers else env.code_dir  # the snapshot, never a live checkout
    stage_env["PYTHONPATH"] = f"{code}:{stage_env['PYTHONPATH']}" if stage_env.get("PYTHONPATH") else code
    units = [dataclasses.replace(u, command=wrap_command(u.command, a)) for u in units]
    return StageSpec(
        expname=a.expname or kind, stage_id=env.stage_id, kind=kind, cluster=cfg.name, executor=cfg.executor,
        log_dir=log_dir, units=tuple(units), dependent_jobs=a.dependent_jobs, server=server,
        with_sandbox=with_sandbox, sandbox_container=cfg.container("sandbox", what="the sandbox") if with_sandbox else None,
        client_container=cfg.container(client_key, what="the client"), env=stage_env,
        mounts=tuple(str(m) for m in cfg.mounts), num_nodes=num_nodes, num_gpus=num_gpus, partition=partition,
        time_limit=cfg.timeout_for(partition), sbatch_lines=sbatch_lines(a),
        python="python3" if containers else env.python,
        host_log_dir=cfg.host_path(log_dir) if containers else None, code_dir=env.code_dir,
        sandbox_mounts=bool(getattr(a, "keep_mounts_for_sandbox", False)))


def wrap_command(cmd: str, a: CommonArgs) -> str:
    """NeMo-Skills' installation_command, preprocess_cmd and postprocess_cmd around a unit's command."""
    pre = [c for c in (a.installation_command, getattr(a, "preprocess_cmd", None)) if c]
    post = getattr(a, "postprocess_cmd", None)
    if not pre and not post:
        return cmd
    return " && ".join([*(f"{{ {c}; }}" for c in pre), cmd, *([f"{{ {post}; }}"] if post else [])])


def plan_generate(a: GenerateArgs, ctx_args: list[str], cfg: ClusterConfig, env: Env) -> StageSpec:
    where = "generate"
    cfg = stage_config(a, cfg)
    a = dataclasses.replace(a, **{k: user_path(getattr(a, k), cfg, k)
                                  for k in ("input_file", "input_dir", "output_dir", "log_dir")})
    if bool(a.input_file) == bool(a.input_dir):
        raise NslError(f"{where}: give exactly one of input_file or input_dir")
    if not a.output_dir:
        raise NslError(f"{where}: output_dir is required")
    if a.generation_module is None and a.generation_type not in TASKS:
        raise NslError(f"{where}: generation_type '{a.generation_type}' is not known; valid: "
                       f"{', '.join(sorted(t for t in TASKS if not TASKS[t][0].endswith(('evaluate', 'prepare_data'))))}")
    server = server_spec(a, cfg, where)
    module = a.generation_module or TASKS[a.generation_type][0]
    containers = cfg.uses_containers
    python = "python3" if containers else env.python
    units: list[UnitSpec] = []
    chunks = chunks_of(a)
    for seed in seeds_of(a):
        inp = a.input_file or f"{a.input_dir}/{output_name(seed, None)}"
        final = f"{a.output_dir}/{output_name(seed, None)}"
        chunk_outs = tuple(f"{a.output_dir}/{output_name(seed, c)}" for c in range(a.num_chunks or 0))
        for chunk in chunks:
            out = f"{a.output_dir}/{output_name(seed, chunk)}"
            planned = [f"++input_file={inp}", f"++output_file={out}"]
            if seed is not None:
                planned.append(f"++inference.random_seed={seed}")
            if chunk is not None:
                planned += [f"++num_chunks={a.num_chunks}", f"++chunk_id={chunk}"]
            if server is not None:
                planned += [f"++server.server_type={server.server_type}", f"++server.model={server.model}"]
            cmd = shlex.join([python, "-m", module, *planned, *ctx_args])
            merge = MergeSpec(final, chunk_outs) if chunk is not None else None
            units.append(UnitSpec(index=len(units), command=cmd, marker=out, seed=seed, chunk=chunk,
                                  inputs=(inp,), merge=merge))
    if a.generation_module is None:
        validate_overrides(a.generation_type, ["++input_file=x", "++output_file=y", *ctx_args])
    log_dir = a.log_dir or f"{a.output_dir}/logs"
    cfg.check_mounted({"input_file": a.input_file or "", "input_dir": a.input_dir or "",
                       "output_dir": a.output_dir, "log_dir": log_dir,
                       "model": server.model if server and not server.address and server.model.startswith("/") else ""})
    return base_stage("generate", a, cfg, env, log_dir, units, server, a.with_sandbox, 1, 0, "nemo-skills")


def plan_run_cmd(a: RunCmdArgs, cmd: str, cfg: ClusterConfig, env: Env, default_log_dir: str) -> StageSpec:
    """``cmd`` is the shell text given to wrap_arguments, run by bash as written (quotes, $VARS, &&)."""
    where = "run_cmd"
    cfg = stage_config(a, cfg)
    cmd = cmd.strip()
    if not cmd:
        raise NslError(f"{where}: no command given (ctx=wrap_arguments('python ...'))")
    if a.num_nodes < 1 or a.num_gpus < 0:
        raise NslError(f"{where}: num_nodes must be >= 1 and num_gpus >= 0")
    if not cfg.uses_containers:  # NeMo-Skills mounts the code at /nemo_run/code; on the host it is here
        cmd = cmd.replace(f"{CODE_MOUNT}/", f"{env.code_dir}/")
    check_command_keys(cmd)
    server = server_spec(a, cfg, where)
    log_dir = user_path(a.log_dir or default_log_dir, cfg, "log_dir")
    key = hashlib.sha1(cmd.encode()).hexdigest()[:12]
    unit = UnitSpec(index=0, command=cmd, marker=str(command_marker(log_dir, key)))
    cfg.check_mounted({"log_dir": log_dir})
    stage = base_stage("run_cmd", a, cfg, env, log_dir, [unit], server, a.with_sandbox, a.num_nodes, a.num_gpus,
                       a.container or "nemo-skills")
    if not cfg.uses_containers and a.container in ENGINE_PYTHONS:
        # host mode: "the sglang/vllm container" is that engine's interpreter (python/python3 in the command)
        stage = dataclasses.replace(stage, env={**stage.env, "NSL_ENGINE_PYTHON_VAR": ENGINE_PYTHONS[a.container]})
    return stage


ENGINE_PYTHONS = {"vllm": "NSL_VLLM_PYTHON", "sglang": "NSL_SGLANG_PYTHON"}
