"""The one job-state vocabulary of every backend: Slurm's state names (the local executor writes the same)."""

from __future__ import annotations

from enum import Enum


class JobState(str, Enum):
    """A job's (or array task's) state. A ``str`` enum: it compares equal to the scheduler's text."""

    PENDING = "PENDING"
    CONFIGURING = "CONFIGURING"
    RUNNING = "RUNNING"
    COMPLETING = "COMPLETING"
    SUSPENDED = "SUSPENDED"
    REQUEUED = "REQUEUED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    TIMEOUT = "TIMEOUT"
    CANCELLED = "CANCELLED"
    OUT_OF_MEMORY = "OUT_OF_MEMORY"
    NODE_FAIL = "NODE_FAIL"
    PREEMPTED = "PREEMPTED"
    BOOT_FAIL = "BOOT_FAIL"
    DEADLINE = "DEADLINE"

    @classmethod
    def parse(cls, text: str) -> "JobState | str":
        """A scheduler's state word; 'CANCELLED by 0' -> CANCELLED; unknown words are kept as text."""
        word = text.strip().split()[0] if text.strip() else text
        try:
            return cls(word)
        except ValueError:
            return word


TERMINAL = frozenset({JobState.COMPLETED, JobState.FAILED, JobState.TIMEOUT, JobState.CANCELLED,
                      JobState.OUT_OF_MEMORY, JobState.NODE_FAIL, JobState.PREEMPTED, JobState.BOOT_FAIL,
                      JobState.DEADLINE})
