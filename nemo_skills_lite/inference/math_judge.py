"""``generation_type=math_judge``: LLM judge of predicted vs expected math answers (NeMo-Skills semantics).

Rows need ``problem`` and ``expected_answer``; ``predicted_answer`` is extracted from ``generation`` with
``evaluation.math_grader.extract_answer`` when missing. The LLM is skipped when the predicted answer is
empty/None (-> "Judgement: No") or string-equal to the expected one after stripping (-> "Judgement: Yes").
The verdict text goes to ``judgement`` (generation_key); ``judgement_correct`` (bool) is its parsed value.

    python -m nemo_skills_lite.inference.math_judge ++input_dir=DIR ++output_dir=OUT ++random_seed=0 ...
"""

from __future__ import annotations

import re
import sys
from typing import Any

from nemo_skills_lite.configs.generation import MathJudgeConfig
from nemo_skills_lite.inference.generate import GenerationTask, main as generate_main

_JUDGEMENT_RE = re.compile(r"judgement\s*:\s*\**\s*(yes|no)\b", re.IGNORECASE)


def prefill_judgement(row: dict[str, Any]) -> str | None:
    """The verdict without an LLM, or None when the LLM is needed."""
    pred = row.get("predicted_answer")
    if pred is None or str(pred).strip() == "":
        return "Reasoning: No answer was provided.\nJudgement: No"
    if str(pred).strip() == str(row.get("expected_answer", "")).strip():
        return "Reasoning: The two answers are identical.\nJudgement: Yes"
    return None


def is_correct_judgement(text: str | None) -> bool:
    """True iff the last 'Judgement: Yes|No' in the text says Yes."""
    if not text:
        return False
    found = _JUDGEMENT_RE.findall(text)
    return bool(found) and found[-1].lower() == "yes"


class MathJudgeTask(GenerationTask):
    cfg: MathJudgeConfig

    def preprocess_data(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from nemo_skills_lite.evaluation.math_grader import extract_answer

        for row in rows:
            if "predicted_answer" not in row:
                row["predicted_answer"] = extract_answer(row.get("generation"))
        return rows

    def prefill_generation(self, row: dict[str, Any]) -> dict[str, Any] | None:
        filled = super().prefill_generation(row)
        if filled is not None:
            return filled
        verdict = prefill_judgement(row)
        if verdict is None:
            return None
        return {self.cfg.generation_key: verdict, "judgement_correct": is_correct_judgement(verdict)}

    def postprocess_output(self, row: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        fields = super().postprocess_output(row, out)
        fields["judgement_correct"] = is_correct_judgement(fields.get(self.cfg.generation_key))
        return fields


if __name__ == "__main__":
    sys.exit(generate_main(None, MathJudgeTask, MathJudgeConfig))
