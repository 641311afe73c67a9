"""Shuffle and downsampling without holding rows in memory.

Kept rows are appended to a spill file; only their byte offsets and an 8-byte problem key stay in
memory (16 bytes a row). The final order (shuffled, random-k or NeMo-Skills' "fair" round robin
over problems) is computed on those arrays and the rows are copied out of the spill file.
"""

from __future__ import annotations

import os
import random
from array import array
from pathlib import Path

from nemo_skills_lite.data.io import RowWriter


class Spill:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.f = open(path, "wb")
        self.offsets = array("q")
        self.groups = array("q")
        self.pos = 0

    def add(self, line: str, group: int) -> None:
        data = line.encode("utf-8") + b"\n"
        self.offsets.append(self.pos)
        self.groups.append(group)
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


def fair_order(groups: array, num: int) -> list[int]:
    """NeMo-Skills' fair downsampling: take solution 0 of every problem, then solution 1, ... until num."""
    by_group: dict[int, list[int]] = {}
    for i, g in enumerate(groups):
        by_group.setdefault(g, []).append(i)
    lists = list(by_group.values())
    if len(groups) <= num:
        return list(range(len(groups)))
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


def final_order(n: int, groups: array, method: str | None, num: int | None, seed: int, shuffle: bool) -> list[int] | None:
    """Indices of spill rows in output order; None means 'all rows, spill order'."""
    rng = random.Random(seed)
    if method is None:
        if not shuffle:
            return None
        order = list(range(n))
        rng.shuffle(order)
        return order
    if method == "random":
        order = list(range(n))
        if shuffle:
            rng.shuffle(order)
        return order[: num]
    order = fair_order(groups, int(num or 0))
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
