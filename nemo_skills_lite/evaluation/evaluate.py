"""In-job grading: ``python -m nemo_skills_lite.evaluation.evaluate ++input_files='DIR/output-rs*.jsonl'
++eval_type=math|code|multichoice|ifeval|answer-judgement [++timeout=10 ++workers=0 ...]``
(options: configs/evaluation.py).

Grades each file in place, atomically (temp file + rename; a killed job leaves the old file):
  - math: ``predicted_answer`` (extracted from ``generation``), ``extraction_path`` (which rule found
    it: boxed | regex | phrase | mcq_letter | last_number | none) and ``symbolic_correct``; pairs are
    graded in parallel worker processes, each with a hard per-pair time limit. The closing line counts
    the extraction paths and the deciding steps.
  - code: ``is_correct`` (+ ``verdict``, ``tests_passed``, ``tests_total``) from the sandbox
    (``nemo_skills_lite.code_execution.verify_rows``), using the test keys the benchmark's prepared
    rows carry (``tests`` for stdin/stdout, ``test``/``entry_point``/``test_setup_code`` for asserts);
    rows with ``plus_test`` (EvalPlus) also get ``is_correct-plus`` from the base + plus inputs.
  - multichoice, answer-judgement, ifeval: ``graders.py``.
Empty rows (``{}``, an unfinished generation) are kept as they are.
"""

from __future__ import annotations

import glob
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from nemo_skills_lite.configs.evaluation import EvaluateConfig
from nemo_skills_lite.evaluation import graders
from nemo_skills_lite.utils.errors import NslError, run_main
from nemo_skills_lite.utils.io import atomic_write_jsonl, read_jsonl
from nemo_skills_lite.utils.overrides import parse_overrides
from nemo_skills_lite.utils.progress import Progress

CODE_TEST_KEYS = ("tests", "test", "entry_point", "test_setup_code", "test_code", "language",
                  "time_limit", "memory_limit_mb", "comparator", "checker", "convention", "float_tolerance",
                  "case_sensitive", "code_prefix", "fn_name", "input_output", "metadata", "inputs", "expected",
                  "reference_code", "atol")


def expand_files(pattern: str) -> list[Path]:
    files: list[str] = []
    for part in pattern.replace(",", " ").split():
        matched = sorted(glob.glob(part))
        if not matched:
            raise NslError(f"evaluate: input_files pattern '{part}' matches no file")
        files += [m for m in matched if m not in files]
    return [Path(f) for f in files]


def _cores(requested: int) -> int:
    import os
    return requested or max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def extraction_switches(cfg: EvaluateConfig) -> dict[str, Any]:
    import inspect

    from nemo_skills_lite.evaluation.answer_extraction import extract_answer_path
    names = [n for n, prm in inspect.signature(extract_answer_path).parameters.items()
             if prm.kind is prm.KEYWORD_ONLY and n != "mcq"]
    return {name: getattr(cfg, name) for name in names}


def grade_math_rows(rows: list[dict[str, Any]], cfg: EvaluateConfig, where: str = "rows",
                    pool: Any = None) -> Counter:
    """Adds predicted_answer / extraction_path / symbolic_correct to ``rows`` in place; returns counts
    by verdict status and by extraction path (keys ``path:<name>``)."""
    from nemo_skills_lite.evaluation.math_grader import extract_answer_path, judge, mcq_letter
    from nemo_skills_lite.evaluation.timeout_guard import WorkerPool

    switches = extraction_switches(cfg)
    paths: Counter = Counter()
    todo = []
    for i, row in enumerate(rows):
        if not row:
            continue
        if not cfg.use_predicted_answer_key:
            if "generation" not in row:
                raise NslError(f"{where}:{i + 1}: no 'generation' key to extract an answer from "
                               "(or set ++use_predicted_answer_key=true)")
        if "expected_answer" not in row:
            raise NslError(f"{where}:{i + 1}: no 'expected_answer' key to grade against")
        if not cfg.use_predicted_answer_key:
            mcq = mcq_letter(str(row["expected_answer"])) is not None
            answer, path = extract_answer_path(row["generation"], mcq=mcq, **switches)
            row["predicted_answer"], row["extraction_path"] = answer, path
            paths[path] += 1
        elif "predicted_answer" not in row:
            raise NslError(f"{where}:{i + 1}: no 'predicted_answer' key (++use_predicted_answer_key=true)")
        todo.append(row)
    workers = _cores(cfg.workers)
    own_pool = pool is None
    pool = pool or WorkerPool(workers)
    status: Counter = Counter()
    progress = Progress(f"grade {Path(where).name}", total=len(todo))

    def grade(row: dict[str, Any]) -> None:
        verdict = judge(row["expected_answer"], row["predicted_answer"], timeout=cfg.timeout,
                        take_modulo=cfg.take_modulo, numeric_precision=cfg.numeric_precision,
                        numeric_tolerance=cfg.numeric_tolerance, guard="process", pool=pool)
        row["symbolic_correct"] = verdict.equal
        status[verdict.status] += 1
        progress.update(1)

    try:
        with ThreadPoolExecutor(workers) as ex:
            list(ex.map(grade, todo))
    finally:
        if own_pool:
            pool.close()
    correct = sum(bool(r.get("symbolic_correct")) for r in todo)
    extracted = ("; answers extracted by " + ", ".join(f"{k}={v}" for k, v in sorted(paths.items()))) if paths else ""
    progress.close(f"{correct}/{len(todo)} correct; decided by " +
                   ", ".join(f"{k}={v}" for k, v in sorted(status.items())) + extracted)
    return status + Counter({f"path:{k}": v for k, v in paths.items()})


