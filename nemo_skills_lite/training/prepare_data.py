"""prepare_data: turn judged generations into SFT/RL data (NeMo-Skills-compatible keys).

    python -m nemo_skills_lite.training.prepare_data ++input_files='dir/output-rs*.jsonl' \\
        ++output_path=sft.jsonl ++prompt_config=generic/math ++tokenizer=PATH \\
        ++filters.remove_no_think_tags=true ++use_judgement=true
    nsl prepare-data ++...            (same thing)

Streaming: the main process reads raw lines in batches, worker processes run the per-row chain
(training/steps.py), the main process de-duplicates kept rows by an 8-byte hash, appends them to a
spill file and finally writes the output in the requested order (training/spill.py). Memory is flat
in row count apart from 8-byte hashes and 16 bytes of bookkeeping per kept row.
"""

from __future__ import annotations

import json
import os
import sys
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Iterator

from nemo_skills_lite.configs.prepare_data import PrepareDataConfig
from nemo_skills_lite.data.funnel import Funnel
from nemo_skills_lite.data.io import RowWriter, expand_inputs, input_format, iter_jsonl_lines, iter_rows
from nemo_skills_lite.training.spill import Spill, code_text_select, final_order, write_output
from nemo_skills_lite.training.steps import BatchResult, Chain, init_worker, run_worker_batch
from nemo_skills_lite.utils.errors import NslError, run_main
from nemo_skills_lite.utils.overrides import parse_overrides
from nemo_skills_lite.utils.progress import Progress


SMALL_INPUT_BYTES = 32 * 2**20


@dataclass
class PrepareResult:
    output_path: Path
    rows_written: int
    funnel: Funnel
    report_paths: dict[str, Path]


Item = tuple[Any, bool]  # (raw jsonl bytes or a row dict, is_preprocessed)
Where = tuple[Path, int]  # (file, line or row number)


def _sources(cfg: PrepareDataConfig) -> list[tuple[Path, bool]]:
    out: list[tuple[Path, bool]] = []
    if cfg.input_files:
        out += [(p, False) for p in expand_inputs(cfg.input_files)]
    if cfg.preprocessed_dataset_files:
        out += [(p, True) for p in expand_inputs(cfg.preprocessed_dataset_files)]
    return out


def _iter_items(sources: list[tuple[Path, bool]], skip_first: int) -> Iterator[tuple[Item, Where, int]]:
    """(item, where, bytes) for every input row, streaming."""
    for path, pre in sources:
        if input_format(path) == "jsonl":
            for n, (line_no, raw) in enumerate(iter_jsonl_lines(path)):
                if n >= skip_first:
                    yield (raw, pre), (path, line_no), len(raw)
        else:
            for n, row in enumerate(iter_rows(path)):
                if n >= skip_first:
                    yield (row, pre), (path, n + 1), 0


def _check_first_row(cfg: PrepareDataConfig, sources: list[tuple[Path, bool]]) -> None:
    """Fail early with the available keys when the configured input/output keys are absent."""
    path, _ = sources[0]
    first = next(iter_rows(path), None)
    if first is None:
        return
    needed = [cfg.input_key] + ([] if cfg.output_format == "rl" else [cfg.output_key])
    missing = [k for k in needed if k not in first]
    if missing:
        raise NslError(f"{path}:1: row has no key {', '.join(repr(k) for k in missing)} "
                       f"(set ++input_key/++output_key); keys present: {', '.join(sorted(first))}")


def _batches(items: Iterator[tuple[Item, Where, int]], size: int) -> Iterator[tuple[list[Item], list[Where], int]]:
    batch: list[Item] = []
    where: list[Where] = []
    nbytes = 0
    for item, w, b in items:
        batch.append(item)
        where.append(w)
        nbytes += b
        if len(batch) >= size:
            yield batch, where, nbytes
            batch, where, nbytes = [], [], 0
    if batch:
        yield batch, where, nbytes


