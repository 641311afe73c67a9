"""Row readers and writers for curation: jsonl, parquet and HF ``datasets`` folders in; jsonl and parquet out.

Readers stream (one row at a time, parquet by record batch, HF folders through their arrow files),
so memory stays flat in the number of rows. Writers write to a temp file and rename at close,
so a killed job never leaves a half-written output under the final name.
"""

from __future__ import annotations

import glob
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator

from nemo_skills_lite.utils.errors import NslError


def expand_inputs(spec: str | Iterable[str]) -> list[Path]:
    """'a/*.jsonl,b.parquet' or 'x y' or a list -> sorted existing paths (globs expanded per pattern)."""
    if isinstance(spec, str):
        parts = spec.split(",") if "," in spec else spec.split()
    else:
        parts = list(spec)
    paths: list[Path] = []
    for pat in (p.strip() for p in parts):
        if not pat:
            continue
        hits = sorted(glob.glob(pat)) if glob.has_magic(pat) else ([pat] if os.path.exists(pat) else [])
        if not hits:
            raise NslError(f"input pattern '{pat}' matched no files")
        paths.extend(Path(h) for h in hits)
    if not paths:
        raise NslError(f"no input files in '{spec}'")
    return paths


def input_format(path: Path) -> str:
    if path.is_dir():
        if (path / "dataset_info.json").exists() or (path / "state.json").exists() or (path / "dataset_dict.json").exists():
            return "hf"
        raise NslError(f"{path}: a folder must be a HuggingFace datasets folder (save_to_disk); "
                       "no dataset_info.json/state.json/dataset_dict.json found")
    name = path.name
    if name.endswith((".jsonl", ".json", ".test")) or ".jsonl" in name:
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    raise NslError(f"{path}: unknown input format; valid: .jsonl, .parquet, or a HuggingFace datasets folder")


def iter_jsonl_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line_no, raw line) for non-empty lines, streaming."""
    with open(path, "rb") as f:
        for i, raw in enumerate(f, 1):
            if raw.strip():
                yield i, raw


def iter_rows(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of one input (any supported format), streaming. Bad JSON names file and line."""
    fmt = input_format(path)
    if fmt == "jsonl":
        for i, raw in iter_jsonl_lines(path):
            try:
                row = json.loads(raw)
            except json.JSONDecodeError as e:
                raise NslError(f"{path}:{i}: not valid JSON ({e.msg}); each line must be one JSON object") from None
            if not isinstance(row, dict):
                raise NslError(f"{path}:{i}: expected a JSON object, got {type(row).__name__}")
            yield row
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=2048):
            yield from batch.to_pylist()
    else:
        yield from _iter_hf_folder(path)


def _iter_hf_folder(path: Path) -> Iterator[dict[str, Any]]:
    import datasets

    ds = datasets.load_from_disk(str(path))
    if isinstance(ds, datasets.DatasetDict):
        splits = list(ds.values())
    else:
        splits = [ds]
    for split in splits:
        for batch in split.iter(batch_size=2048):
            keys = list(batch)
            n = len(batch[keys[0]]) if keys else 0
            for i in range(n):
                yield {k: batch[k][i] for k in keys}


def iter_inputs(spec: str | Iterable[str]) -> Iterator[dict[str, Any]]:
    for path in expand_inputs(spec):
        yield from iter_rows(path)


class RowWriter:
    """``with RowWriter(path) as w: w.write(row)`` -> jsonl or parquet by suffix, atomic at close."""

    def __init__(self, path: str | os.PathLike, *, parquet_batch: int = 5000) -> None:
        self.path = Path(path)
        self.fmt = "parquet" if self.path.suffix == ".parquet" else "jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        os.close(fd)
        self.count = 0
        self._buf: list[dict[str, Any]] = []
        self._pq_writer = None
        self._parquet_batch = parquet_batch
        self._f = open(self.tmp, "w", encoding="utf-8") if self.fmt == "jsonl" else None

    def write(self, row: dict[str, Any]) -> None:
        self.count += 1
        if self._f is not None:
            self._f.write(json.dumps(row, ensure_ascii=False))
            self._f.write("\n")
        else:
            self._buf.append(row)
            if len(self._buf) >= self._parquet_batch:
                self._flush_parquet()

    def write_line(self, line: str) -> None:
        """Write an already-serialised JSON row (jsonl) without re-encoding."""
        if self._f is not None:
            self.count += 1
            self._f.write(line if line.endswith("\n") else line + "\n")
        else:
            self.write(json.loads(line))

    def _flush_parquet(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self._buf:
            return
        table = pa.Table.from_pylist(self._buf)
        if self._pq_writer is None:
            self._pq_writer = pq.ParquetWriter(self.tmp, table.schema)
        else:
            table = table.cast(self._pq_writer.schema)
        self._pq_writer.write_table(table)
        self._buf = []

    def close(self) -> None:
        if self._f is not None:
            self._f.flush()
            os.fsync(self._f.fileno())
            self._f.close()
        else:
            self._flush_parquet()
            if self._pq_writer is not None:
                self._pq_writer.close()
            else:  # no rows: still write a valid (empty) file
                import pyarrow as pa
                import pyarrow.parquet as pq

                pq.write_table(pa.table({}), self.tmp)
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        if self._f is not None and not self._f.closed:
            self._f.close()
        if self._pq_writer is not None:
            self._pq_writer.close()
        if os.path.exists(self.tmp):
            os.unlink(self.tmp)

    def __enter__(self) -> "RowWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_rows(path: str | os.PathLike, rows: Iterable[dict[str, Any]]) -> int:
    with RowWriter(path) as w:
        for row in rows:
            w.write(row)
    return w.count
