"""Problem de-duplication: exact (normalised text) and near-duplicate (datasketch MinHash LSH).

    python -m nemo_skills_lite.data.dedup IN.jsonl OUT.jsonl [--key problem] [--threshold 0.7]
        [--duplicates DUPS.jsonl]

Both passes stream: exact dedup keeps 8-byte hashes of the rows seen, the LSH keeps one MinHash
per kept row. The first occurrence wins; each dropped row is reported with the index it duplicates.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from nemo_skills_lite.utils.errors import NslError, run_main

_WS = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


def normalize_text(text: str) -> str:
    """NFKC, lower case, whitespace collapsed, outer whitespace stripped."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def text_hash(text: str) -> bytes:
    return hashlib.blake2b(normalize_text(text).encode("utf-8", "surrogatepass"), digest_size=8).digest()


def shingles(text: str, n: int = 3) -> set[bytes]:
    """Word n-grams of the normalised text (the whole text if shorter than n words)."""
    words = _WORD.findall(normalize_text(text))
    if len(words) < n:
        return {" ".join(words).encode()} if words else {b""}
    return {" ".join(words[i:i + n]).encode() for i in range(len(words) - n + 1)}


@dataclass(frozen=True)
class Duplicate:
    index: int  # position of the dropped row
    of: int  # position of the kept row it duplicates
    kind: str  # "exact" or "near"
    similarity: float  # 1.0 for exact; estimated Jaccard for near


class NearDupIndex:
    """MinHash LSH over word shingles. ``check_and_add(i, text)`` -> index of an earlier near-duplicate or None."""

    def __init__(self, threshold: float = 0.7, num_perm: int = 128, ngram: int = 3, seed: int = 1) -> None:
        from datasketch import MinHash, MinHashLSH

        self._MinHash = MinHash
        self.threshold, self.num_perm, self.ngram, self.seed = threshold, num_perm, ngram, seed
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.hashes: dict[int, Any] = {}

    def minhash(self, text: str):
        m = self._MinHash(num_perm=self.num_perm, seed=self.seed)
        m.update_batch(list(shingles(text, self.ngram)))
        return m

    def check_and_add(self, i: int, text: str) -> tuple[int, float] | None:
        m = self.minhash(text)
        best: tuple[int, float] | None = None
        for key in self.lsh.query(m):
            sim = m.jaccard(self.hashes[key])
            if sim >= self.threshold and (best is None or sim > best[1]):
                best = (key, sim)
        if best is not None:
            return best
        self.lsh.insert(i, m)
        self.hashes[i] = m
        return None


def dedup_rows(rows: Iterable[dict[str, Any]], key: str = "problem", *, exact: bool = True, near: bool = True,
               threshold: float = 0.7, num_perm: int = 128, ngram: int = 3,
               duplicates: list[Duplicate] | None = None) -> Iterator[dict[str, Any]]:
    """Yield rows whose ``key`` text is neither an exact (normalised) nor a near duplicate of an earlier row."""
    seen: dict[bytes, int] = {}
    index = NearDupIndex(threshold, num_perm, ngram) if near else None
    for i, row in enumerate(rows):
        text = row.get(key)
        if not isinstance(text, str):
            raise NslError(f"row {i + 1}: key '{key}' missing or not a string; keys present: {sorted(row)}")
        if exact:
            h = text_hash(text)
            if h in seen:
                if duplicates is not None:
                    duplicates.append(Duplicate(i, seen[h], "exact", 1.0))
                continue
            seen[h] = i
        if index is not None:
            hit = index.check_and_add(i, text)
            if hit is not None:
                if duplicates is not None:
                    duplicates.append(Duplicate(i, hit[0], "near", round(hit[1], 4)))
                continue
        yield row


def main(argv: list[str] | None = None) -> int:
    from nemo_skills_lite.data.io import iter_inputs, write_rows
    from nemo_skills_lite.utils.io import atomic_write_jsonl
    from nemo_skills_lite.utils.progress import Progress

    ap = argparse.ArgumentParser(prog="python -m nemo_skills_lite.data.dedup", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="jsonl/parquet/HF folder, glob allowed")
    ap.add_argument("output", help=".jsonl or .parquet")
    ap.add_argument("--key", default="problem")
    ap.add_argument("--threshold", type=float, default=0.7, help="MinHash Jaccard threshold for near duplicates")
    ap.add_argument("--no-near", action="store_true", help="exact (normalised) dedup only")
    ap.add_argument("--duplicates", help="write dropped rows' (index, of, kind, similarity) here")
    args = ap.parse_args(argv)
    dups: list[Duplicate] = []
    progress = Progress("dedup")

    def counted() -> Iterator[dict[str, Any]]:
        for row in iter_inputs(args.input):
            progress.update(1)
            yield row

    n = write_rows(args.output, dedup_rows(counted(), args.key, near=not args.no_near,
                                           threshold=args.threshold, duplicates=dups))
    if args.duplicates:
        atomic_write_jsonl(args.duplicates, (d.__dict__ for d in dups))
    exact = sum(d.kind == "exact" for d in dups)
    progress.close(f"kept {n}, dropped {exact} exact and {len(dups) - exact} near duplicates")
    return 0


if __name__ == "__main__":
    run_main(main)
