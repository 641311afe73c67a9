"""Metric types beyond math/code, with NeMo-Skills' numbers (checked on its fixtures):

- ``IFMetrics`` (ifeval): prompt- and instruction-level accuracy, strict and loose, and their
  average (``average_score``); instruction accuracy is over all instructions, not prompts.
- ``AnswerJudgementMetrics`` (answer-judgement, i.e. grading a judge): ``correct_judgements``,
  ``false_positives``/``false_negatives``, ``invalid_judgements`` (no "Judgement: Yes/No"), and
  precision/recall/F1 of the "Yes" verdicts, averaged over the k samples (unbiased, not pooled).
- ``Lean4Metrics`` (lean4-proof): ``lean4_correct`` (``proof_status == "completed"``) and
  ``timeout_error`` (share of problems, or of samples in avg-of-k, whose proof check timed out).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from nemo_skills_lite.evaluation.metrics import Metrics, judgement_verdict


class IFMetrics(Metrics):
    def __init__(self) -> None:
        super().__init__("ifeval")
        self.instruction_total = 0

    def scores(self, predictions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for p in predictions:
            row = {}
            for mode, tag in (("strict_eval", "strict"), ("loose_eval", "loose")):
                row[f"prompt_{tag}"] = bool(p[mode]["follow_all_instructions"])
                row[f"instruction_{tag}"] = sum(p[mode]["follow_instruction_list"])
            out.append(row)
        return out

    def answers(self, predictions: list[dict[str, Any]]) -> None:
        return None  # no majority vote, no no_answer

    def stat_name(self, method: str) -> str | None:
        return method.rsplit("_", 1)[0] if method.endswith("_strict") else None

    def after_update(self, predictions: list[dict[str, Any]], scores: list[dict], answers: list | None) -> None:
        self.instruction_total += len(predictions[0]["instruction_id_list"])

    def get_metrics(self) -> dict[str, dict[str, Any]]:
        result = super().get_metrics()
        for mode, values in result.items():
            raw = self.eval[mode]
            acc = {f"{level}_{tag}_accuracy": 100.0 * raw[f"{level}_{tag}"] / (self.total if level == "prompt"
                                                                                else self.instruction_total)
                   for tag in ("strict", "loose") for level in ("prompt", "instruction")}
            for key in list(values):
                if key.startswith(("prompt_", "instruction_")) and not key.endswith("_statistics"):
                    del values[key]
            values.update({"num_prompts": self.total, "num_instructions": self.instruction_total,
                           "average_score": sum(acc.values()) / 4, **acc})
        return result

    def columns_to_print(self) -> list[str]:
        return ["num_prompts", "num_instructions", "average_score", "prompt_strict_accuracy",
                "instruction_strict_accuracy", "prompt_loose_accuracy", "instruction_loose_accuracy",
                "num_entries", "avg_tokens"]


class AnswerJudgementMetrics(Metrics):
    def __init__(self) -> None:
        super().__init__("answer-judgement")
        self.total_positives = 0
        # mode -> per problem -> per sample -> (tp, fp, fn)
        self.confusion: dict[str, list[list[tuple[int, int, int]]]] = defaultdict(list)

    def scores(self, predictions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"correct_judgements": judgement_verdict(p.get("judgement")) == judgement_verdict(p["expected_judgement"])}
                for p in predictions]

    def answers(self, predictions: list[dict[str, Any]]) -> list:
        return [judgement_verdict(p.get("judgement")) for p in predictions]

    def _count(self, mode: str, preds: list[bool | None], gold: bool | None) -> None:
        cells = [(int(p is True and gold is True), int(p is True and gold is False), int(p is False and gold is True))
                 for p in preds]
        self.eval[mode]["false_positives"] += sum(c[1] for c in cells) / len(cells)
        self.eval[mode]["false_negatives"] += sum(c[2] for c in cells) / len(cells)
        self.confusion[mode].append(cells)

    def after_update(self, predictions: list[dict[str, Any]], scores: list[dict], answers: list | None) -> None:
        gold = judgement_verdict(predictions[0]["expected_judgement"])
        self.total_positives += gold is True
        assert answers is not None
        for k in range(1, len(answers) + 1):
            first = answers[:k]
            # pass@k: a sample that agrees with the gold verdict if any, else the first valid one
            chosen = gold if gold in first else next((a for a in first if a is not None), None)
            self._count(f"pass@{k}", [chosen], gold)
            if k > 1:
                self._count(f"pass@1[avg-of-{k}]", first, gold)
                valid = sorted((a, s["correct_judgements"]) for a, s in zip(first, scores[:k]) if a is not None)
                self._count(f"majority@{k}", [Counter(valid).most_common(1)[0][0][0] if valid else None], gold)

    def _precision_recall_f1(self, per_problem: list[list[tuple[int, int, int]]]) -> dict[str, float]:
        k = len(per_problem[0])
        precision = recall = f1 = 0.0
        for i in range(k):
            tp, fp = sum(p[i][0] for p in per_problem), sum(p[i][1] for p in per_problem)
            prec = tp / (tp + fp) if tp + fp else 1.0
            rec = tp / self.total_positives if self.total_positives else 1.0
            precision, recall = precision + prec, recall + rec
            f1 += 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        return {"precision": 100.0 * precision / k, "recall": 100.0 * recall / k, "f1": 100.0 * f1 / k}

    def get_metrics(self) -> dict[str, dict[str, Any]]:
        result = super().get_metrics()
        for mode, values in result.items():
            if "no_answer" in values:
                values["invalid_judgements"] = values.pop("no_answer")
            if mode in self.confusion:
                values.update(self._precision_recall_f1(self.confusion[mode]))
        return result

    def modes_to_print(self) -> list[str]:
        k = self.max_k
        return ["pass@1"] if k <= 1 else [m for m in (f"pass@1[avg-of-{k}]", f"majority@{k}", f"pass@{k}")
                                            if m in self.eval]

    def columns_to_print(self) -> list[str]:
        return ["num_entries", "avg_tokens", "correct_judgements", "false_positives", "false_negatives",
                "invalid_judgements", "precision", "recall", "f1"]


class Lean4Metrics(Metrics):
    def __init__(self) -> None:
        super().__init__("lean4-proof")

    def scores(self, predictions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"lean4_correct": p.get("proof_status") == "completed"} for p in predictions]

    def answers(self, predictions: list[dict[str, Any]]) -> list:
        return [None if p.get("proof_status") == "timeout" else p.get("proof_status") for p in predictions]

    def _majority_at_k(self, scores: list[dict], answers: list) -> None:
        pass  # proofs are not voted on

    def get_metrics(self) -> dict[str, dict[str, Any]]:
        result = super().get_metrics()
        for values in result.values():
            if "no_answer" in values:
                values["timeout_error"] = values.pop("no_answer")
        return result

    def columns_to_print(self) -> list[str]:
        return ["num_entries", "avg_tokens", "lean4_correct", "timeout_error"]
