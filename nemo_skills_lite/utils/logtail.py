"""The tail of a server or sandbox log, as the errors that name a dead server show it.

Request lines (one per HTTP request: uvicorn's access log, as vLLM's server prints it) say nothing about why a
server died and, under load, fill the whole tail; they are left out and counted. ``REQUEST_LINE`` is written
in POSIX ERE so the sbatch/local job scripts filter with the same pattern (``grep -E``).
"""

from __future__ import annotations

import os
import re

REQUEST_LINE = r'^(\([A-Za-z]+ pid=[0-9]+\) )?(INFO: +)?[^ ]+:[0-9]+ - "(GET|POST|PUT|DELETE|HEAD|OPTIONS) '
_REQUEST_LINE = re.compile(REQUEST_LINE)
TAIL_BYTES = 256 * 1024


def log_tail(log_path: str | None, lines: int = 40) -> str:
    """The last ``lines`` lines of the log, request lines left out (their count is said)."""
    if not log_path:
        return "(no server log path given)"
    try:
        with open(log_path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - TAIL_BYTES))
            text = f.read().decode("utf-8", "replace")
    except OSError as e:
        return f"(cannot read server log {log_path}: {e})"
    kept, requests = [], 0
    for line in text.splitlines():
        if _REQUEST_LINE.match(line):
            requests += 1
        else:
            kept.append(line)
    note = [f"({requests} request lines left out)"] if requests else []
    return "\n".join(kept[-lines:] + note)