def run(cfg: PrepareDataConfig, *, log=None) -> PrepareResult:
    log = log or (lambda m: print(m, file=sys.stderr))
    cfg.validate()
    sources = _sources(cfg)
    output_path = Path(cfg.output_path)  # type: ignore[arg-type]
    if any(output_path.resolve() == p.resolve() for p, _ in sources):
        raise NslError(f"output_path {output_path} is also an input file; write to a new file")
    _check_first_row(cfg, sources)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    report_dir = Path(cfg.report_dir) if cfg.report_dir else output_path.with_name(output_path.stem + "-report")
    chain = Chain(cfg, log=log)  # validates prompt, tokenizer, contamination file before any work
    step_names = ["read"] + [n for n, _ in chain.steps] + ["format"]
    funnel = Funnel(length_unit="tokens" if chain.tokenizer is not None else "chars")
    for name in step_names + ["deduplicate"]:
        funnel.step(name)

    total_bytes = sum(p.stat().st_size for p, _ in sources if p.is_file())
    # one per core (max 8); small inputs run in-process (starting workers costs ~1-2 s)
    workers = cfg.workers or (1 if total_bytes < SMALL_INPUT_BYTES else min(os.cpu_count() or 1, 8))
    progress = Progress("prepare_data", total=None)
    spill = Spill(output_path.with_name(f".{output_path.name}.spill"))
    rejected = RowWriter(cfg.rejected_path) if cfg.rejected_path else None
    seen: set[int] = set()
    bytes_done = 0
    pool = None
    try:
        if workers > 1:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                       initializer=init_worker, initargs=(cfg,))
        pending: deque[tuple[Future | BatchResult | Exception, list[Item], list[Where], int]] = deque()

        def drain(block_until: int) -> None:
            nonlocal bytes_done
            while len(pending) > block_until:
                fut, batch, where, nbytes = pending.popleft()
                try:
                    if isinstance(fut, Exception):
                        raise fut
                    res = fut.result() if isinstance(fut, Future) else fut
                except json.JSONDecodeError as e:
                    raise NslError(_locate_bad_json(batch, where) or f"bad JSON in input: {e.msg}") from None
                funnel.merge(res.counts)
                dups = 0
                kept_lengths: dict[str, list[int]] = {k: [] for k in res.lengths}
                for j, (key, group, line, has_code) in enumerate(res.kept):
                    if cfg.deduplicate and key in seen:
                        dups += 1
                        continue
                    if cfg.deduplicate:
                        seen.add(key)
                    spill.add(line, group, has_code)
                    for k, lens in res.lengths.items():
                        kept_lengths[k].append(lens[j])
                for k, lens in kept_lengths.items():
                    funnel.add_lengths(k, lens)
                funnel.count("deduplicate", len(res.kept), {"duplicate": dups} if dups else None)
                if rejected is not None:
                    for line in res.rejected:
                        rejected.write_line(line)
                bytes_done += nbytes
                n = len(where)
                if total_bytes and bytes_done and progress.total is None and progress.done + n >= 10_000:
                    progress.total = int(total_bytes / (bytes_done / (progress.done + n)))
                progress.update(n)

        for batch, where, nbytes in _batches(_iter_items(sources, cfg.skip_first), cfg.batch_size):
            if pool is None:
                try:
                    res: Future | BatchResult | Exception = chain.process_batch(batch, rejected is not None)
                except json.JSONDecodeError as e:
                    res = e
            else:
                res = pool.submit(run_worker_batch, batch, rejected is not None)
            pending.append((res, batch, where, nbytes))
            drain(2 * workers if pool else 0)
        drain(0)
        if progress.total is not None:
            progress.total = progress.done

        keep = None
        if chain.code_begin is not None:  # NeMo-Skills' code_text_filter: per problem, after dedup
            keep, drops = code_text_select(spill.groups, spill.has_code, cfg.filters.code_text_filter)
            funnel.count("code_text_filter", len(spill), dict(drops))
        n_left = len(spill) if keep is None else len(keep)
        order = final_order(len(spill), spill.groups, cfg.downsampling_method, cfg.num_output_samples,
                            cfg.random_seed, cfg.do_shuffle, keep)
        if cfg.downsampling_method is not None:
            kept_n = n_left if order is None else len(order)
            funnel.count("downsample", n_left, {cfg.downsampling_method: n_left - kept_n}
                         if n_left > kept_n else None)
        written = write_output(spill, order, output_path)
        if rejected is not None:
            rejected.close()
    except BaseException:
        if rejected is not None:
            rejected.abort()
        raise
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        spill.remove()
    paths = funnel.write(report_dir)
    progress.close(f"{funnel.summary()}; wrote {written} rows to {output_path}; report {paths['txt']}")
    return PrepareResult(output_path, written, funnel, paths)


def _locate_bad_json(batch: list[Item], where: list[Where]) -> str | None:
    for (raw, _), (path, line) in zip(batch, where):
        if isinstance(raw, (bytes, str)):
            try:
                json.loads(raw)
            except json.JSONDecodeError as e:
                return f"{path}:{line}: not valid JSON ({e.msg}); each line must be one JSON object"
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    cfg = parse_overrides(PrepareDataConfig, argv, where="prepare_data")
    res = run(cfg)
    print(res.funnel.table())
    print(res.funnel.summary())
    return 0


if __name__ == "__main__":
    run_main(main)
