"""Resource limits of one execution, and the defaults per kind of test.

CPU time is the limit that decides ``time_limit`` verdicts (reproducible under load); the wall
clock is only a backstop for programs that sleep or block.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

# Default CPU seconds per test, by runner kind (a pytest file is one test run).
DEFAULT_TIME_LIMIT = {"stdin": 2.0, "assert": 3.0, "pytest": 10.0}


class LimitsError(ValueError):
    """A limit value given by the user is not valid (message names the key and the valid range)."""


@dataclass(frozen=True)
class Limits:
    time_limit: float | None = None    # CPU seconds per test run; None = the kind's default
    memory_limit_mb: int = 1024        # address space of the program
    wall_factor: float = 3.0           # wall-clock backstop = time_limit * wall_factor + 1 s, not
                                       # counting time spent waiting for a CPU (hard cap 5x that)
    max_processes: int = 64            # RLIMIT_NPROC for the sandbox uid
    max_file_mb: int = 64              # RLIMIT_FSIZE: any file the program writes, stdout included
    max_open_files: int = 256          # RLIMIT_NOFILE
    max_output_bytes: int = 8 << 20    # stdout kept for comparison; more is a runtime error
    compile_time_limit: float = 30.0   # g++ CPU seconds
    compile_memory_mb: int = 4096

    @property
    def cpu_limit(self) -> float:
        return self.time_limit if self.time_limit is not None else DEFAULT_TIME_LIMIT["stdin"]

    @property
    def wall_limit(self) -> float:
        return self.cpu_limit * self.wall_factor + 1.0

    def worker_request(self, *, compile_step: bool = False) -> dict:
        """The compact form the in-sandbox worker understands."""
        cpu = self.compile_time_limit if compile_step else self.cpu_limit
        mem = self.compile_memory_mb if compile_step else self.memory_limit_mb
        return {"cpu": cpu, "wall": cpu * self.wall_factor + 1.0, "mem": mem << 20,
                "nproc": self.max_processes, "fsize": self.max_file_mb << 20,
                "nofile": self.max_open_files, "output": self.max_output_bytes}

    def validate(self) -> "Limits":
        checks = {"time_limit": (0.01, 3600.0), "memory_limit_mb": (16, 65536), "wall_factor": (1.0, 100.0),
                  "max_processes": (1, 4096), "max_file_mb": (1, 4096), "max_open_files": (16, 65536),
                  "max_output_bytes": (1024, 1 << 30), "compile_time_limit": (1.0, 600.0),
                  "compile_memory_mb": (64, 65536)}
        for key, (lo, hi) in checks.items():
            val = getattr(self, key)
            if val is None and key == "time_limit":
                continue
            if isinstance(val, bool) or not isinstance(val, (int, float)) or math.isnan(val) or not lo <= val <= hi:
                raise LimitsError(f"limit '{key}' = {val!r} is not valid; use a number in [{lo}, {hi}]")
        return self

    @classmethod
    def for_row(cls, row: dict, kind: str, base: "Limits | None" = None) -> "Limits":
        """Limits for one row: row keys ``time_limit`` / ``memory_limit_mb`` override ``base``;
        without a row or base time limit the kind's default applies."""
        lim = base or cls()
        changes: dict = {} if lim.time_limit is not None else {"time_limit": DEFAULT_TIME_LIMIT[kind]}
        for key in ("time_limit", "memory_limit_mb"):
            if row.get(key) is not None:
                changes[key] = row[key]
        if "memory_limit_mb" in changes and isinstance(changes["memory_limit_mb"], float):
            changes["memory_limit_mb"] = int(changes["memory_limit_mb"])
        return dataclasses.replace(lim, **changes).validate()
