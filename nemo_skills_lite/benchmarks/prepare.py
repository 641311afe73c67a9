"""Prepare benchmark data: ``python -m nemo_skills_lite.benchmarks.prepare NAME... [--source-dir DIR]
[--output-dir DIR] [--from-hf] [--force]``.

Reads each benchmark's source (its YAML ``source``): from ``--source-dir`` (shipped copies, laid out
like the project's shared data folder: ``math/gsm8k_test_1319.jsonl``, ``code/HumanEval.jsonl.gz``,
...) or, with ``--from-hf``, the HuggingFace dataset named there (needs network and ``datasets``).
Writes ``<output-dir>/<name>/test.jsonl`` (default output dir: ``$NSL_BENCHMARK_DIR`` or
``~/.cache/nemo_skills_lite/benchmarks``) with common keys: math rows ``problem``,
``expected_answer``; code rows ``question`` plus the sandbox's test keys (``tests`` for
stdin/stdout, ``test``/``entry_point`` for asserts). An existing file is kept unless ``--force``.
"""

from __future__ import annotations

import argparse
import gzip
import json
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Iterator

from nemo_skills_lite.benchmarks import available, default_data_dir, load
from nemo_skills_lite.benchmarks.formats import FORMATS
from nemo_skills_lite.benchmarks.groups import GROUPS, expand_groups
from nemo_skills_lite.utils.errors import NslError, run_main
from nemo_skills_lite.utils.io import atomic_write_jsonl


def _read_local(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        raise NslError(f"source file not found: {path}")
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        yield from (data if isinstance(data, list) else data.get("data", []))
        return
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:  # type: ignore[operator]
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as e:
                    raise NslError(f"{path}:{n}: not valid JSON ({e.msg})") from None


def apply_filters(rows: Iterable[dict], filters: dict[str, Any]) -> Iterator[dict]:
    start, end = filters.get("start_date"), filters.get("end_date")
    lo = date.fromisoformat(str(start)) if start else None
    hi = date.fromisoformat(str(end)) if end else None
    for row in rows:
        if (lo or hi) and row.get("contest_date"):
            day = date.fromisoformat(row["contest_date"])
            if (lo and day < lo) or (hi and day > hi):
                continue
        yield row


def _hf_rows(hf: dict[str, Any]) -> Iterator[dict]:
    try:
        from datasets import load_dataset
    except ImportError:
        raise NslError("--from-hf needs the 'datasets' package (pip install 'nemo_skills_lite[data]')") from None
    kwargs = {k: v for k, v in hf.items() if k not in ("path", "name", "split")}
    ds = load_dataset(hf["path"], hf.get("name"), split=hf.get("split", "test"), **kwargs)
    yield from ds


def prepare(name: str, *, source_dir: str | Path | None, output_dir: str | Path | None = None,
            from_hf: bool = False, force: bool = False) -> tuple[Path, int]:
    spec = load(name)
    src = spec["source"]
    out = Path(output_dir or default_data_dir()) / spec["name"] / spec["dataset_file"]
    if out.exists() and not force:
        raise NslError(f"{out} already exists; pass --force to rebuild it")
    if from_hf:
        raw: Iterable[dict] = _hf_rows(src["hf"])
    else:
        if source_dir is None or "local" not in src:
            raise NslError(f"{name}: give --source-dir (holding {src.get('local', '<no local file defined>')}) "
                           "or --from-hf")
        raw = _read_local(Path(source_dir) / src["local"])
    if src["format"] not in FORMATS:
        raise NslError(f"{name}: source.format={src['format']!r} is not one of {', '.join(FORMATS)}")
    where = "the hub" if from_hf else str(Path(source_dir or "") / src.get("local", ""))
    rows = apply_filters(_converted(raw, FORMATS[src["format"]], f"{name} ({where})"), spec.get("filters") or {})
    return out, atomic_write_jsonl(out, rows)


def _converted(raw: Iterable[dict], convert: Any, where: str) -> Iterator[dict]:
    for n, row in enumerate(raw, 1):
        try:
            out = convert(dict(row))
        except NslError as e:
            raise NslError(f"{where} row {n}: {e}") from None
        except (KeyError, TypeError, ValueError, IndexError, SyntaxError) as e:
            raise NslError(f"{where} row {n}: not in the expected layout ({type(e).__name__}: {e}); "
                           f"keys: {', '.join(sorted(map(str, row)))}") from None
        if out is not None:
            yield out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nemo_skills_lite.benchmarks.prepare",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="+", help=f"benchmarks: {', '.join(available())}; groups ({', '.join(GROUPS)}); or 'all'")
    ap.add_argument("--source-dir", default=None, help="folder with local source files (math/..., code/...)")
    ap.add_argument("--output-dir", default=None, help="where prepared data goes (default: %(default)s -> "
                    "$NSL_BENCHMARK_DIR or ~/.cache/nemo_skills_lite/benchmarks)")
    ap.add_argument("--from-hf", action="store_true", help="download from the HuggingFace hub instead")
    ap.add_argument("--force", action="store_true", help="overwrite already prepared files")
    args = ap.parse_args(argv)
    names = available() if args.names == ["all"] else expand_groups(",".join(args.names)).split(",")
    for name in names:
        out, n = prepare(name, source_dir=args.source_dir, output_dir=args.output_dir,
                         from_hf=args.from_hf, force=args.force)
        print(f"{name}: {n} rows -> {out}")
    return 0


if __name__ == "__main__":
    run_main(main)
