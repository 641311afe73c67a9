"""Resumable output (DESIGN.md §5): ``<output>-async`` holds finished rows tagged with their input position.

- ``AsyncOutput.open()`` reads what an earlier (maybe killed) run left: a truncated last line -- what
  ``kill -9`` mid-write leaves -- is dropped and cut off the file, so new rows never glue onto it.
- ``append(position, row)`` writes one whole line with one ``write`` on an O_APPEND descriptor, so a row
  is either fully in the file or (at the tail only) truncated. Failed rows are never appended, so the
  next run retries them.
- ``finalize(total)`` puts rows back in input order, writes ``<output>`` atomically, then the ``.done``
  marker last, then removes the ``-async`` file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from nemo_skills_lite.runtime.markers import mark_done
from nemo_skills_lite.runtime.paths import async_path  # noqa: F401 (re-exported)
from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.io import atomic_write_jsonl

POSITION_KEY = "_async_position"


class AsyncOutput:
    def __init__(self, output_file: str | os.PathLike) -> None:
        self.output_file = Path(output_file)
        self.path = async_path(output_file)
        self.rows: dict[int, dict[str, Any]] = {}
        self.dropped_tail = False
        self._fd: int | None = None
        self._since_sync = 0

    def open(self, total: int) -> set[int]:
        """Load finished positions (< total) and open the file for appending; returns them."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            self._load(total)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        return set(self.rows)

    def _load(self, total: int) -> None:
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1  # bytes after the last newline: a partial line from a killed writer
        if end < len(data):
            self.dropped_tail = True
        lines = data[:end].split(b"\n")
        for i, raw in enumerate(lines):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
                pos = row[POSITION_KEY]
            except (json.JSONDecodeError, KeyError, TypeError):
                if i == len(lines) - 2:  # last complete line cannot be trusted either: drop it
                    self.dropped_tail = True
                    end = sum(len(x) + 1 for x in lines[:i])
                    break
                raise NslError(f"{self.path}:{i + 1}: corrupt resume file (not a tagged JSON row). Move it "
                               "away to start this output over.") from None
            if not isinstance(pos, int) or not 0 <= pos < total:
                raise NslError(f"{self.path}:{i + 1}: position {pos!r} is outside the input (0..{total - 1}); "
                               "the input changed since the earlier run? Move the -async file away to restart.")
            self.rows.setdefault(pos, row)
        if self.dropped_tail:
            with open(self.path, "r+b") as f:
                f.truncate(end)

    def append(self, position: int, row: dict[str, Any]) -> None:
        assert self._fd is not None, "open() first"
        tagged = {**row, POSITION_KEY: position}
        line = (json.dumps(tagged, ensure_ascii=False) + "\n").encode("utf-8")
        view = memoryview(line)
        while view:  # one write almost always; loop for the rare short write
            n = os.write(self._fd, view)
            view = view[n:]
        self.rows[position] = tagged
        self._since_sync += 1
        if self._since_sync >= 256:
            self.sync()

    def sync(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            self._since_sync = 0

    def close(self) -> None:
        if self._fd is not None:
            self.sync()
            os.close(self._fd)
            self._fd = None

    def missing(self, total: int) -> list[int]:
        return [p for p in range(total) if p not in self.rows]

    def finalize(self, total: int, **marker_info: Any) -> int:
        missing = self.missing(total)
        if missing:
            raise RuntimeError(f"finalize with {len(missing)} unfinished rows (first: {missing[:5]})")
        self.close()

        def ordered():
            for p in range(total):
                row = dict(self.rows[p])
                row.pop(POSITION_KEY, None)
                yield row

        n = atomic_write_jsonl(self.output_file, ordered())
        mark_done(self.output_file, rows=n, **marker_info)
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        return n
