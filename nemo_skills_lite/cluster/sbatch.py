"""Pure sbatch rendering: (stage spec, cluster config, array slice, dependency) -> script text.

No I/O, no clock, no environment: the same inputs give byte-identical scripts, which the golden-file
tests pin. One script is one chain level of one array slice of a stage. Inside, every component is
an ``srun`` step running ``runtime.worker`` with a role: ``server`` (on all server nodes),
``sandbox`` (optional) and ``client``. The batch shell waits for whichever ends first: when the
client ends the others are torn down and its exit code is the job's; when a server or the sandbox
dies first the job fails loudly with its log tail. SIGUSR1 (sent ``signal_before_timeout_s`` before
the time limit) and SIGTERM (scancel) are forwarded to the client, which flushes and exits.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from nemo_skills_lite.cluster.config import ClusterConfig
from nemo_skills_lite.cluster.containers import sandbox_mounts, wait_block
from nemo_skills_lite.runtime.spec import StageSpec

CODE_MOUNT = "/nemo_run/code"
MULTI_NODE_SERVER_WAIT_S = 30  # srun --wait: the other nodes' servers are stopped this long after one ends


@dataclass(frozen=True)
class ArraySlice:
    """Units of one array job. Array task ids must stay below the cluster's MaxArraySize, so a
    stage with more units is split and each slice counts its task ids from ``offset``."""

    level: int  # 0 = first attempt, 1.. = chained attempts (dependent_jobs)
    units: tuple[int, ...]  # unit indices; task id = unit - offset
    offset: int = 0
    throttle: int | None = None


def array_spec(units: tuple[int, ...], throttle: int | None) -> str:
    """(0,1,2,5,7,8) -> '0-2,5,7-8' (+ '%N')."""
    parts, start, prev = [], None, None
    for u in sorted(units):
        if start is None:
            start = prev = u
        elif u == prev + 1:
            prev = u
        else:
            parts.append(f"{start}-{prev}" if prev != start else str(start))
            start = prev = u
    if start is not None:
        parts.append(f"{start}-{prev}" if prev != start else str(start))
    return ",".join(parts) + (f"%{throttle}" if throttle else "")


def job_name(stage: StageSpec, cfg: ClusterConfig) -> str:
    return f"{cfg.job_name_prefix}{stage.expname}"


def _container_flags(image: str | None, stage: StageSpec, code_dir: str, *, config_mounts: bool = True) -> list[str]:
    if not image:
        return []
    # without the config mounts (the sandbox) the worker still needs its spec and rendezvous folder
    own = stage.mounts if config_mounts else sandbox_mounts(stage, stage.host_log_dir or stage.log_dir)
    mounts = ",".join([*own, f"{code_dir}:{CODE_MOUNT}"])
    return [f"--container-image={image}", f"--container-mounts={mounts}", "--no-container-mount-home",
            f"--container-workdir={CODE_MOUNT}"]


def _srun(flags: list[str], log: str, role: str) -> str:
    args = " ".join(shlex.quote(f) for f in flags)
    return f'srun --overlap {args} --output="$LOGS-{log}" "${{WORKER[@]}}" --role {role} &'


def render_sbatch(stage: StageSpec, cfg: ClusterConfig, sl: ArraySlice, *, dependency: str | None,
                  code_dir: str) -> str:
    """Render one sbatch script. ``dependency`` is a full Slurm spec like 'afterany:12:13'."""
    nodes = max(stage.num_nodes, stage.server.nodes if stage.server and not stage.server.address else 1)
    gpus = max(stage.num_gpus, stage.server.gpus if stage.server and not stage.server.address else 0)
    logs = f"{stage.host_log_dir or stage.log_dir}/{stage.stage_id}"  # opened by Slurm on the host
    h = ["#!/bin/bash", f"#SBATCH --job-name={job_name(stage, cfg)}",
         f"#SBATCH --output={logs}-L{sl.level}-%A_%a.out", f"#SBATCH --nodes={nodes}", "#SBATCH --ntasks-per-node=1",
         f"#SBATCH --array={array_spec(tuple(u - sl.offset for u in sl.units), sl.throttle)}"]
    if gpus and not cfg.disable_gpus_per_node:
        h.append(f"#SBATCH --gres=gpu:{gpus}")
    if stage.partition:  # chosen by the planner (ClusterConfig.partition_for), like the time limit
        h.append(f"#SBATCH --partition={stage.partition}")
    if cfg.account:
        h.append(f"#SBATCH --account={cfg.account}")
    if cfg.mail_type:
        h.append(f"#SBATCH --mail-type={cfg.mail_type}")
    if cfg.mail_user:
        h.append(f"#SBATCH --mail-user={cfg.mail_user}")
    if stage.time_limit:
        h.append(f"#SBATCH --time={stage.time_limit}")
        h.append(f"#SBATCH --signal=B:USR1@{cfg.signal_before_timeout_s}")
    if dependency:
        h += [f"#SBATCH --dependency={dependency}", "#SBATCH --kill-on-invalid-dep=yes"]
    h += [f"#SBATCH {line}" for line in stage.sbatch_lines]

    client_flags = _container_flags(stage.client_container, stage, code_dir)
    body = ["", "set -uo pipefail"]
    if not stage.client_container:
        body.append(f"cd {shlex.quote(code_dir)}")
    for k, v in sorted(stage.env.items()):
        body.append(f"export {k}={shlex.quote(v)}")
    python = "python3" if stage.client_container else stage.python
    # the done check runs where the client runs: in its container when there is one
    check = ("srun --nodes=1 --ntasks=1 " + " ".join(shlex.quote(f) for f in client_flags) + " "
             if client_flags else "")
    body += [
        f"UNIT=$(( {sl.offset} + ${{SLURM_ARRAY_TASK_ID:-0}} ))",
        f"LOGS={shlex.quote(logs)}-L{sl.level}-u${{UNIT}}",
        f"WORKER=({shlex.quote(python)} -m nemo_skills_lite.runtime.worker {shlex.quote(stage.spec_path)}"
        f" --unit \"$UNIT\" --attempt {sl.level})",
        f'if {check}"${{WORKER[@]}}" --role done; then echo "unit $UNIT is already done"; exit 0; fi',
        "PIDS=()",
    ]
    srv = stage.server
    if srv and not srv.address:
        flags = [f"--nodes={srv.nodes}", "--ntasks-per-node=1"] + _container_flags(srv.container, stage, code_dir)
        if srv.nodes > 1:  # one node's server ending breaks the whole server: end the step, so the job sees it
            flags[2:2] = ["--kill-on-bad-exit=1", f"--wait={MULTI_NODE_SERVER_WAIT_S}"]
        body += [_srun(flags, "server-%t.log", "server"), 'SERVER=$!; PIDS+=("$SERVER")']
    if stage.with_sandbox:
        flags = ["--nodes=1", "--ntasks=1"] + _container_flags(stage.sandbox_container, stage, code_dir,
                                                               config_mounts=stage.sandbox_mounts)
        flags += list(cfg.sandbox_extra_srun_args)
        body += [_srun(flags, "sandbox.log", "sandbox"), 'SANDBOX=$!; PIDS+=("$SANDBOX")']
    flags = [f"--nodes={stage.num_nodes}", "--ntasks-per-node=1"] + client_flags
    if stage.num_nodes != nodes:  # fewer nodes than the job: srun would inherit SLURM_NTASKS and refuse the step
        flags[1:1] = [f"--ntasks={stage.num_nodes}"]
    if stage.num_nodes > 1:  # a multi-node command (e.g. sharding) whose rank fails would leave the rest waiting
        flags[2:2] = ["--kill-on-bad-exit=1"]
    body += [_srun(flags, "client.log", "client"), "CLIENT=$!", wait_block("step")]
    return "\n".join(h + body) + "\n"

