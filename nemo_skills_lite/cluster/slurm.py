"""The one module that runs scheduler commands: sbatch, squeue, scontrol, scancel.

With an ``ssh_tunnel`` in the cluster config every command goes through the system ``ssh`` client
(``ssh -o BatchMode=yes [-o OPTION ...] [-i identity] user@host -- CMD``); scripts are passed on stdin,
so nothing but the job files on the shared filesystem needs to exist remotely.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass, field

from nemo_skills_lite.cluster.config import SshTunnel
from nemo_skills_lite.cluster.states import TERMINAL, JobState  # noqa: F401 (TERMINAL: re-exported)
from nemo_skills_lite.utils.errors import NslError


@dataclass
class Slurm:
    ssh: SshTunnel | None = None
    calls: dict[str, int] = field(default_factory=dict)  # command -> count (benchmarks read this)

    def command_argv(self, argv: list[str]) -> list[str]:
        """``argv`` as run on the login node: itself, or through the ssh tunnel (port, shell, pre_command)."""
        if not self.ssh:
            return argv
        target = f"{self.ssh.user}@{self.ssh.host}" if self.ssh.user else self.ssh.host
        ident = ["-i", self.ssh.identity] if self.ssh.identity else []
        port = ["-p", str(self.ssh.port)] if self.ssh.port else []
        opts = [a for o in self.ssh.options for a in ("-o", o)]
        cmd = shlex.join(argv)
        if self.ssh.pre_command:
            cmd = f"{self.ssh.pre_command} && {cmd}"
        if self.ssh.shell:
            cmd = f"{self.ssh.shell} -c {shlex.quote(cmd)}"
        return ["ssh", "-o", "BatchMode=yes", *opts, *port, *ident, target, "--", cmd]

    def run(self, argv: list[str], *, stdin: str | None = None, check: bool = True) -> str:
        self.calls[argv[0]] = self.calls.get(argv[0], 0) + 1
        try:
            p = subprocess.run(self.command_argv(argv), input=stdin, capture_output=True, text=True, timeout=120)
        except FileNotFoundError:
            raise NslError(f"'{argv[0]}' not found: is this a Slurm login node (or set ssh_tunnel in the "
                           f"cluster config)?") from None
        if check and p.returncode != 0:
            raise NslError(f"{argv[0]} failed (exit {p.returncode}): {p.stderr.strip() or p.stdout.strip()}")
        return p.stdout

    def sbatch(self, script: str) -> str:
        """Submit a script (on stdin); returns the job id (an array's id for array jobs)."""
        out = self.run(["sbatch", "--parsable"], stdin=script).strip()
        job_id = out.split(";")[0]
        if not job_id.isdigit():
            raise NslError(f"sbatch returned an unexpected answer: {out!r}")
        return job_id

    def max_array_size(self) -> int:
        out = self.run(["scontrol", "show", "config"])
        m = re.search(r"^MaxArraySize\s*=\s*(\d+)", out, re.M)
        return int(m.group(1)) if m else 1001

    def states(self, job_ids: list[str]) -> dict[str, str]:
        """'<job>_<task>' (or '<job>') -> state, for every task of the given jobs still known to Slurm."""
        if not job_ids:
            return {}
        out = self.run(["squeue", "-h", "-r", "-t", "all", "-j", ",".join(job_ids), "-o", "%i|%T|%r"],
                       check=False)
        states = {}
        for line in out.splitlines():
            parts = line.strip().split("|")
            if len(parts) >= 2:
                states[parts[0]] = JobState.parse(parts[1])
        return states

    def cancel(self, job_ids: list[str]) -> None:
        if job_ids:
            self.run(["scancel", *job_ids], check=False)
