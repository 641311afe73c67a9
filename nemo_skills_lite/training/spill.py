"""Shuffle and downsampling without holding rows in memory.

Kept rows are appended to a spill file; only their byte offsets and an 8-byte problem key stay in
memory (16 bytes a row, plus a has-code byte). NeMo-Skills' per-problem ``code_text_filter``, the
final order (shuffled, random-k or the "fair" round robin over problems) are computed on those arrays
and the rows are copied out of the spill file.
"""

from __future__ import annotations

import os
import random
from array import array
from collections import Counter
from pathlib import Path

from nemo_skills_lite.data.filters import code_text_keep
from nemo_skills_lite.data.io import RowWriter


class Spill:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.f = open(path, "wb")
        self.offsets = array("q")
        self.groups = array("q")
        self.has_code = array("b")
        self.pos = 0

    def add(self, line: str, group: int, has_code: bool = False) -> None:
        data = line.encode("utf-8") + b"\n"
        self.offsets.append(self.pos)
        self.groups.append(group)
        self.has_code.append(has_code)
        self.f.write(data)
        self.pos += len(data)

    def __len__(self) -> int:
        return len(self.offsets)

    def close(self) -> None:
        if not self.f.closed:
            self.f.close()

    def remove(self) -> None:
        self.close()
        if self.path.exists():
            os.unlink(self.path)


def code_text_select(groups: array, has_code: array, filter_type: str) -> tuple[list[int], Counter]:
    """NeMo-Skills' CodeTextFilter over every problem's solutions: the kept indices, grouped by problem
    (first-seen order) with code solutions first as NeMo-Skills writes them, and drops by reason."""
    n_code: Counter = Counter()
    n_total: Counter = Counter()
    by_group: dict[int, tuple[list[int], list[int]]] = {}  # (code, text) indices, problems in first-seen order
    for g, c in zip(groups, has_code):
        n_total[g] += 1
        n_code[g] += c
        by_group.setdefault(g, ([], []))
    drops: Counter = Counter()
    for i, (g, c) in enumerate(zip(groups, has_code)):
        code_ok, text_ok = code_text_keep(filter_type, n_code[g], n_total[g])
        if code_ok if c else text_ok:
            by_group[g][0 if c else 1].append(i)
        else:
            drops["code_solution" if c else "text_solution"] += 1
    return [i for code, text in by_group.values() for i in code + text], drops


def fair_order(groups: array, num: int, indices: list[int] | None = None) -> list[int]:
    """NeMo-Skills' fair downsampling: take solution 0 of every problem, then solution 1, ... until num."""
    indices = list(range(len(groups))) if indices is None else indices
    by_group: dict[int, list[int]] = {}
    for i in indices:
        by_group.setdefault(groups[i], []).append(i)
    lists = list(by_group.values())
    if len(indices) <= num:
        return list(indices)
    out: list[int] = []
    level = 0
    while len(out) < num:
        for idxs in lists:
            if level < len(idxs):
                out.append(idxs[level])
                if len(out) == num:
                    break
        level += 1
    return out


def final_order(n: int, groups: array, method: str | None, num: int | None, seed: int, shuffle: bool,
                keep: list[int] | None = None) -> list[int] | None:
    """Indices of spill rows in output order (only those in ``keep`` if given); None means 'all rows, spill order'."""
    rng = random.Random(seed)
    if method is None:
        if not shuffle:
            return keep
        order = list(range(n)) if keep is None else list(keep)
        rng.shuffle(order)
        return order
    if method == "random":
        order = list(range(n)) if keep is None else list(keep)
        if shuffle:
            rng.shuffle(order)
        return order[: num]
    order = fair_order(groups, int(num or 0), keep)
    if shuffle:
        rng.shuffle(order)
    return order


def write_output(spill: Spill, order: list[int] | None, output_path: Path) -> int:
    """Copy spill rows to the output (jsonl or parquet), atomically."""
    spill.close()
    if order is None and output_path.suffix == ".jsonl":
        os.replace(spill.path, output_path)
        return len(spill)
    if output_path.suffix == ".jsonl":  # raw byte copy, no decode/encode
        tmp = output_path.with_name(f".{output_path.name}.tmp")
        try:
            with open(spill.path, "rb") as f, open(tmp, "wb", buffering=4 * 2**20) as out:
                for i in order or ():
                    f.seek(spill.offsets[i])
                    out.write(f.readline())
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, output_path)
        finally:
            if tmp.exists():
                tmp.unlink()
        return len(order or ())
    with open(spill.path, "rb") as f, RowWriter(output_path) as w:
        if order is None:
            for line in f:
                w.write_line(line.decode("utf-8"))
        else:
            for i in order:
                f.seek(spill.offsets[i])
                w.write_line(f.readline().decode("utf-8"))
    return w.count
