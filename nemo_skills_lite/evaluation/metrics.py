"""Benchmark metrics over k graded generations per problem (NeMo-Skills-compatible numbers).

Per problem, ``update(predictions)`` takes the k rows (one per seed) and accumulates:
  - ``pass@k``: unbiased estimator 1 - C(n-c, k)/C(n, k) over all n seeds (binary scores),
  - ``pass@1[avg-of-k]``: mean score of the first k seeds, with std across runs in ``*_statistics``,
  - ``majority@k``: score of the most common non-empty answer among the first k (ties: average),
  - ``rm_best@k`` / ``rm_majority@k`` when rows carry ``reward_model_score``,
  - ``no_answer``, ``num_entries``, ``avg_tokens``, ``gen_seconds``, token statistics.
``get_metrics()`` returns {mode: {metric: value}} with float scores as percentages.
Metric types (NeMo-Skills' names): math and multichoice (``symbolic_correct``/``judge_correct``),
code (``passing_base_tests``/``passing_plus_tests``); ifeval and answer-judgement add their own
numbers (and lean4-proof) in ``metrics_types.py``; ``make_metrics(type)`` picks the class.
Pure Python, no I/O: summarize.py reads the files.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from typing import Any

from nemo_skills_lite.utils.errors import NslError

from nemo_skills_lite.configs.evaluation import METRIC_TYPES


def judgement_verdict(judgement: str | None) -> bool | None:
    """'... Judgement: Yes' -> True, '... Judgement: No' -> False; missing or malformed -> None."""
    if not judgement or "Judgement:" not in judgement:
        return None
    verdict = judgement.split("Judgement:")[-1].strip().lower()
    return True if verdict.startswith("yes") else False if verdict.startswith("no") else None


def is_correct_judgement(judgement: str | None) -> bool:
    """'... Judgement: Yes' -> True; 'No', missing or malformed -> False (the judge's format)."""
    return judgement_verdict(judgement) is True


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k: probability that k of n samples (c correct) contain a correct one."""
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def score_dict(row: dict[str, Any], metric_type: str) -> dict[str, Any]:
    """All ways this row is scored, e.g. {'symbolic_correct': True, 'judge_correct': False}."""
    scores: dict[str, Any] = {}
    if metric_type == "code":
        if "is_correct" in row:
            scores["passing_base_tests"] = row["is_correct"]
        if "is_correct-plus" in row:
            scores["passing_plus_tests"] = row["is_correct-plus"]
        return scores
    if "symbolic_correct" in row:
        scores["symbolic_correct"] = row["symbolic_correct"]
    if "judgement" in row:
        scores["judge_correct"] = is_correct_judgement(row["judgement"])
    if "symbolic_correct" in scores and "judge_correct" in scores:
        scores["both_correct"] = bool(scores["symbolic_correct"] and scores["judge_correct"])
        scores["any_correct"] = bool(scores["symbolic_correct"] or scores["judge_correct"])
    return scores


def incorrect_row(row: dict[str, Any], metric_type: str) -> dict[str, Any]:
    """What a too-long generation counts as (``max_seq_len``)."""
    if metric_type == "code":
        return {"is_correct": False, "is_correct-plus": False}
    if metric_type == "ifeval":
        out = dict(row)
        for mode in ("strict_eval", "loose_eval"):
            if mode in out:
                n = len(out[mode]["follow_instruction_list"])
                out[mode] = {**out[mode], "follow_all_instructions": False, "follow_instruction_list": [False] * n}
        return out
    if metric_type == "answer-judgement":
        return {**row, "judgement": None}
    if metric_type == "lean4-proof":
        return {**row, "proof_status": "too-long"}
    out = dict(row)
    if "symbolic_correct" in out:
        out["symbolic_correct"] = False
    if "judgement" in out:
        out["judgement"] = "Judgement: No"
    out["predicted_answer"] = None
    return out


class Metrics:
    """Accumulates one benchmark (or one ``subset_for_metrics``) problem by problem."""

    def __init__(self, metric_type: str = "math", *, answer_key: str = "predicted_answer") -> None:
        if metric_type not in METRIC_TYPES:
            raise NslError(f"unknown metric type '{metric_type}'; valid: {', '.join(METRIC_TYPES)}")
        self.metric_type, self.answer_key = metric_type, answer_key
        self.total = 0
        self.max_k = 0
        self.avg_tokens = 0.0
        self.min_start, self.max_end = math.inf, -math.inf
        self.eval: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.all_scores: dict[str, list[list[Any]]] = defaultdict(list)

    # ------------------------------------------------------------------ accumulate
    def update(self, predictions: list[dict[str, Any]]) -> None:
        k_all = len(predictions)
        if self.max_k and k_all != self.max_k:
            raise NslError(f"problem #{self.total + 1} has {k_all} generations but earlier ones have "
                           f"{self.max_k}; every seed file must have the same number of rows")
        self.max_k = self.max_k or k_all
        self.total += 1
        tokens = [p["num_generated_tokens"] for p in predictions if "num_generated_tokens" in p]
        self.avg_tokens += sum(tokens) / k_all
        reasoning = [p.get("num_reasoning_tokens", 0) for p in predictions]
        answer = [p.get("num_answer_tokens", 0) or (p.get("num_generated_tokens", 0) if not r else 0)
                  for p, r in zip(predictions, reasoning)]
        self.all_scores["reasoning_tokens"].append(reasoning)
        self.all_scores["answer_tokens"].append(answer)
        starts = [p["generation_start_time"] for p in predictions if "generation_start_time" in p]
        ends = [p["generation_end_time"] for p in predictions if "generation_end_time" in p]
        if starts and ends:
            self.min_start, self.max_end = min(self.min_start, *starts), max(self.max_end, *ends)

        scores = self.scores(predictions)
        answers = self.answers(predictions)
        self._pass_at_k(scores, answers)
        if answers is not None:
            self._majority_at_k(scores, answers)
            if "reward_model_score" in predictions[0]:
                self._reward_at_k(scores, answers, [p["reward_model_score"] for p in predictions])
        self.after_update(predictions, scores, answers)

    # hooks for the metric types in metrics_types.py
    def scores(self, predictions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [score_dict(p, self.metric_type) for p in predictions]

    def answers(self, predictions: list[dict[str, Any]]) -> list | None:
        return None if self.metric_type == "code" else [p.get(self.answer_key) for p in predictions]

    def stat_name(self, method: str) -> str | None:
        """Name of ``<name>_statistics`` for a score method (None: no statistics)."""
        return method

    def after_update(self, predictions: list[dict[str, Any]], scores: list[dict], answers: list | None) -> None:
        pass

    def _pass_at_k(self, scores: list[dict], answers: list | None) -> None:
        n = len(scores)
        for method in scores[0]:
            values = [s[method] for s in scores]
            if self.stat_name(method):
                self.all_scores[self.stat_name(method)].append(values)
            binary = all(v in (0, 1, True, False) for v in values)
            for k in range(1, n + 1):
                best = pass_at_k(n, int(sum(values)), k) if binary else max(values[:k])
                self.eval[f"pass@{k}"][method] += best
                self.eval[f"pass@1[avg-of-{k}]"][method] += sum(values[:k]) / k
                if answers is not None:
                    empty = [a is None for a in answers[:k]]
                    self.eval[f"pass@{k}"]["no_answer"] += all(empty)
                    self.eval[f"pass@1[avg-of-{k}]"]["no_answer"] += sum(empty) / k

    def _majority_at_k(self, scores: list[dict], answers: list) -> None:
        for k in range(2, len(scores) + 1):
            for method in scores[0]:
                pairs = [(a, s[method]) for a, s in zip(answers[:k], scores[:k]) if a is not None]
                if not pairs:
                    value = 0.0
                else:
                    counts = Counter(pairs)
                    top = max(counts.values())
                    tied = [score for (_, score), c in counts.items() if c == top]
                    value = sum(tied) / len(tied)
                self.eval[f"majority@{k}"][method] += value
            self.eval[f"majority@{k}"]["no_answer"] += all(a is None for a in answers[:k])

    def _reward_at_k(self, scores: list[dict], answers: list, rewards: list[float]) -> None:
        for k in range(1, len(scores) + 1):
            for method in scores[0]:
                valid = [(a, s[method], r) for a, s, r in zip(answers[:k], scores[:k], rewards[:k])
                         if a is not None]
                if not valid:
                    continue
                self.eval[f"rm_best@{k}"][method] += max(valid, key=lambda t: t[2])[1]
                total: dict[Any, float] = defaultdict(float)
                verdict: dict[Any, Any] = {}
                for a, s, r in valid:
                    total[a] += r
                    verdict[a] = s
                self.eval[f"rm_majority@{k}"][method] += verdict[max(total.items(), key=lambda t: t[1])[0]]
            empty = all(a is None for a in answers[:k])
            self.eval[f"rm_best@{k}"]["no_answer"] += empty
            self.eval[f"rm_majority@{k}"]["no_answer"] += empty

    # ------------------------------------------------------------------ report
    def common(self) -> dict[str, Any]:
        out: dict[str, Any] = {"num_entries": self.total}
        if self.avg_tokens > 0:
            out["avg_tokens"] = int(self.avg_tokens / self.total)
        if self.max_end > -math.inf and self.min_start < math.inf:
            out["gen_seconds"] = int(self.max_end - self.min_start)
        return out

    def get_metrics(self) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = {}
        for mode, values in self.eval.items():
            if mode == "pass@1[avg-of-1]":
                continue  # identical to pass@1
            result[mode] = self.common()
            for key, value in values.items():
                result[mode][key] = 100.0 * value / self.total
        for method, per_problem in self.all_scores.items():
            for k in range(2, self.max_k + 1):
                runs = [statistics.fmean(float(v[i]) for v in per_problem) for i in range(k)]
                std = statistics.stdev(runs)
                result[f"pass@1[avg-of-{k}]"][f"{method}_statistics"] = {
                    "avg": statistics.fmean(statistics.fmean(map(float, v[:k])) for v in per_problem),
                    "std_dev_across_runs": std,
                    "avg_sample_std_dev": statistics.fmean(statistics.stdev(map(float, v[:k])) for v in per_problem),
                    "std_err_across_runs": std / math.sqrt(k),
                }
        return result

    def modes_to_print(self) -> list[str]:
        k = self.max_k
        if k <= 1:
            return ["pass@1"]
        modes = [f"pass@1[avg-of-{k}]", f"majority@{k}", f"rm_best@{k}", f"rm_majority@{k}", f"pass@{k}"]
        return [m for m in modes if m in self.eval]

    def columns_to_print(self) -> list[str]:
        if self.metric_type == "code":
            return ["num_entries", "avg_tokens", "gen_seconds", "passing_base_tests", "passing_plus_tests"]
        return ["num_entries", "avg_tokens", "gen_seconds", "judge_correct", "symbolic_correct", "no_answer"]


def make_metrics(metric_type: str) -> Metrics:
    """The metrics accumulator for ``metric_type`` (one of ``METRIC_TYPES``)."""
    if metric_type in ("ifeval", "answer-judgement", "lean4-proof"):
        from nemo_skills_lite.evaluation import metrics_types as types
        return {"ifeval": types.IFMetrics, "answer-judgement": types.AnswerJudgementMetrics,
                "lean4-proof": types.Lean4Metrics}[metric_type]()
    return Metrics(metric_type)
