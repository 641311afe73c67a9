"""Execution cache: verdicts keyed by (normalised code, tests, limits, runtime version).

In memory for one batch, optionally backed by an SQLite file so repeated solutions across runs
(multi-sample data: the same program from several seeds) are executed once. Rows whose result
came from a sandbox error are never cached.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path


class ExecutionCache:
    def __init__(self, path: str | Path | None = None) -> None:
        self._mem: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._inflight: dict[str, threading.Event] = {}
        self.hits = 0
        self.misses = 0
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=60)
            self._db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self._db.commit()

    def get(self, key: str) -> dict | None:
        """The cached value, or None: then the caller computes it and must ``put`` it (even an
        uncacheable one). Concurrent callers of the same key wait for that first computation."""
        while True:
            with self._lock:
                if key not in self._mem and key in self._inflight:
                    ev = self._inflight[key]
                else:
                    val = self._lookup(key)
                    if val is None:
                        self._inflight[key] = threading.Event()
                    return val
            ev.wait()

    def _lookup(self, key: str) -> dict | None:
        val = self._mem.get(key)
        if val is None and self._db is not None:
            row = self._db.execute("SELECT value FROM results WHERE key = ?", (key,)).fetchone()
            if row:
                val = json.loads(row[0])
                self._mem[key] = val
        if val is None:
            self.misses += 1
        else:
            self.hits += 1
        return val

    def put(self, key: str, value: dict) -> None:
        with self._lock:
            try:
                if value.get("verdict") != "error":
                    self._mem[key] = value
                    if self._db is not None:
                        self._db.execute("INSERT OR REPLACE INTO results VALUES (?, ?)", (key, json.dumps(value)))
                        self._db.commit()
            finally:
                ev = self._inflight.pop(key, None)
                if ev is not None:
                    ev.set()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
