"""Progress lines for long work: done/total, rate, ETA, and a closing summary.

Jobs write to log files, not terminals, so this prints plain lines at most every ``every``
seconds instead of redrawing a bar.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _fmt_secs(s: float) -> str:
    s = int(max(0, s))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}h{m:02d}m{sec:02d}s" if h else (f"{m}m{sec:02d}s" if m else f"{sec}s")


class Progress:
    """``p = Progress("generate", total=n); p.update(k, tokens=t); p.close()``."""

    def __init__(self, name: str, total: int | None = None, *, every: float = 10.0,
                 stream: TextIO | None = None, unit: str = "rows") -> None:
        self.name, self.total, self.every, self.unit = name, total, every, unit
        self.stream = stream or sys.stderr
        self.done = 0
        self.tokens = 0
        self.start = time.monotonic()
        self._last = 0.0

    def update(self, n: int = 1, *, tokens: int = 0) -> None:
        self.done += n
        self.tokens += tokens
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def line(self) -> str:
        el = max(time.monotonic() - self.start, 1e-9)
        rate = self.done / el
        parts = [f"[{self.name}] {self.done}" + (f"/{self.total}" if self.total is not None else "") + f" {self.unit}",
                 f"{rate:.2f} {self.unit}/s"]
        if self.tokens:
            parts.append(f"{self.tokens / el:.1f} tok/s")
        if self.total is not None and rate > 0:
            parts.append(f"ETA {_fmt_secs((self.total - self.done) / rate)}")
        return ", ".join(parts)

    def close(self, summary: str = "") -> str:
        el = time.monotonic() - self.start
        msg = f"[{self.name}] finished {self.done} {self.unit} in {_fmt_secs(el)} ({self.done / max(el, 1e-9):.2f} {self.unit}/s)"
        if summary:
            msg += f"; {summary}"
        self.stream.write(msg + "\n")
        self.stream.flush()
        return msg
