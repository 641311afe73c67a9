"""Chunk merge: exactly once, race-free, under a POSIX lock next to the merged output.

Every chunk job calls ``merge_if_complete`` after writing its marker. Under the lock, the first
caller that sees every chunk marker concatenates the chunks in chunk order, writes the merged file
atomically and its marker last; every later caller sees the merged marker and does nothing. A
chunk that is still missing simply leaves the merge to the job that finishes it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from nemo_skills_lite.runtime.markers import is_done, mark_done
from nemo_skills_lite.runtime.paths import async_path
from nemo_skills_lite.runtime.spec import MergeSpec
from nemo_skills_lite.utils.io import atomic_write_jsonl, read_jsonl


def merge_if_complete(spec: MergeSpec, *, remove_chunks: bool = True) -> bool:
    """Merge when all chunks are done. Returns True when the merged output is (now) complete."""
    out = Path(spec.output)
    if is_done(out):
        return True
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{out}.merge-lock", "a+") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX)
        if is_done(out):
            return True
        if not all(is_done(c) for c in spec.chunk_outputs):
            return False

        def rows():
            for chunk in spec.chunk_outputs:
                yield from read_jsonl(chunk)

        n = atomic_write_jsonl(out, rows())
        mark_done(out, rows=n, chunks=len(spec.chunk_outputs))
        if remove_chunks:
            for chunk in spec.chunk_outputs:
                for p in (chunk, str(async_path(chunk))):
                    if os.path.exists(p):
                        os.unlink(p)
        return True
