"""Keep questions with a verified trial, pick the best trial, label difficulty from the pass rate.

    python recipes/kodcode/scripts/select_trials.py VERIFIED.jsonl SELECTED.jsonl [--failed FAILED.jsonl] \\
        [--num-trials N]

VERIFIED.jsonl is ``nsl verify-code``'s output for parse_trials.py's rows (every trial of every question;
a row without ``verdict`` is an error: verification did not run). A trial *passes* when the sandbox says
``accepted`` and pytest ran at least one test.

- kept: questions with >= 1 passing trial (KodCode's self-verification); the others go to ``--failed``.
- best trial: the passing trial with the most tests (pytest's ``tests_total``: the strictest check of
  the solution), ties broken by the shortest solution (stripped characters), then the lowest trial number.
  (KodCode prefers the highest line coverage of the tests; test count is our stand-in, coverage is not measured.)
- pass rate = passing trials / N, where N is the number of trials of the question (malformed ones count as
  failed) or ``--num-trials`` if larger (a lost trial is a failed one).
- difficulty (KodCode's thresholds): ``easy`` if pass rate >= 2/3, ``hard`` if < 1/3, else ``medium``.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from kodcode_io import counts_line, finish, require_keys, stream_rows, write_rows

from nemo_skills_lite.utils.errors import NslError, run_main
from nemo_skills_lite.utils.progress import Progress

EASY_AT, HARD_BELOW = 2 / 3, 1 / 3


def difficulty(pass_rate: float) -> str:
    if pass_rate >= EASY_AT:
        return "easy"
    if pass_rate < HARD_BELOW:
        return "hard"
    return "medium"


def trial_passed(row: dict[str, Any]) -> bool:
    return row.get("verdict") == "accepted" and bool(row.get("passed")) and int(row.get("tests_total") or 0) > 0


def _rank(row: dict[str, Any]) -> tuple[int, int, int]:
    """Best first: most tests, then shortest solution, then lowest trial number."""
    return -int(row["tests_total"]), len(row["code"].strip()), int(row["trial"])


def best_trial(passing: list[dict[str, Any]]) -> dict[str, Any]:
    return min(passing, key=_rank)


@dataclass
class _Question:
    """What selection keeps of one question while streaming its trials: outcomes, and only the best passing
    trial's code (memory stays small however long the generations were)."""

    first: dict[str, Any]
    outcomes: list[tuple[int, int, str]] = field(default_factory=list)  # (trial, passed, verdict or parse_error)
    best: dict[str, Any] | None = None

    def add(self, row: dict[str, Any]) -> None:
        ok = trial_passed(row)
        self.outcomes.append((int(row["trial"]), int(ok), row.get("parse_error") or row["verdict"]))
        if ok and (self.best is None or _rank(row) < _rank(self.best)):
            self.best = {k: row[k] for k in ("code", "test_code", "tests_total", "trial")}


def select(trials: Iterable[dict[str, Any]], num_trials: int = 0, where: str = "input",
           progress: Progress | None = None) -> tuple[list[dict], list[dict], dict]:
    questions: dict[str, _Question] = {}
    verdicts: Counter = Counter()
    for i, row in enumerate(trials, start=1):
        require_keys(row, ("question",), f"{where}:{i}")
        if "id" not in row or "trial" not in row:
            raise NslError(f"{where}:{i}: row has no 'id'/'trial' (rows come from parse_trials.py)")
        if "verdict" not in row:
            raise NslError(f"{where}:{i}: row has no 'verdict': run nsl verify-code on the trials first")
        verdicts["malformed" if "parse_error" in row else row["verdict"]] += 1
        qid = str(row["id"])
        if qid not in questions:
            questions[qid] = _Question({"id": qid, "subset": row.get("subset", ""), "question": row["question"]})
        questions[qid].add(row)
        if progress is not None:
            progress.update(1)
    kept, failed = [], []
    difficulties: Counter = Counter()
    pass_at_k = [0] * max([len(q.outcomes) for q in questions.values()] + [num_trials])
    for q in questions.values():
        q.outcomes.sort()
        sequence = [ok for _, ok, _ in q.outcomes]
        n = max(len(sequence), num_trials)
        first_pass = sequence.index(1) if q.best else len(pass_at_k)
        for k in range(first_pass, len(pass_at_k)):
            pass_at_k[k] += 1
        base = {**q.first, "pass_sequence": sequence, "pass_trial_num": sum(sequence), "num_trials": n}
        if q.best is None:
            failed.append({**base, "verdicts": [label for _, _, label in q.outcomes]})
            continue
        rate = sum(sequence) / n
        level = difficulty(rate)
        difficulties[level] += 1
        kept.append({**base, "style": "instruct", "solution": q.best["code"], "test_code": q.best["test_code"],
                     "tests_total": int(q.best["tests_total"]), "chosen_trial": int(q.best["trial"]),
                     "pass_rate": round(rate, 3), "difficulty": level})
    total = sum(verdicts.values())
    summary = {"questions": len(questions), "trials": total, "kept": len(kept), "failed": len(failed),
               "difficulty": dict(difficulties), "trial_verdicts": dict(verdicts),
               "pass_at_k": {str(k + 1): round(c / len(questions), 4) for k, c in enumerate(pass_at_k)}
               if questions else {}}
    return kept, failed, summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("verified", help="nsl verify-code output for the trials")
    ap.add_argument("output", help="selected question-solution-test triplets")
    ap.add_argument("--failed", default=None, help="questions without a passing trial (default: <output>-failed)")
    ap.add_argument("--num-trials", type=int, default=0, help="trials asked per question (missing ones count as failed)")
    args = ap.parse_args(argv)
    progress = Progress("select", unit="trials")
    kept, failed, summary = select(stream_rows(args.verified, what="verified trials"), args.num_trials,
                                   where=args.verified, progress=progress)
    out = Path(args.output)
    write_rows(args.failed or out.with_name(out.stem + "-failed.jsonl"), failed)
    return finish(out, kept, summary, f"kept {summary['kept']} of {summary['questions']} questions (difficulty: "
                  f"{counts_line(summary['difficulty'])}); trial verdicts: {counts_line(summary['trial_verdicts'])}",
                  progress)


if __name__ == "__main__":
    run_main(main)
