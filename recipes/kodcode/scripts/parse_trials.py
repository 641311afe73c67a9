"""Solution + pytest tests out of every trial generation: one sandbox row per trial.

    python recipes/kodcode/scripts/parse_trials.py TRIALS_DIR OUTPUT.jsonl

TRIALS_DIR holds ``output-rs{S}.jsonl`` (trial S of every question, the generate stage with
``num_random_seeds=N``). The answer (after ``</think>``) must hold a ```python solution block and a
```python test block, preferably inside ``<|Solution Begin|>...<|Solution End|>`` and
``<|Test Begin|>...<|Test End|>``; without the markers the test block is the last block that imports
from ``solution`` or defines ``test_`` functions and the solution is the last other block before it.
Tests that do not import from ``solution`` get ``from solution import *`` first (as KodCode does).

Output, streamed (trial 0 of every question, then trial 1, ...): every trial with ``id``, ``subset``,
``question``, ``trial`` and either ``code`` + ``test_code`` (a pytest row for ``nsl verify-code``) or
``parse_error`` (malformed: no code is sent, the sandbox marks the row ``error``, and selection counts it
as a failed trial).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path
from typing import Iterator

from kodcode_io import (counts_line, finish, generation_of, glob_paths, python_blocks, require_keys, section_code,
                        stream_rows)

from nemo_skills_lite.data.code_blocks import answer_part
from nemo_skills_lite.utils.errors import NslError, run_main
from nemo_skills_lite.utils.progress import Progress

_TEST_FN = re.compile(r"^\s*def test_\w*\s*\(", re.MULTILINE)
_IMPORTS_SOLUTION = re.compile(r"^\s*(from\s+solution\s+import|import\s+solution\b)", re.MULTILINE)
_SEED_RE = re.compile(r"output-rs(\d+)\.jsonl$")
RAW_KEEP_CHARS = 2000


class TrialParseError(ValueError):
    """The generation has no usable solution/test pair; ``reason`` is a short drop reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _is_test(code: str) -> bool:
    return bool(_TEST_FN.search(code) or _IMPORTS_SOLUTION.search(code))


def parse_solution_and_tests(generation: str) -> tuple[str, str]:
    """(solution code, pytest file) of one answer; raises TrialParseError(reason)."""
    solution, tests = section_code(generation, "Solution"), section_code(generation, "Test")
    if solution is None or tests is None:
        blocks = python_blocks(answer_part(generation))
        if not blocks:
            raise TrialParseError("no_code_block")
        test_idx = next((i for i in range(len(blocks) - 1, -1, -1) if _is_test(blocks[i])), None)
        if test_idx is None:
            raise TrialParseError("no_test_block")
        others = [b for b in blocks[:test_idx] if not _is_test(b)]
        if not others:
            raise TrialParseError("no_solution_block")
        solution, tests = others[-1], blocks[test_idx]
    if not solution.strip():
        raise TrialParseError("no_solution_block")
    if not _TEST_FN.search(tests):
        raise TrialParseError("no_test_functions")
    if not _IMPORTS_SOLUTION.search(tests):
        tests = "from solution import *\n\n" + tests
    return solution.rstrip() + "\n", tests.rstrip() + "\n"


def parse_trials(trials_dir: Path, summary: dict, progress: Progress | None = None) -> Iterator[dict]:
    """Trial rows, streamed file by file (trial 0 of every question, then trial 1, ...); ``summary`` is
    filled as they go."""
    reasons: Counter = Counter()
    summary.update(trials=0, parsed=0, malformed=reasons, trial_files=0)
    for path in glob_paths(str(trials_dir / "output-rs*.jsonl"), what="trial generations"):
        m = _SEED_RE.search(path.name)
        if m is None:
            raise NslError(f"{path}: trial files are named output-rs<seed>.jsonl")
        summary["trial_files"] += 1
        for i, row in enumerate(stream_rows(path), start=1):
            where = f"{path}:{i}"
            require_keys(row, ("id", "question"), where)
            gen = generation_of(row, where)
            out = {"id": row["id"], "subset": row.get("subset", ""), "question": row["question"],
                   "trial": int(m.group(1))}
            try:
                out["code"], out["test_code"] = parse_solution_and_tests(gen)
                summary["parsed"] += 1
            except TrialParseError as e:
                out["parse_error"] = e.reason
                out["raw_generation"] = gen[:RAW_KEEP_CHARS]
                reasons[e.reason] += 1
            summary["trials"] += 1
            if progress is not None:
                progress.update(1)
            yield out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trials_dir", help="folder with output-rs*.jsonl")
    ap.add_argument("output", help="pytest rows to write (input of nsl verify-code)")
    args = ap.parse_args(argv)
    summary: dict = {}
    progress = Progress("parse_trials", unit="trials")
    trials = parse_trials(Path(args.trials_dir), summary, progress)
    return finish(args.output, trials, summary, lambda: f"{summary['parsed']} of {summary['trials']} trials parsed "
                  f"into solution + tests; malformed: {counts_line(summary['malformed'])}", progress)


if __name__ == "__main__":
    run_main(main)
