"""``verify_rows``: the Python API. Rows in, rows plus verdict fields out, in input order.

A malformed row, or one whose code cannot be found, gets ``verdict: "error"`` and an ``error``
message; the batch always completes. A row whose convention, checker or comparison options are not
valid (a dataset error, not a model error) stops the call before anything runs: ``RowSpecError``
naming the row.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from nemo_skills_lite.code_execution.cache import ExecutionCache
from nemo_skills_lite.code_execution.isolation import IsolationConfig
from nemo_skills_lite.code_execution.limits import Limits
from nemo_skills_lite.code_execution.pool import Pool
from nemo_skills_lite.code_execution.rows import RowError, RowSpecError, cache_key, judge_spec, parse_row
from nemo_skills_lite.code_execution.runners import RunPolicy, execute

RESULT_KEYS = ("passed", "verdict", "tests_passed", "tests_total", "test_results", "flaky", "error", "missing_module")


def _error(message: str) -> dict:
    return {"passed": False, "verdict": "error", "tests_passed": 0, "tests_total": 0,
            "test_results": [], "error": message}


def _with_code_from_generation(row: dict) -> dict:
    """Rows carrying a model ``generation`` instead of ``code``: take the final fenced block after
    ``</think>`` (nemo_skills_lite.data.code_blocks, imported only when needed)."""
    if "code" in row or not isinstance(row.get("generation"), str):
        return row
    from nemo_skills_lite.data.code_blocks import extract_code_block

    block = extract_code_block(row["generation"], row.get("language"))
    if block is None:
        raise RowError("no fenced ```python/```cpp code block after </think> in 'generation'")
    return {**row, "code": block.code, "language": block.language}


def with_code(row: dict) -> tuple[dict, dict | None]:
    """(the row with ``code`` taken from its ``generation`` where needed, None) or (row, the verdict of a row
    whose generation holds no code block): what a caller of the HTTP service sends."""
    try:
        return _with_code_from_generation(row), None
    except RowError as e:
        return row, _error(f"bad row: {e}")


def row_name(i: int, row: object) -> str:
    ident = next((row[k] for k in ("task_id", "id", "question_id", "name") if isinstance(row, dict) and k in row), None)
    return f"row {i + 1}" + (f" ({str(ident)[:60]})" if ident is not None else "")


def check_specs(rows: list) -> None:
    """RowSpecError naming the first row whose convention/checker/comparison options are not valid."""
    for i, row in enumerate(rows):
        if isinstance(row, dict):
            try:
                judge_spec(row)
            except RowSpecError as e:
                raise RowSpecError.user_error(f"{row_name(i, row)}: {e}") from None


def verify_one(row: object, pool: Pool, *, limits: Limits | None = None, stop_at_first_failure: bool = True,
               policy: RunPolicy = RunPolicy(), cache: ExecutionCache | None = None,
               extract_from_generation: bool = True) -> dict:
    """The verdict fields for one row (never raises for a bad row)."""
    try:
        src = _with_code_from_generation(row) if extract_from_generation and isinstance(row, dict) else row
        job = parse_row(src, base_limits=limits, stop_at_first_failure=stop_at_first_failure)
    except (RowError, ValueError) as e:
        return _error(f"bad row: {e}")
    key = cache_key(job, pool.runtime_version()) if cache is not None else None
    if key is not None and (hit := cache.get(key)) is not None:
        return dict(hit)
    res = _error("sandbox failure: not run")
    try:
        with pool.worker() as w:
            res = execute(job, w, policy)
    except Exception as e:  # noqa: BLE001 - a sandbox fault must not stop the batch
        res = _error(f"sandbox failure: {type(e).__name__}: {e}")
    finally:
        if key is not None:
            cache.put(key, res)
    if isinstance(row, dict) and "code" not in row:  # extracted from 'generation': show what ran
        res = {**res, "code": job.code, "language": job.language}
    return res


def verify_rows(rows: list[dict], *, workers: int | None = None, pool: Pool | None = None,
                limits: Limits | None = None, stop_at_first_failure: bool = True, flaky_reruns: int = 1,
                cache: ExecutionCache | bool | None = True, allow_unisolated: bool = False,
                extract_from_generation: bool = True,
                on_row_done: Callable[[int, dict], None] | None = None) -> list[dict]:
    """Verify rows in the sandbox; returns each row plus ``passed``, ``verdict``, ``tests_passed``,
    ``tests_total``, ``test_results`` (per-test details, outputs truncated) and ``flaky`` when set.

    ``workers`` defaults to the number of cores plus one. Pass ``pool`` to reuse running workers across
    calls (the HTTP service does). ``cache=True`` uses an in-memory cache for this call; pass an
    ``ExecutionCache(path)`` to share one across calls or runs. Without bubblewrap this raises
    ``SandboxUnavailable`` unless ``allow_unisolated=True`` (trusted code only; warns).
    """
    check_specs(rows)
    own_pool = pool is None
    if pool is None:
        pool = Pool(workers, IsolationConfig(allow_unisolated=allow_unisolated))
    cache_obj = ExecutionCache() if cache is True else (cache or None)
    policy = RunPolicy(flaky_reruns=flaky_reruns)
    out: list[dict | None] = [None] * len(rows)
    lock = threading.Lock()

    def work(i: int) -> None:
        res = verify_one(rows[i], pool, limits=limits, stop_at_first_failure=stop_at_first_failure,
                         policy=policy, cache=cache_obj, extract_from_generation=extract_from_generation)
        base = rows[i] if isinstance(rows[i], dict) else {"input": rows[i]}
        full = {**{k: v for k, v in base.items() if k not in RESULT_KEYS}, **res}
        out[i] = full
        if on_row_done:
            with lock:
                on_row_done(i, full)

    try:
        with ThreadPoolExecutor(max_workers=pool.size) as ex:
            list(ex.map(work, range(len(rows))))
    finally:
        if own_pool:
            pool.close()
    return [r for r in out if r is not None]
