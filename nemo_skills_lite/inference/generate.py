"""In-job generation: ``python -m nemo_skills_lite.inference.generate ++input_file=... ++output_file=...``.

Reads the input JSONL, fills the prompt per row, sends requests (bounded concurrency, replicas round-robin,
retries), appends every finished row to ``<output_file>-async`` and, once all rows are there, writes
``<output_file>`` in input order atomically and the ``.done`` marker last. A killed run loses nothing:
the next run skips finished positions. SIGTERM/SIGUSR1 (time-limit warning): flush and exit with
``EXIT_INTERRUPTED`` so the chained job continues.

User tasks (``generation_module``) subclass ``GenerationTask`` and override hooks, then call
``main(argv, MyTask, MyConfig)``; see docs/generation.md. Hooks, in call order:
``load_data`` -> ``preprocess_data(rows)`` -> per row ``prefill_generation(row)`` (skip the LLM) or
``process_single_datapoint(row)`` (-> ``fill_prompt`` -> ``llm_call`` -> ``postprocess_output``) ->
``postprocess()`` after the final file is written.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from typing import Any

from nemo_skills_lite.configs.generation import GenerationConfig
from nemo_skills_lite.inference.client import (AsyncClient, ClientSettings, RequestError, UnreachableError,
                                               sampling_params, split_reasoning)
from nemo_skills_lite.inference.prompts import Prompt, load_prompt_config
from nemo_skills_lite.inference.resume import AsyncOutput
from nemo_skills_lite.inference.servers import served_models
from nemo_skills_lite.inference.soft_fail import failed_row_fields, is_context_error, reduced_budget
from nemo_skills_lite.runtime.markers import is_done
from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.logtail import log_tail
from nemo_skills_lite.utils.io import read_jsonl
from nemo_skills_lite.utils.line_index import chunk_bounds, load_chunk  # noqa: F401 - chunk_bounds re-exported
from nemo_skills_lite.utils.overrides import parse_overrides
from nemo_skills_lite.utils.progress import Progress

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 75  # EX_TEMPFAIL: stopped early on purpose; rerun to continue


class Interrupted(Exception):
    pass


class GenerationTask:
    """One generation job. Subclass and override the hooks for a custom ``generation_module``."""

    def __init__(self, cfg: GenerationConfig) -> None:
        self.cfg = cfg
        self.prompt: Prompt | None = None
        if cfg.prompt_format == "ns" and cfg.prompt_config:
            self.prompt = Prompt(load_prompt_config(cfg.prompt_config), system_message=cfg.system_message,
                                 examples_type=cfg.examples_type, tokenizer=cfg.tokenizer,
                                 chat_template_kwargs=dict(cfg.chat_template_kwargs))
        self.client: AsyncClient | None = None
        self.params = sampling_params(cfg.inference, cfg.server.server_type)
        self._stop_signal: int | None = None

    # ---- hooks -------------------------------------------------------------------------------
    def load_data(self) -> list[dict[str, Any]]:
        """This job's rows: ``rows[:max_samples]``, then chunk ``chunk_id`` of ``num_chunks``. Only the chunk's
        bytes are read, through a row index stored beside the input (or in the output dir): see
        utils/line_index.py."""
        cfg = self.cfg
        fallback = os.path.dirname(os.path.abspath(cfg.output_file)) if cfg.output_file else None
        return load_chunk(cfg.input_file, cfg.num_chunks, cfg.chunk_id, cfg.max_samples, fallback_dir=fallback)

    def preprocess_data(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return rows

    def prefill_generation(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """Return output fields to skip the LLM for this row (None: call the LLM)."""
        return None

    def fill_prompt(self, row: dict[str, Any], where: str = "row") -> list[dict[str, Any]] | str:
        if self.cfg.prompt_format == "openai":
            if "messages" not in row:
                raise NslError(f"{self.cfg.input_file}: {where} has no 'messages' (needed with prompt_format=openai)")
            msgs = row["messages"]
            if self.cfg.inference.endpoint_type == "text":
                raise NslError("prompt_format=openai needs inference.endpoint_type=chat")
            return msgs
        assert self.prompt is not None
        if self.cfg.inference.endpoint_type == "text":
            return self.prompt.text(row, where)
        return self.prompt.messages(row, where)

    async def llm_call(self, prompt: list[dict[str, Any]] | str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        assert self.client is not None
        params = self.params if params is None else params
        call = self.client.completion if isinstance(prompt, str) else self.client.chat
        try:
            return await call(prompt, params)
        except RequestError as e:
            budget = None
            if self.cfg.server.context_limit_retry_strategy == "reduce_generation" and is_context_error(str(e)):
                budget = reduced_budget(str(e), int(params.get("max_tokens") or 0))
            if budget is None:
                raise
            return await call(prompt, {**params, "max_tokens": budget})

    def postprocess_output(self, row: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        """Turn a raw LLM result into the fields stored on the row (generation_key, stats, reasoning)."""
        gen = out.pop("generation")
        if self.cfg.parse_reasoning and isinstance(gen, str):
            parts = split_reasoning(gen, self.cfg.end_reasoning_string)
            gen = parts.pop("generation")
            out.update(parts)
        fields = {self.cfg.generation_key: gen}
        if self.cfg.add_generation_stats:
            fields.update(out)
        else:
            fields.update({k: v for k, v in out.items() if k.startswith("reasoning")})
        return fields

    async def process_single_datapoint(self, row: dict[str, Any], position: int) -> dict[str, Any]:
        prompt = self.fill_prompt(row, f"row {position}")
        start = time.time()
        out = await self.llm_call(prompt)
        if self.cfg.add_generation_stats:
            out["generation_time"] = round(time.time() - start, 3)
        return self.postprocess_output(row, out)

    def postprocess(self) -> None:
        """Called once after the final output file and marker are written."""

    # ---- driver ------------------------------------------------------------------------------
    def _settings(self) -> ClientSettings:
        s = self.cfg.server
        urls = [u for u in (s.base_url or os.environ.get("NSL_SERVER_URL", "")).split(",") if u.strip()]
        if not urls:
            raise NslError("no server: give ++server.base_url=http://host:port (comma-separate replicas) or set "
                           "NSL_SERVER_URL")
        model = s.model
        if not model:  # the worker does not always know the served name: take the server's first model
            try:
                model = served_models(urls[0])[0]
            except (OSError, ValueError, KeyError, IndexError) as e:
                raise NslError(f"++server.model not given and {urls[0]}/v1/models did not list a model ({e})") from None
        key = os.environ.get("NSL_API_KEY") or (os.environ.get("OPENAI_API_KEY") if s.server_type == "openai" else None)
        return ClientSettings(base_urls=urls, model=model, api_key=key or s.api_key,
                              timeout_s=self.cfg.inference.timeout, max_retries=s.max_retries,
                              retry_backoff_s=s.retry_backoff_s, max_connections=self.cfg.max_concurrent_requests)

    def run(self) -> int:
        cfg = self.cfg
        if cfg.dry_run:
            rows = self.preprocess_data(self.load_data())
            if rows:
                print(self.fill_prompt(rows[0], "row 0"))
            print(f"[generate] dry run: {len(rows)} rows would be processed")
            return 0
        if is_done(cfg.output_file):
            print(f"[generate] {cfg.output_file} is already done (marker exists); nothing to do")
            return 0
        rows = self.preprocess_data(self.load_data())
        if rows and self.prompt is not None:
            self.fill_prompt(rows[0], "row 0")  # template errors before any request
        out = AsyncOutput(cfg.output_file)
        done = out.open(len(rows))
        if os.path.exists(cfg.output_file):
            done = self._reuse_output(out, rows, done)
        if out.dropped_tail:
            print(f"[generate] dropped a truncated last line from {out.path} (killed writer); it will be redone")
        todo = [p for p in range(len(rows)) if p not in done]
        print(f"[generate] {len(rows)} rows, {len(done)} already done, {len(todo)} to go -> {cfg.output_file}",
              flush=True)
        self._install_signals()
        try:
            failures = asyncio.run(self._run_rows(rows, todo, out))
        except Interrupted:
            out.close()
            print(f"[generate] stopped by signal {self._stop_signal}; {len(out.rows)}/{len(rows)} rows saved in "
                  f"{out.path}; rerun to continue", flush=True)
            return EXIT_INTERRUPTED
        except UnreachableError as e:
            out.close()
            raise NslError(f"server unreachable, stopping ({len(out.rows)}/{len(rows)} rows saved, rerun to "
                           f"continue): {e}{self._server_log_tails()}") from None
        if failures:
            out.close()
            first = "; ".join(f"row {p}: {m}" for p, m in list(failures.items())[:3])
            print(f"[generate] {len(failures)} row(s) failed and are not saved (a rerun retries them): {first}",
                  file=sys.stderr, flush=True)
            return EXIT_FAILED
        n = out.finalize(len(rows))
        print(f"[generate] wrote {n} rows to {cfg.output_file}", flush=True)
        self.postprocess()
        return 0

    def _reuse_output(self, out: AsyncOutput, rows: list[dict[str, Any]], done: set[int]) -> set[int]:
        """An output file without a marker (e.g. from a NeMo-Skills run): with ++skip_filled=true its rows
        count as done (row i = input position i, as NeMo-Skills writes them); otherwise it is replaced."""
        if not self.cfg.skip_filled:
            print(f"[generate] {self.cfg.output_file} exists without a .done marker; it will be replaced "
                  "(++skip_filled=true keeps its rows)", flush=True)
            return done
        old = list(read_jsonl(self.cfg.output_file, allow_truncated_tail=True))
        if len(old) > len(rows):
            raise NslError(f"{self.cfg.output_file} has {len(old)} rows but the input has {len(rows)}; "
                           "it is not an output of this input (skip_filled)")
        for pos, row in enumerate(old):
            if pos not in done and self.cfg.generation_key in row:
                out.append(pos, row)
        return set(out.rows)

    def _server_log_tails(self) -> str:
        logs = [p for p in os.environ.get("NSL_SERVER_LOG", "").split(",") if p]
        return "".join(f"\nserver log tail ({p}):\n{log_tail(p)}" for p in logs)

    def _install_signals(self) -> None:
        def handler(signum: int, _frame: Any) -> None:
            self._stop_signal = signum
        for sig in (signal.SIGTERM, signal.SIGUSR1):
            signal.signal(sig, handler)

    async def _run_rows(self, rows: list[dict[str, Any]], todo: list[int], out: AsyncOutput) -> dict[int, str]:
        progress = Progress("generate", total=len(todo))
        failures: dict[int, str] = {}
        attempts: dict[int, int] = {}
        self.soft_failed: dict[int, str] = {}
        queue = list(reversed(todo))
        running: dict[asyncio.Task, int] = {}
        finished: asyncio.Queue[asyncio.Task] = asyncio.Queue()  # O(1) per row, whatever the concurrency
        async with AsyncClient(self._settings()) as client:
            self.client = client
            try:
                while queue or running:
                    if self._stop_signal is not None:
                        raise Interrupted()
                    while queue and len(running) < self.cfg.max_concurrent_requests:
                        pos = queue.pop()
                        task = asyncio.create_task(self._one(rows[pos], pos))
                        task.add_done_callback(finished.put_nowait)
                        running[task] = pos
                    try:
                        first = await asyncio.wait_for(finished.get(), timeout=0.5)
                    except asyncio.TimeoutError:
                        continue  # look at the stop flag again
                    batch = [first] + [finished.get_nowait() for _ in range(finished.qsize())]
                    for task in batch:
                        pos = running.pop(task)
                        exc = task.exception()
                        if exc is None:
                            fields = task.result()
                            out.append(pos, {**rows[pos], **fields})
                            failures.pop(pos, None)
                            toks = fields.get("num_generated_tokens")
                            progress.update(1, tokens=toks if isinstance(toks, int) else 0)
                        elif isinstance(exc, (UnreachableError, NslError)):
                            raise exc
                        elif isinstance(exc, RequestError):
                            attempts[pos] = attempts.get(pos, 0) + 1
                            final = attempts[pos] >= self.cfg.max_row_failures or is_context_error(str(exc))
                            if self.cfg.server.enable_soft_fail and final:
                                out.append(pos, {**rows[pos], **failed_row_fields(self.cfg.generation_key, str(exc))})
                                self.soft_failed[pos] = str(exc)
                                failures.pop(pos, None)
                                progress.update(1)
                                continue
                            failures[pos] = str(exc)
                            if attempts[pos] < self.cfg.max_row_failures:
                                queue.insert(0, pos)
                        else:
                            raise exc
            finally:
                for task in running:
                    task.cancel()
                if running:
                    await asyncio.gather(*running, return_exceptions=True)
                self.client = None
        soft = f", {len(self.soft_failed)} soft-failed (generation '' + error)" if self.soft_failed else ""
        progress.close((f"{len(failures)} failed" if failures else "all rows done") + soft)
        if self.soft_failed:
            pos, msg = next(iter(self.soft_failed.items()))
            print(f"[generate] {len(self.soft_failed)} row(s) written with an empty generation and 'error' "
                  f"(server.enable_soft_fail); first: row {pos}: {msg[:300]}", file=sys.stderr, flush=True)
        return failures

    async def _one(self, row: dict[str, Any], pos: int) -> dict[str, Any]:
        pre = self.prefill_generation(row)
        if pre is not None:
            return pre
        return await self.process_single_datapoint(row, pos)


def main(argv: list[str] | None = None, task_cls: type[GenerationTask] = GenerationTask,
         config_cls: type[GenerationConfig] = GenerationConfig) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if any(a in ("-h", "--help") for a in argv):
        from nemo_skills_lite.utils.overrides import valid_keys
        print(f"usage: python {sys.argv[0]} ++key=value ...  (config {config_cls.__name__}, see docs/generation.md)\n"
              "keys: " + ", ".join(valid_keys(config_cls)))
        return 0
    try:
        cfg = parse_overrides(config_cls, argv, where=f"{task_cls.__name__} overrides")
    except NslError as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        return EXIT_USAGE
    try:
        return task_cls(cfg).run()
    except NslError as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
