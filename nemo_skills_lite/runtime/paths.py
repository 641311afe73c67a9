"""Every file name the framework writes beside outputs and logs, in one place (stdlib only).

Outputs: ``<output>`` is finished when ``<output>.done`` exists; rows of an unfinished one are appended to
``<output>-async``. Per stage, under its log dir: ``.nsl/<stage_id>.json`` (the spec jobs read),
``.nsl/scripts/<stage_id>-L<level>-<slice>.sbatch`` (local container jobs: ``-L<level>-u<unit>.sh``), ``.nsl/<stage_id>.state.json`` (+ ``.args.json``, ``.pid``:
the local runner), ``.nsl/rdv/...`` (where servers publish their address), ``.nsl/run_cmd-<hash>`` (the marker of a
command stage), and the logs ``<stage_id>-L<level>-u<unit>...``. Code snapshots: ``<job_dir>/code/<digest>/``.
"""

from __future__ import annotations

import os
from pathlib import Path


def done_path(output: str | os.PathLike) -> Path:
    return Path(f"{os.fspath(output)}.done")


def async_path(output: str | os.PathLike) -> Path:
    return Path(f"{os.fspath(output)}-async")


def nsl_dir(log_dir: str | os.PathLike) -> Path:
    return Path(log_dir) / ".nsl"


def spec_path(log_dir: str | os.PathLike, stage_id: str) -> Path:
    return nsl_dir(log_dir) / f"{stage_id}.json"


def script_path(log_dir: str | os.PathLike, stage_id: str, level: int, index: int) -> Path:
    return nsl_dir(log_dir) / "scripts" / f"{stage_id}-L{level}-{index}.sbatch"


def local_script_path(log_dir: str | os.PathLike, stage_id: str, level: int, unit: int) -> Path:
    """The bash script of one local container job (one unit attempt; cluster/containers.py renders it)."""
    return nsl_dir(log_dir) / "scripts" / f"{stage_id}-L{level}-u{unit}.sh"


def state_path(log_dir: str | os.PathLike, stage_id: str) -> Path:
    return nsl_dir(log_dir) / f"{stage_id}.state.json"


def runner_log(log_dir: str | os.PathLike, stage_id: str) -> Path:
    return Path(log_dir) / f"{stage_id}-runner.log"


def unit_log(log_dir: str | os.PathLike, stage_id: str, level: int, unit: int | str) -> Path:
    """Prefix of a unit attempt's logs (``.out`` locally, ``-client.log``, ``-server-N.log``, ``-sandbox.log``)."""
    return Path(log_dir) / f"{stage_id}-L{level}-u{unit}"


def rdv_dir(log_dir: str | os.PathLike, stage_id: str, unit: int, attempt: int, key: str) -> Path:
    return nsl_dir(log_dir) / "rdv" / f"{stage_id}-u{unit}-a{attempt}-{key}"


def command_marker(log_dir: str | os.PathLike, key: str) -> Path:
    """The output stand-in of a ``run_cmd`` stage (its ``.done`` says the command succeeded)."""
    return nsl_dir(log_dir) / f"run_cmd-{key}"


def snapshot_dir(root: str | os.PathLike, digest: str) -> Path:
    return Path(root) / digest
