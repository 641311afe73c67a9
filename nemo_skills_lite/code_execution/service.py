"""HTTP sandbox service, for a sandbox process beside the client in a job.

    python -m nemo_skills_lite.code_execution.service --port 18100 [--workers N] [--cache PATH]

- ``GET /health`` -> ``{"status": "ok", "workers": N, "isolated": true}``
- ``POST /execute`` (NeMo-Skills style) ``{"generated_code", "language"?: "python"|"cpp",
  "std_input"?, "timeout"?}`` -> ``{"process_status": "completed"|"timeout"|"error", "stdout",
  "stderr", "exit_code", "verdict"}``
- ``POST /verify`` (batch) ``{"rows": [...], "stop_at_first_failure"?, "flaky_reruns"?}`` ->
  ``{"rows": [...]}`` with the same fields as ``verify_rows``.

Imports nothing from nemo_skills_lite outside ``code_execution``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from nemo_skills_lite.code_execution.cache import ExecutionCache
from nemo_skills_lite.code_execution.isolation import IsolationConfig, SandboxUnavailable
from nemo_skills_lite.code_execution.limits import Limits, LimitsError
from nemo_skills_lite.code_execution.pool import Pool
from nemo_skills_lite.code_execution.rows import LANGUAGES, RowSpecError
from nemo_skills_lite.code_execution.runners import run_program
from nemo_skills_lite.code_execution.verify import verify_rows

MAX_BATCH = 10000


def create_app(pool: Pool, cache: ExecutionCache | None):
    from fastapi import Body, FastAPI, HTTPException

    app = FastAPI(title="nemo_skills_lite sandbox")

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "workers": pool.size, "isolated": pool.isolated}

    @app.post("/execute")
    def execute(body: dict[str, Any] = Body(...)) -> dict:
        code = body.get("generated_code", body.get("code"))
        if not isinstance(code, str):
            raise HTTPException(422, "'generated_code' must be a string")
        lang = str(body.get("language", "python")).lower().replace("python3", "python").replace("c++", "cpp")
        if lang not in LANGUAGES:
            raise HTTPException(422, f"language '{lang}' is not supported; use one of: {', '.join(LANGUAGES)}")
        stdin = body.get("std_input") or ""
        if not isinstance(stdin, str):
            raise HTTPException(422, "'std_input' must be a string")
        try:
            limits = Limits(time_limit=float(body.get("timeout", 10.0)),
                            memory_limit_mb=int(body.get("memory_limit_mb", 1024))).validate()
        except (LimitsError, TypeError, ValueError) as e:
            raise HTTPException(422, str(e)) from None
        with pool.worker() as w:
            return run_program(code, lang, stdin, limits, w)

    @app.post("/verify")
    def verify(body: dict[str, Any] = Body(...)) -> dict:
        rows = body.get("rows")
        if not isinstance(rows, list) or len(rows) > MAX_BATCH:
            raise HTTPException(422, f"'rows' must be a list of at most {MAX_BATCH} rows")
        stop = body.get("stop_at_first_failure", True)
        reruns = body.get("flaky_reruns", 1)
        if not isinstance(stop, bool) or not isinstance(reruns, int) or not 0 <= reruns <= 5:
            raise HTTPException(422, "'stop_at_first_failure' must be a bool and 'flaky_reruns' an int in [0, 5]")
        try:
            out = verify_rows(rows, pool=pool, cache=cache if cache is not None else False,
                              stop_at_first_failure=stop, flaky_reruns=reruns, extract_from_generation=False)
        except RowSpecError as e:  # an unknown convention, a malformed checker: nothing was run
            raise HTTPException(422, str(e)) from None
        return {"rows": out}

    return app


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nemo_skills_lite.code_execution.service",
                                 description="HTTP sandbox for untrusted code (POST /execute, POST /verify)")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    ap.add_argument("--workers", type=int, default=None, help="isolated workers (default: cores + 1)")
    ap.add_argument("--cache", default=None, help="SQLite file for the execution cache (default: in memory)")
    ap.add_argument("--no-cache", action="store_true", help="do not cache verdicts")
    ap.add_argument("--allow-unisolated", action="store_true",
                    help="run WITHOUT bubblewrap/uid isolation (trusted code only)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s sandbox %(message)s")
    try:
        pool = Pool(args.workers, IsolationConfig(allow_unisolated=args.allow_unisolated))
    except SandboxUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    cache = None if args.no_cache else ExecutionCache(args.cache)
    import uvicorn

    logging.info("sandbox service on http://%s:%d (%d workers, isolated=%s)", args.host, args.port,
                 pool.size, pool.isolated)
    try:
        uvicorn.run(create_app(pool, cache), host=args.host, port=args.port, log_level="warning")
    finally:
        pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
