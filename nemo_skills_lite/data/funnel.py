"""Drop-reason funnel: per-step counts (in, dropped by reason, out), a text table, JSON and a PNG.

Counts merge across worker batches. Kept-data lengths go into fixed log-spaced bins so the
histograms cost constant memory however many rows pass through.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# 0 and quarter-octave steps 1 .. 2^20 (about a million tokens): bins ~19% wide
LENGTH_BIN_EDGES = np.unique(np.array([0] + [round(2 ** (i / 4)) for i in range(0, 81)], dtype=np.int64))


@dataclass
class StepCount:
    name: str
    rows_in: int = 0
    drops: Counter = field(default_factory=Counter)
    modified: int = 0  # kept rows the step edited (trimmed, expanded, a field added)

    @property
    def dropped(self) -> int:
        return sum(self.drops.values())

    @property
    def rows_out(self) -> int:
        return self.rows_in - self.dropped


class Funnel:
    def __init__(self, length_unit: str = "tokens") -> None:
        self.steps: dict[str, StepCount] = {}
        self.length_unit = length_unit
        self.hists: dict[str, np.ndarray] = {}

    def step(self, name: str) -> StepCount:
        if name not in self.steps:
            self.steps[name] = StepCount(name)
        return self.steps[name]

    def count(self, name: str, rows_in: int, drops: dict[str, int] | None = None, modified: int = 0) -> None:
        s = self.step(name)
        s.rows_in += rows_in
        s.modified += modified
        if drops:
            s.drops.update(drops)

    def merge(self, data: dict[str, Any]) -> None:
        """Add a batch's counts: {step: {"in": n, "drops": {reason: k}, "modified": m}} plus optional "__hist__"."""
        for name, c in data.items():
            if name == "__hist__":
                for key, counts in c.items():
                    self.hists.setdefault(key, np.zeros(len(LENGTH_BIN_EDGES), dtype=np.int64))
                    self.hists[key] += np.asarray(counts, dtype=np.int64)
                continue
            self.count(name, c["in"], c.get("drops"), c.get("modified", 0))

    def add_lengths(self, key: str, lengths: list[int]) -> None:
        h = self.hists.setdefault(key, np.zeros(len(LENGTH_BIN_EDGES), dtype=np.int64))
        h += bin_lengths(lengths)

    # --- reporting ------------------------------------------------------------------------

    def table(self) -> str:
        """Per-step text table; a 'modified' column appears when some step edited rows."""
        show_mod = any(s.modified for s in self.steps.values())
        rows = [("step", "in", "dropped", "out") + (("modified",) if show_mod else ()) + ("reasons",)]
        for s in self.steps.values():
            reasons = ", ".join(f"{r}={n}" for r, n in s.drops.most_common()) or "-"
            mod = (str(s.modified or "-"),) if show_mod else ()
            rows.append((s.name, str(s.rows_in), str(s.dropped), str(s.rows_out)) + mod + (reasons,))
        n = len(rows[0]) - 1
        widths = [max(len(r[i]) for r in rows) for i in range(n)]
        lines = []
        for j, r in enumerate(rows):
            lines.append("  ".join(r[i].ljust(widths[i]) if i == 0 else r[i].rjust(widths[i]) for i in range(n))
                         + "  " + r[n])
            if j == 0:
                lines.append("-" * (sum(widths) + 2 * n + len("reasons")))
        return "\n".join(lines)

    def summary(self) -> str:
        steps = list(self.steps.values())
        if not steps:
            return "no rows"
        first, last = steps[0], steps[-1]
        total = first.rows_in
        kept = last.rows_out
        pct = 100.0 * kept / total if total else 0.0
        return f"kept {kept} of {total} rows ({pct:.1f}%)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "steps": [{"name": s.name, "in": s.rows_in, "dropped": s.dropped, "out": s.rows_out,
                       "modified": s.modified, "drops": dict(s.drops)} for s in self.steps.values()],
            "length_unit": self.length_unit,
            "length_bin_edges": LENGTH_BIN_EDGES.tolist(),
            "length_histograms": {k: v.tolist() for k, v in self.hists.items()},
        }

    def write(self, out_dir: str | Path, stem: str = "funnel") -> dict[str, Path]:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"txt": out / f"{stem}.txt", "json": out / f"{stem}.json", "png": out / f"{stem}.png"}
        paths["txt"].write_text(self.table() + "\n\n" + self.summary() + "\n", encoding="utf-8")
        paths["json"].write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")
        self.plot(paths["png"])
        return paths

    def plot(self, path: Path) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker  # noqa: F401 - used via matplotlib.ticker

        n_hist = len(self.hists)
        fig, axes = plt.subplots(1, 1 + n_hist, figsize=(6 + 4.5 * n_hist, 4.5), squeeze=False)
        ax = axes[0][0]
        names = [s.name for s in self.steps.values()]
        outs = [s.rows_out for s in self.steps.values()]
        drops = [s.dropped for s in self.steps.values()]
        y = np.arange(len(names))
        ax.barh(y, outs, color="tab:green", label="kept")
        ax.barh(y, drops, left=outs, color="tab:red", label="dropped")
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.set_xlabel("rows")
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: _short(int(v))))
        ax.set_title("rows per step")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8)
        for i, (key, h) in enumerate(sorted(self.hists.items()), start=1):
            a = axes[0][i]
            nz = np.nonzero(h)[0]
            lo, hi = (int(nz[0]), int(nz[-1]) + 1) if len(nz) else (0, len(h))
            edges = LENGTH_BIN_EDGES[lo:hi]
            centers = np.arange(lo, hi)
            a.bar(centers, h[lo:hi], width=0.9, color="tab:blue")
            step = max(1, (hi - lo) // 8)
            a.set_xticks(centers[::step], [_short(int(e)) for e in edges[::step]], rotation=45)
            a.set_xlabel(f"{key} length ({self.length_unit}, bin lower edge)")
            a.set_ylabel("kept rows")
            total = int(h.sum())
            a.set_title(f"kept {key}: {total} rows, median ~{_short(median_from_hist(h))} {self.length_unit}")
        fig.tight_layout()
        fig.savefig(path, dpi=90)
        plt.close(fig)


def bin_lengths(lengths: list[int]) -> np.ndarray:
    idx = np.searchsorted(LENGTH_BIN_EDGES, np.asarray(lengths, dtype=np.int64), side="right") - 1
    return np.bincount(np.clip(idx, 0, len(LENGTH_BIN_EDGES) - 1), minlength=len(LENGTH_BIN_EDGES))


def median_from_hist(h: np.ndarray) -> int:
    total = h.sum()
    if total == 0:
        return 0
    i = int(np.searchsorted(np.cumsum(h), total / 2))
    return int(LENGTH_BIN_EDGES[min(i, len(LENGTH_BIN_EDGES) - 1)])


def _short(n: int) -> str:
    if n >= 1_000_000:
        return f"{n // 1_000_000}M"
    if n >= 10000:
        return f"{n // 1000}k"
    if n >= 1000:
        return f"{n / 1000:.1f}k"
    return str(n)
