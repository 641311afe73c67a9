"""Small, dependency-free JSONL helpers shared by every stage.

Writes are atomic (temp file in the same directory, fsync, rename) so a killed job never leaves
a half-written output behind a name that later stages trust.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, TextIO

from nemo_skills_lite.utils.errors import NslError


def read_jsonl(path: str | os.PathLike, *, allow_truncated_tail: bool = False) -> Iterator[dict[str, Any]]:
    """Yield rows of a JSONL file. A malformed line is an NslError naming file and line, except a
    truncated *last* line when ``allow_truncated_tail`` (what a killed writer leaves behind)."""
    path = Path(path)
    if not path.exists():
        raise NslError(f"input file not found: {path}")
    with path.open("rb") as f:
        lines = f.read().split(b"\n")
    last = len(lines) - 1
    for i, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as e:
            if allow_truncated_tail and (i == last or all(not x.strip() for x in lines[i + 1:])):
                return
            raise NslError(f"{path}:{i + 1}: not valid JSON ({e.msg}); each line must be one JSON object") from None
        if not isinstance(row, dict):
            raise NslError(f"{path}:{i + 1}: expected a JSON object, got {type(row).__name__}")
        yield row


@contextmanager
def _atomic_open(path: str | os.PathLike) -> Iterator[TextIO]:
    """A text file that replaces ``path`` (fsync, rename) only when the block ends without an exception."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with _atomic_open(path) as f:
        f.write(text)


def atomic_write_jsonl(path: str | os.PathLike, rows: Iterable[dict[str, Any]]) -> int:
    """Write rows to ``path`` atomically; returns the number of rows written."""
    n = 0
    with _atomic_open(path) as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False))
            f.write("\n")
            n += 1
    return n