def grade_code_rows(rows: list[dict[str, Any]], cfg: EvaluateConfig, where: str = "rows") -> int:
    """Adds is_correct (+verdict, tests_passed, tests_total) via the sandbox; returns #correct."""
    from nemo_skills_lite.code_execution import Limits, verify_rows

    idx = [i for i, r in enumerate(rows) if r]
    jobs = []
    for i in idx:
        row = rows[i]
        if "generation" not in row:
            raise NslError(f"{where}:{i + 1}: no 'generation' key with the code to run")
        if not any(k in row for k in ("tests", "test", "test_code")):
            raise NslError(f"{where}:{i + 1}: no tests ('tests', 'test' or 'test_code'); prepare the benchmark "
                           "with `python -m nemo_skills_lite.benchmarks.prepare`")
        jobs.append({"generation": row["generation"], **{k: row[k] for k in CODE_TEST_KEYS if k in row}})
    plus = [i for i in idx if "plus_test" in rows[i]]
    jobs += [{"generation": rows[i]["generation"], "test": rows[i]["plus_test"],
              **{k: rows[i][k] for k in ("entry_point", "test_setup_code") if k in rows[i]}} for i in plus]
    limits = Limits(time_limit=cfg.code_time_limit) if cfg.code_time_limit else None
    progress = Progress(f"verify {Path(where).name}", total=len(jobs))
    results = verify_rows(jobs, workers=_cores(cfg.workers), limits=limits,
                          allow_unisolated=cfg.allow_unisolated, on_row_done=lambda *_: progress.update(1))
    for i, res in zip(idx, results):
        rows[i]["is_correct"] = bool(res.get("passed"))
        for key in ("verdict", "tests_passed", "tests_total"):
            if key in res:
                rows[i][key] = res[key]
    for i, res in zip(plus, results[len(idx):]):
        rows[i]["is_correct-plus"] = bool(res.get("passed"))
    correct = sum(bool(rows[i]["is_correct"]) for i in idx)
    progress.close(f"{correct}/{len(jobs)} passed")
    return correct


def evaluate(cfg: EvaluateConfig) -> list[Path]:
    files = expand_files(cfg.input_files or "")
    pool = None
    if cfg.eval_type == "math":
        from nemo_skills_lite.evaluation.timeout_guard import WorkerPool
        pool = WorkerPool(_cores(cfg.workers))
    try:
        for path in files:
            rows = list(read_jsonl(path))
            if cfg.eval_type == "math":
                grade_math_rows(rows, cfg, str(path), pool=pool)
            elif cfg.eval_type == "code":
                grade_code_rows(rows, cfg, str(path))
            else:
                grade = {"multichoice": graders.grade_multichoice_rows, "ifeval": graders.grade_ifeval_rows,
                         "answer-judgement": graders.grade_answer_judgement_rows}[cfg.eval_type]
                grade(rows, str(path))
            atomic_write_jsonl(path, rows)
    finally:
        if pool is not None:
            pool.close()
    return files


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in args):
        print(__doc__)
        return 0
    cfg = parse_overrides(EvaluateConfig, args, where="evaluate")
    evaluate(cfg)
    return 0


if __name__ == "__main__":
    run_main(main)
