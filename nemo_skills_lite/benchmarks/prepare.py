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
import ast
import base64
import gzip
import json
import pickle
import zlib
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from nemo_skills_lite.benchmarks import available, default_data_dir, load
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


def _number(value: Any) -> str:
    """27.0 -> '27', '1,000' -> '1000', other values unchanged as text."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text.replace(",", "") if text.replace(",", "").lstrip("-").isdigit() else text


def gsm8k(row: dict) -> dict:
    solution, _, answer = row["answer"].rpartition("####")
    return {"problem": row["question"], "expected_answer": _number(answer.strip()),
            "reference_solution": solution.strip()}


def math_rows(row: dict) -> dict:
    out = {"problem": row.get("problem") or row["question"], "expected_answer": _number(row["answer"])}
    for key in ("solution", "subject", "level", "id", "unique_id", "url"):
        if key in row:
            out["reference_solution" if key == "solution" else key] = row[key]
    return out


def human_eval(row: dict) -> dict:
    return {"task_id": row["task_id"], "question": row["prompt"], "prompt": row["prompt"], "test": row["test"],
            "entry_point": row["entry_point"]}


def mbpp(row: dict) -> dict:
    tests = list(row["test_list"])
    question = f"{row['text']}\nYour code should pass these tests:\n" + "\n".join(tests)
    out = {"task_id": row["task_id"], "question": question, "test": tests}
    if row.get("test_setup_code"):
        out["test_setup_code"] = row["test_setup_code"]
    return out


def codecontests(row: dict) -> dict:
    """rllm copy: ``tests`` = "{'inputs': [...], 'outputs': [...]}"; the HF original
    (deepmind/code_contests): ``public_tests``/``private_tests``/``generated_tests`` = {input, output}."""
    if "tests" in row:
        tests = ast.literal_eval(row["tests"]) if isinstance(row["tests"], str) else row["tests"]
        pairs = list(zip(tests["inputs"], tests["outputs"]))
    else:
        pairs = [p for key in ("public_tests", "private_tests", "generated_tests")
                 for p in zip((row.get(key) or {}).get("input", []), (row.get(key) or {}).get("output", []))]
    if not pairs:
        raise NslError(f"codecontests row '{str(row.get('name') or row.get('problem'))[:60]}' has no tests")
    return {"question": row.get("problem") or row.get("description"),
            "tests": [{"input": i, "output": o} for i, o in pairs]}


def _lcb_tests(value: Any) -> list[dict]:
    if isinstance(value, list):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        # LiveCodeBench stores private tests as base64(zlib(pickle(json string))); the pickle holds
        # only a str, so refuse anything else.
        obj = pickle.loads(zlib.decompress(base64.b64decode(value)))  # noqa: S301 - a str is checked below
        if not isinstance(obj, str):
            raise NslError("livecodebench private_test_cases: unexpected payload") from None
        return json.loads(obj)


def livecodebench(row: dict) -> dict:
    tests = _lcb_tests(row.get("public_test_cases", "[]")) + _lcb_tests(row.get("private_test_cases", "[]"))
    metadata = row.get("metadata") or {}
    if isinstance(metadata, str):
        metadata = json.loads(metadata or "{}")
    out = {"question": row["question_content"], "task_id": row.get("question_id"),
           "contest_date": str(row.get("contest_date", ""))[:10], "starter_code": row.get("starter_code", "")}
    if tests and tests[0].get("testtype") == "functional":
        fn = metadata.get("func_name")
        if not fn:
            raise NslError(f"livecodebench {out['task_id']}: functional tests without metadata.func_name")
        asserts = []
        for t in tests:
            args = ", ".join(repr(json.loads(a)) for a in t["input"].split("\n") if a.strip())
            asserts.append(f"assert Solution().{fn}({args}) == {json.loads(t['output'])!r}")
        out["test"] = asserts
    else:
        out["tests"] = [{"input": t["input"], "output": t["output"]} for t in tests]
    return out


FORMATS: dict[str, Callable[[dict], dict]] = {
    "gsm8k": gsm8k, "math": math_rows, "human-eval": human_eval, "mbpp": mbpp,
    "codecontests": codecontests, "livecodebench": livecodebench,
}


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
        if source_dir is None:
            raise NslError(f"{name}: give --source-dir (holding {src['local']}) or --from-hf")
        raw = _read_local(Path(source_dir) / src["local"])
    convert = FORMATS[src["format"]]
    rows = apply_filters((convert(dict(r)) for r in raw), spec.get("filters") or {})
    return out, atomic_write_jsonl(out, rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nemo_skills_lite.benchmarks.prepare",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="+", help=f"benchmarks: {', '.join(available())} (or 'all')")
    ap.add_argument("--source-dir", default=None, help="folder with local source files (math/..., code/...)")
    ap.add_argument("--output-dir", default=None, help="where prepared data goes (default: %(default)s -> "
                    "$NSL_BENCHMARK_DIR or ~/.cache/nemo_skills_lite/benchmarks)")
    ap.add_argument("--from-hf", action="store_true", help="download from the HuggingFace hub instead")
    ap.add_argument("--force", action="store_true", help="overwrite already prepared files")
    args = ap.parse_args(argv)
    names = available() if args.names == ["all"] else args.names
    for name in names:
        out, n = prepare(name, source_dir=args.source_dir, output_dir=args.output_dir,
                         from_hf=args.from_hf, force=args.force)
        print(f"{name}: {n} rows -> {out}")
    return 0


if __name__ == "__main__":
    run_main(main)
