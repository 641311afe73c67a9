"""Typed config of the in-job grading step ``python -m nemo_skills_lite.evaluation.evaluate``
(stdlib only, so the login node can validate ``++`` overrides before submitting).

Key names follow NeMo-Skills' ``evaluate_results`` where they exist (``input_files``,
``eval_type``, ``eval_config.timeout``-style options are flattened here).
"""

from __future__ import annotations

from dataclasses import dataclass

from nemo_skills_lite.utils.errors import NslError

EVAL_TYPES = ("math", "code")


@dataclass
class EvaluateConfig:
    input_files: str | None = None  # glob(s), comma/space separated, e.g. 'DIR/output-rs*.jsonl'
    eval_type: str = "math"  # math | code
    # math
    timeout: float = 10.0  # seconds per (expected, predicted) pair; a timeout grades as wrong
    take_modulo: int | None = None  # compare integers modulo this (e.g. 1000)
    numeric_precision: int = 15
    extract_from_boxed: bool = True
    extract_regex: str = "The final answer is (.+)$"
    use_predicted_answer_key: bool = False  # grade the existing predicted_answer instead of re-extracting
    workers: int = 0  # grader processes; 0 = number of cores
    # code
    code_time_limit: float | None = None  # seconds per test; None = the sandbox default
    allow_unisolated: bool = False  # run code without bubblewrap (trusted code only)

    def validate(self) -> None:
        if not self.input_files:
            raise NslError("evaluate: ++input_files is required, e.g. ++input_files='DIR/output-rs*.jsonl'")
        if self.eval_type not in EVAL_TYPES:
            raise NslError(f"evaluate: ++eval_type={self.eval_type!r} is not one of {', '.join(EVAL_TYPES)}")
        if self.timeout <= 0:
            raise NslError(f"evaluate: ++timeout must be > 0 seconds, got {self.timeout}")
        if self.workers < 0:
            raise NslError(f"evaluate: ++workers must be >= 0, got {self.workers}")
        if self.take_modulo is not None and self.take_modulo <= 0:
            raise NslError(f"evaluate: ++take_modulo must be a positive integer, got {self.take_modulo}")
