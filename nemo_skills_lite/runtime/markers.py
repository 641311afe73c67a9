"""Completion markers: ``<output>.done`` is written last, after the output is complete.

A unit whose marker exists is finished and is never resubmitted (unless ``rerun_done``).
"""

from __future__ import annotations

import json
import os
import time

from nemo_skills_lite.runtime.paths import done_path  # noqa: F401 (re-exported)
from nemo_skills_lite.utils.io import atomic_write_text


def is_done(output: str | os.PathLike) -> bool:
    return done_path(output).exists()


def mark_done(output: str | os.PathLike, **info: object) -> None:
    """Write the marker atomically; ``info`` (rows, seconds, ...) is stored as JSON for `nsl status`."""
    atomic_write_text(done_path(output), json.dumps({"finished_at": time.time(), **info}) + "\n")


def clear_done(output: str | os.PathLike) -> None:
    try:
        done_path(output).unlink()
    except FileNotFoundError:
        pass
