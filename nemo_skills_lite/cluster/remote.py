"""Reading result files where a cluster keeps them (``summarize-results --cluster NAME``).

- ``ssh_tunnel`` clusters: the seed files under a remote folder come back in one ``ssh HOST -- find |
  tar`` stream (the system ``ssh`` client, built as for Slurm commands: BatchMode, the tunnel's
  identity, port, options, pre_command and shell) and are unpacked into a local folder; only ``output*.jsonl`` one or two levels down are
  copied, never anything else.
- other clusters (local, or a login node on the shared filesystem): a job's path is mapped back to
  the host path behind the cluster's mounts and read in place.
"""

from __future__ import annotations

import io
import shlex
import subprocess
import tarfile
from pathlib import Path

from nemo_skills_lite.cluster.config import ClusterConfig, SshTunnel
from nemo_skills_lite.utils.errors import NslError

PATTERN = "output*.jsonl"


def ssh_argv(ssh: SshTunnel, command: str) -> list[str]:
    """``ssh ... -- sh -c COMMAND`` built exactly as for Slurm commands (identity, port, options,
    pre_command, shell: one implementation, ``Slurm.command_argv``)."""
    from nemo_skills_lite.cluster.slurm import Slurm

    return Slurm(ssh).command_argv(["sh", "-c", command])  # the one place ssh argv are built


def fetch_results(ssh: SshTunnel, remote_dir: str, dest: Path, *, timeout: float = 600) -> int:
    """Copy ``remote_dir/[*/]output*.jsonl`` to ``dest`` (same relative layout); returns the file count."""
    command = (f"cd {shlex.quote(remote_dir)} && find . -maxdepth 2 -name {shlex.quote(PATTERN)} -type f -print0 "
               "| tar --null -T - -cf -")
    try:
        proc = subprocess.run(ssh_argv(ssh, command), capture_output=True, timeout=timeout)
    except FileNotFoundError:
        raise NslError("'ssh' not found: install an OpenSSH client to read results from an ssh_tunnel cluster") from None
    except subprocess.TimeoutExpired:
        raise NslError(f"reading {ssh.host}:{remote_dir} took longer than {timeout:.0f}s") from None
    if proc.returncode != 0:
        raise NslError(f"cannot read {ssh.host}:{remote_dir} (ssh exit {proc.returncode}): "
                       f"{proc.stderr.decode(errors='replace').strip()[-500:]}")
    dest.mkdir(parents=True, exist_ok=True)
    count = 0
    with tarfile.open(fileobj=io.BytesIO(proc.stdout), mode="r:") as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if not member.isfile() or not Path(member.name).match(PATTERN) or ".." in parts or len(parts) > 3 \
                    or Path(member.name).is_absolute():
                continue
            target = dest.joinpath(*[p for p in parts if p != "."])
            target.parent.mkdir(parents=True, exist_ok=True)
            src = tar.extractfile(member)
            assert src is not None  # a regular file
            target.write_bytes(src.read())  # plain bytes: no modes, owners or links from the remote side
            count += 1
    return count


def local_results_dir(cfg: ClusterConfig, results_dir: str, cache: Path) -> Path:
    """Where ``results_dir`` (a path as the jobs saw it) can be read on this machine."""
    if cfg.ssh_tunnel is not None:
        if fetch_results(cfg.ssh_tunnel, results_dir, cache) == 0:
            raise NslError(f"{cfg.ssh_tunnel.host}:{results_dir} holds no {PATTERN} files "
                           "(expected <benchmark>/output-rs*.jsonl)")
        return cache
    return Path(cfg.host_path(results_dir))
