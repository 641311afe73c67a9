"""``generate(generation_type="verify_code", input_dir=..., num_random_seeds=N, num_chunks=K)``.

Sandbox verification as a stage like generation: one unit per seed file and chunk, so millions of
solutions spread over many CPU jobs; finished rows go to ``<output>-async`` as they complete, so a killed
or time-limited job loses nothing and the next one (``dependent_jobs``) continues; the output and its
``.done`` marker are written last, and chunks merge exactly once like generation chunks.

Each row is run as ``verify_rows`` runs it (code from ``code`` or the last fenced block of
``generation``; tests from ``tests``, ``test`` or ``test_code``) and gets ``is_correct`` (``label_key``),
``verdict``, ``tests_passed`` and ``tests_total``. Rows without tests pass through unlabeled
(``++untested=fail``: labelled false with verdict ``no_tests``). A row whose run needed a module the
sandbox lacks gets verdict ``missing_module`` and ``missing_module: NAME``, is labelled false (not
verified) and is counted apart from the failed rows (summary line and ``.done`` marker).

    python -m nemo_skills_lite.code_execution.verify_task ++input_file=IN ++output_file=OUT [++workers=N]
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections import Counter
from typing import Any

from nemo_skills_lite.configs.verification import VerifyCodeConfig
from nemo_skills_lite.inference.generate import EXIT_INTERRUPTED
from nemo_skills_lite.inference.resume import AsyncOutput
from nemo_skills_lite.runtime.markers import is_done
from nemo_skills_lite.utils.errors import NslError, run_main
from nemo_skills_lite.utils.line_index import chunk_rows
from nemo_skills_lite.utils.overrides import parse_overrides
from nemo_skills_lite.utils.progress import Progress

TEST_KEYS = ("tests", "test", "test_code")
SUMMARY_KEYS = ("verdict", "tests_passed", "tests_total", "flaky", "error", "missing_module")


def has_tests(row: dict[str, Any]) -> bool:
    return any(row.get(k) for k in TEST_KEYS)


class Verifier:
    """Runs batches of rows locally (isolated workers) or through a sandbox service."""

    def __init__(self, cfg: VerifyCodeConfig) -> None:
        self.cfg = cfg
        self.url = cfg.sandbox_url or os.environ.get("NSL_SANDBOX_URL", "")
        self.pool = None
        if not self.url:
            from nemo_skills_lite.code_execution import Limits
            from nemo_skills_lite.code_execution.isolation import IsolationConfig, SandboxUnavailable
            from nemo_skills_lite.code_execution.pool import Pool

            try:
                self.pool = Pool(cfg.workers or None, IsolationConfig())
            except SandboxUnavailable as e:
                raise NslError(f"{e} (or give ++sandbox_url / start the stage with with_sandbox=True)") from None
            self.limits = (Limits(time_limit=cfg.time_limit, memory_limit_mb=cfg.memory_limit_mb or 1024)
                           if cfg.time_limit or cfg.memory_limit_mb else None)

    def run(self, rows: list[dict[str, Any]], on_row_done) -> None:
        opts = dict(stop_at_first_failure=self.cfg.stop_at_first_failure, flaky_reruns=self.cfg.flaky_reruns)
        if self.url:
            from nemo_skills_lite.code_execution.client import verify_rows_remote
            from nemo_skills_lite.code_execution.verify import with_code

            # the service runs code as given: rows carrying a model 'generation' get their code block here
            prepared = [with_code(r) for r in rows]
            sendable = [i for i, (r, err) in enumerate(prepared) if err is None]
            try:
                results = verify_rows_remote([prepared[i][0] for i in sendable], url=self.url, **opts)
            except Exception as e:  # noqa: BLE001 - connection refused, HTTP error: stop with one clear line
                raise NslError(f"sandbox service at {self.url}: {type(e).__name__}: {e}") from None
            for i, (row, err) in enumerate(prepared):
                if err is not None:
                    on_row_done(i, err)
            for i, res in zip(sendable, results):
                on_row_done(i, res)
            return
        from nemo_skills_lite.code_execution import verify_rows

        verify_rows(rows, pool=self.pool, limits=self.limits, on_row_done=on_row_done, **opts)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()


def _check_specs(rows: list[dict[str, Any]], positions: list[int], start: int, where: str) -> None:
    """A row whose convention/checker is not valid stops the job before anything runs (file:line)."""
    from nemo_skills_lite.code_execution.rows import RowSpecError, judge_spec

    for p in positions:
        try:
            judge_spec(rows[p])
        except RowSpecError as e:
            raise NslError(f"{where}:{start + p + 1}: {e}") from None


def labelled(row: dict[str, Any], res: dict[str, Any], cfg: VerifyCodeConfig) -> dict[str, Any]:
    out = {**row, cfg.label_key: bool(res.get("passed"))}
    out.update({k: res[k] for k in SUMMARY_KEYS if k in res})
    if cfg.keep_test_results:
        out["test_results"] = res.get("test_results", [])
    return out


def run(cfg: VerifyCodeConfig) -> int:
    if is_done(cfg.output_file):
        print(f"[verify_code] {cfg.output_file} is already done (marker exists); nothing to do")
        return 0
    start, rows = chunk_rows(cfg.input_file, cfg.num_chunks, cfg.chunk_id, cfg.max_samples,  # this chunk's bytes
                             fallback_dir=os.path.dirname(os.path.abspath(cfg.output_file)))
    out = AsyncOutput(cfg.output_file)
    todo = [p for p in range(len(rows)) if p not in out.open(len(rows))]
    print(f"[verify_code] {len(rows)} rows, {len(rows) - len(todo)} already done, {len(todo)} to go -> "
          f"{cfg.output_file}", flush=True)
    stop: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGUSR1):
        signal.signal(sig, lambda signum, _frame: stop.append(signum))
    counts: Counter = Counter()
    missing: Counter = Counter()  # module -> rows that could not be verified for want of it
    for p in [p for p in todo if not has_tests(rows[p])]:  # nothing to run
        no_tests = {"passed": False, "verdict": "no_tests", "tests_passed": 0, "tests_total": 0}
        out.append(p, labelled(rows[p], no_tests, cfg) if cfg.untested == "fail" else rows[p])
        counts["untested"] += 1
    tested = [p for p in todo if has_tests(rows[p])]
    _check_specs(rows, tested, start, cfg.input_file)
    progress = Progress("verify_code", total=len(tested))
    verifier = Verifier(cfg) if tested else None
    lock = threading.Lock()
    try:
        for b in range(0, len(tested), cfg.batch_size):
            if stop:
                out.close()
                print(f"[verify_code] stopped by signal {stop[0]}; {len(out.rows)}/{len(rows)} rows saved; rerun to "
                      "continue", flush=True)
                return EXIT_INTERRUPTED
            batch = tested[b:b + cfg.batch_size]

            def done(i: int, res: dict[str, Any], batch: list[int] = batch) -> None:
                row = labelled(rows[batch[i]], res, cfg)
                with lock:
                    out.append(batch[i], row)
                    counts["passed" if row[cfg.label_key] else
                           "missing_module" if res.get("verdict") == "missing_module" else "failed"] += 1
                    if res.get("missing_module"):
                        missing[res["missing_module"]] += 1
                    progress.update(1)

            verifier.run([rows[p] for p in batch], done)
    finally:
        if verifier is not None:
            verifier.close()
    tail = (f", {counts['missing_module']} missing a module ("
            + ", ".join(f"{m} {c}" for m, c in missing.most_common()) + ")") if counts["missing_module"] else ""
    progress.close(f"{counts['passed']} passed, {counts['failed']} failed, {counts['untested']} without tests{tail}")
    n = out.finalize(len(rows), **{k: counts[k] for k in ("passed", "failed", "untested", "missing_module")},
                     missing_modules=dict(missing))
    print(f"[verify_code] wrote {n} rows to {cfg.output_file}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    return run(parse_overrides(VerifyCodeConfig, argv, where="verify_code overrides"))


if __name__ == "__main__":
    run_main(main)
