"""Read one chunk of a JSONL input without reading the rest: a row index (byte offsets) built once.

A chunk job (``++num_chunks=N ++chunk_id=K``) needs the number of rows (to place its boundaries, see
``chunk_bounds``) and the bytes of its own rows. Both come from a small binary file next to the input
(``.<input name>.nsl-index``, hidden so that globs such as ``DIR/output-rs*`` never pick it up) holding the
byte offset of every row (a non-blank line, as ``read_jsonl`` counts rows):

    header  b"NSLIDX1\\n" + uint64 input size + int64 input mtime_ns + uint64 row count   (32 bytes)
    body    row count x uint64 little-endian offsets

The first job to need it builds it in one streaming pass (memory independent of the input size) and
publishes it atomically (temp file + rename), holding an advisory ``flock`` on the input meanwhile so that
the other seeds and chunks starting at the same moment wait for it instead of all scanning the input; where
the file system has no flock they each build the same bytes and the last rename wins. A chunk job then reads
the header, two offsets and its byte range: memory and I/O scale with the chunk, not with the input.

The index is trusted only while the input's size and mtime_ns match its header; otherwise it is rebuilt.
Where the input's directory is not writable (read-only data) the index goes to the fallback directory given
by the caller (the job's output directory); where that fails too, the count and the range come from two
streaming passes over the input, still in flat memory.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import math
import os
import struct
import sys
import tempfile
from array import array
from pathlib import Path
from typing import Any, Iterator

from nemo_skills_lite.utils.errors import NslError

MAGIC = b"NSLIDX1\n"
HEADER = struct.Struct("<8sQqQ")
SUFFIX = ".nsl-index"
_BLOCK = 1 << 22  # 4 MiB read blocks while scanning


def chunk_bounds(n: int, num_chunks: int | None, chunk_id: int | None) -> tuple[int, int]:
    """Contiguous, balanced chunks: [start, end) of chunk ``chunk_id`` out of ``num_chunks``."""
    if num_chunks is None or chunk_id is None:
        return 0, n
    size = math.ceil(n / num_chunks) if n else 0
    return min(n, chunk_id * size), min(n, (chunk_id + 1) * size)


def _row_offsets(f) -> Iterator[array]:
    """Yield arrays of the byte offsets of non-blank lines, block by block (streaming)."""
    pos = 0  # file offset of ``pending``
    pending = b""
    while True:
        block = f.read(_BLOCK)
        data = pending + block
        if not block:
            lines_end = len(data)  # last line without a trailing newline
        else:
            lines_end = data.rfind(b"\n") + 1
        out = array("Q")
        start = 0
        while start < lines_end:
            nl = data.find(b"\n", start, lines_end)
            stop = lines_end if nl < 0 else nl
            if data[start:stop].strip():
                out.append(pos + start)
            start = stop + 1
        yield out
        if not block:
            return
        pending = data[lines_end:]
        pos += lines_end


class RowIndex:
    """Row count and offsets of one input file (from a stored index, or a streaming scan as last resort)."""

    def __init__(self, path: Path, count: int, index_file: Path | None) -> None:
        self.path, self.count, self.index_file = path, count, index_file

    def span(self, start: int, end: int) -> tuple[int, int | None]:
        """Byte offsets where rows ``start`` and ``end`` begin (None: the end of the file), ``start < end``."""
        want = [r for r in (start, end) if r < self.count]
        found: dict[int, int] = {}
        if self.index_file is not None:
            with open(self.index_file, "rb") as f:
                for r in want:
                    f.seek(HEADER.size + 8 * r)
                    found[r] = struct.unpack("<Q", f.read(8))[0]
        elif want:
            seen = 0
            with open(self.path, "rb") as f:  # no stored index: a second streaming pass, up to the chunk's end
                for offs in _row_offsets(f):
                    for r in want:
                        if seen <= r < seen + len(offs):
                            found[r] = offs[r - seen]
                    seen += len(offs)
                    if len(found) == len(want):
                        break
        if len(found) != len(want):
            raise NslError(f"{self.path} changed while it was being read (it has fewer than {self.count} rows)")
        return found[start], found.get(end)


def _stat_key(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def _valid(index_file: Path, key: tuple[int, int]) -> int | None:
    """Row count of a stored index that matches ``key``, else None."""
    try:
        with open(index_file, "rb") as f:
            magic, size, mtime, count = HEADER.unpack(f.read(HEADER.size))
            if magic != MAGIC or (size, mtime) != key:
                return None
            if os.fstat(f.fileno()).st_size != HEADER.size + 8 * count:
                return None
            return count
    except (OSError, struct.error):
        return None


def _build(path: Path, index_file: Path, key: tuple[int, int]) -> int:
    """Scan ``path`` and publish its index at ``index_file`` atomically; returns the row count."""
    fd, tmp = tempfile.mkstemp(prefix=f".{index_file.name}.", suffix=".tmp", dir=index_file.parent)
    try:
        count = 0
        with os.fdopen(fd, "wb") as out, open(path, "rb") as f:
            out.write(HEADER.pack(MAGIC, *key, 0))
            for offs in _row_offsets(f):
                if sys.byteorder != "little":
                    offs.byteswap()
                offs.tofile(out)
                count += len(offs)
            out.seek(0)
            out.write(HEADER.pack(MAGIC, *key, count))
            out.flush()
            os.fsync(out.fileno())
        if _stat_key(path) != key:
            raise NslError(f"{path} changed while its row index was being built; rerun once it is complete")
        os.chmod(tmp, 0o644)
        os.replace(tmp, index_file)
        return count
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def index_paths(path: Path, fallback_dir: str | os.PathLike | None) -> list[Path]:
    """Where the index may live, in order: beside the input, then in the fallback directory."""
    places = [path.with_name(f".{path.name}{SUFFIX}")]  # hidden: globs like DIR/output-rs* never match it
    if fallback_dir is not None:
        tag = hashlib.sha256(os.fsencode(os.path.realpath(path))).hexdigest()[:12]
        places.append(Path(fallback_dir) / f".{path.name}.{tag}{SUFFIX}")
    return places


def row_index(path: str | os.PathLike, fallback_dir: str | os.PathLike | None = None) -> RowIndex:
    """The row index of ``path``: reuse a valid stored one, else build and store one (see module doc)."""
    path = Path(path)
    if not path.is_file():
        raise NslError(f"input file not found: {path}")
    key = _stat_key(path)
    places = index_paths(path, fallback_dir)
    for place in places:
        count = _valid(place, key)
        if count is not None:
            return RowIndex(path, count, place)
    with open(path, "rb") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # others starting now wait, then find it built
        except OSError:
            pass  # no flock on this file system: every job builds the same bytes, the last rename wins
        key = _stat_key(path)
        for place in places:  # built by the job we waited for?
            count = _valid(place, key)
            if count is not None:
                return RowIndex(path, count, place)
        for place in places:
            try:
                place.parent.mkdir(parents=True, exist_ok=True)
                return RowIndex(path, _build(path, place, key), place)
            except PermissionError:
                continue
            except OSError as e:
                if e.errno not in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT):
                    raise  # only a place we cannot write to (read-only, no permission, full) moves on
    count = sum(len(offs) for offs in _streaming_offsets(path))
    return RowIndex(path, count, None)


def _streaming_offsets(path: Path) -> Iterator[array]:
    with open(path, "rb") as f:
        yield from _row_offsets(f)


def _line_number(path: Path, offset: int) -> int:
    """1-based line number of the byte at ``offset`` (for error messages only)."""
    n, done = 1, 0
    with open(path, "rb") as f:
        while done < offset:
            block = f.read(min(_BLOCK, offset - done))
            if not block:
                break
            n += block.count(b"\n")
            done += len(block)
    return n


def read_rows(path: str | os.PathLike, start: int, end: int, index: RowIndex) -> list[dict[str, Any]]:
    """Rows ``[start, end)`` of ``path`` (row = non-blank line), reading only their bytes."""
    path = Path(path)
    if start >= end:
        return []
    lo, hi = index.span(start, end)
    rows: list[dict[str, Any]] = []
    with open(path, "rb") as f:
        f.seek(lo)
        pos = lo
        while hi is None or pos < hi:
            raw = f.readline()
            if not raw:
                break
            here, pos = pos, pos + len(raw)
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except json.JSONDecodeError as e:
                raise NslError(f"{path}:{_line_number(path, here)}: not valid JSON ({e.msg}); each line must be "
                               "one JSON object") from None
            if not isinstance(row, dict):
                raise NslError(f"{path}:{_line_number(path, here)}: expected a JSON object, got "
                               f"{type(row).__name__}")
            rows.append(row)
    if len(rows) != end - start:
        raise NslError(f"{path} changed while it was being read (expected {end - start} rows from row {start}, "
                       f"got {len(rows)}); rerun once the file is complete")
    return rows


def load_chunk(path: str | os.PathLike, num_chunks: int | None, chunk_id: int | None, max_samples: int = -1,
               fallback_dir: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """The rows a chunk job processes: ``rows[:max_samples]`` split by ``chunk_bounds``, as if the whole file
    had been read and sliced, but reading only the chunk's bytes (plus the index)."""
    return chunk_rows(path, num_chunks, chunk_id, max_samples, fallback_dir)[1]


def chunk_rows(path: str | os.PathLike, num_chunks: int | None, chunk_id: int | None, max_samples: int = -1,
               fallback_dir: str | os.PathLike | None = None) -> tuple[int, list[dict[str, Any]]]:
    """``load_chunk`` with the input position of the chunk's first row (for messages naming rows)."""
    index = row_index(path, fallback_dir)
    n = index.count if max_samples < 0 else min(index.count, max_samples)
    start, end = chunk_bounds(n, num_chunks, chunk_id)
    return start, read_rows(path, start, end, index)
