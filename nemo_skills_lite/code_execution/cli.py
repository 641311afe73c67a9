"""``nsl verify-code IN.jsonl OUT.jsonl [--workers N]``: verify code rows in the sandbox.

Each input row is one of the shapes in ``rows.py`` (or carries a model ``generation`` instead of
``code``: the final fenced block after ``</think>`` is used). Each output row is the input plus
``passed``, ``verdict``, ``tests_passed``, ``tests_total``, ``test_results`` and ``flaky`` when
set. A line that is not a JSON object becomes an ``error`` row; the batch always completes.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from nemo_skills_lite.code_execution.cache import ExecutionCache
from nemo_skills_lite.code_execution.isolation import IsolationConfig, SandboxUnavailable
from nemo_skills_lite.code_execution.limits import Limits, LimitsError
from nemo_skills_lite.code_execution.pool import Pool
from nemo_skills_lite.code_execution.rows import RowSpecError, judge_spec
from nemo_skills_lite.code_execution.verify import verify_rows
from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.io import atomic_write_jsonl
from nemo_skills_lite.utils.progress import Progress


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="nsl verify-code", description=__doc__.split("\n\n")[0])
    ap.add_argument("input", help="JSONL file of code rows")
    ap.add_argument("output", help="JSONL file to write (atomically)")
    ap.add_argument("--workers", type=int, default=None, help="isolated workers (default: cores + 1)")
    ap.add_argument("--time-limit", type=float, default=None,
                    help="CPU seconds per test for rows without 'time_limit' (default: 2 stdin, 3 asserts, 10 pytest)")
    ap.add_argument("--memory-limit-mb", type=int, default=None, help="memory per program (default 1024)")
    ap.add_argument("--all-tests", action="store_true", help="run every test (default: stop at the first failure)")
    ap.add_argument("--flaky-reruns", type=int, default=1, help="re-runs of a test near its time limit (default 1)")
    ap.add_argument("--cache", default=None, help="SQLite execution cache shared across runs (default: this run only)")
    ap.add_argument("--no-cache", action="store_true", help="execute every row even if identical to another")
    ap.add_argument("--sandbox-url", default=None,
                    help="verify through a running sandbox service (e.g. $NSL_SANDBOX_URL in a with_sandbox=True job) "
                         "instead of starting local workers")
    ap.add_argument("--allow-unisolated", action="store_true",
                    help="run WITHOUT bubblewrap/uid isolation when bwrap is missing (trusted code only)")
    return ap


def _read_rows(path: Path) -> list[dict]:
    if not path.is_file():
        raise NslError(f"input file not found: {path}")
    rows: list[dict] = []
    for i, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            row = {"_bad_line": f"{path}:{i}: not valid JSON ({e.msg})"}
        if not isinstance(row, dict):
            row = {"_bad_line": f"{path}:{i}: expected a JSON object, got {type(row).__name__}"}
        if "_bad_line" not in row:
            try:
                judge_spec(row)
            except RowSpecError as e:  # a dataset error: stop before anything runs
                raise NslError(f"{path}:{i}: {e}") from None
        rows.append(row)
    return rows


def _verify_remote(rows: list[dict], args: argparse.Namespace, base: Limits | None, progress: Progress) -> list[dict]:
    """``--sandbox-url``: the rows go to the service's ``POST /verify`` (limits travel in the rows)."""
    from nemo_skills_lite.code_execution.client import verify_rows_remote

    if base is not None:
        raise NslError("--time-limit/--memory-limit-mb are not sent to a --sandbox-url service; put "
                       "'time_limit'/'memory_limit_mb' in the rows instead")
    try:
        out = verify_rows_remote(rows, url=args.sandbox_url, stop_at_first_failure=not args.all_tests,
                                 flaky_reruns=args.flaky_reruns)
    except Exception as e:  # noqa: BLE001 - connection refused, HTTP error: one clear line
        raise NslError(f"sandbox service at {args.sandbox_url}: {type(e).__name__}: {e}") from None
    progress.update(len(out))
    return out


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    src, dst = Path(args.input), Path(args.output)
    if src.resolve() == dst.resolve():
        raise NslError(f"output {dst} is the input file; choose another path (nothing was written)")
    if args.workers is not None and args.workers < 1:
        raise NslError(f"--workers {args.workers}: must be at least 1")
    if not 0 <= args.flaky_reruns <= 5:
        raise NslError(f"--flaky-reruns {args.flaky_reruns}: must be in [0, 5]")
    rows = _read_rows(src)
    base = None
    if args.time_limit is not None or args.memory_limit_mb is not None:
        try:
            base = Limits(time_limit=args.time_limit, memory_limit_mb=args.memory_limit_mb or 1024).validate()
        except LimitsError as e:
            raise NslError(f"command line: {e}") from None
    progress = Progress("verify-code", total=len(rows))
    cache: ExecutionCache | bool = False
    if args.sandbox_url:
        out = _verify_remote(rows, args, base, progress)
    else:
        try:
            pool = Pool(args.workers, IsolationConfig(allow_unisolated=args.allow_unisolated))
        except SandboxUnavailable as e:
            raise NslError(str(e)) from None
        cache = False if args.no_cache else ExecutionCache(args.cache)
        try:
            out = verify_rows(rows, pool=pool, limits=base, stop_at_first_failure=not args.all_tests,
                              flaky_reruns=args.flaky_reruns, cache=cache,
                              on_row_done=lambda i, r: progress.update(1))
        finally:
            pool.close()
    for row in out:
        if "_bad_line" in row:
            row["error"] = row.pop("_bad_line")
    atomic_write_jsonl(dst, out)
    counts = Counter(r["verdict"] for r in out)
    passed = sum(bool(r.get("passed")) for r in out)
    summary = f"{passed}/{len(out)} passed; " + ", ".join(f"{k} {v}" for k, v in counts.most_common())
    missing = Counter(r["missing_module"] for r in out if r.get("missing_module"))
    if missing:  # not wrong solutions: the sandbox lacks a package
        summary += "; missing modules: " + ", ".join(f"{m} {c}" for m, c in missing.most_common())
    if any(r.get("flaky") for r in out):
        summary += f"; flaky {sum(bool(r.get('flaky')) for r in out)}"
    if isinstance(cache, ExecutionCache):
        summary += f"; cache hits {cache.hits}"
        cache.close()
    progress.close(summary + f"; wrote {dst}")
    return 0
