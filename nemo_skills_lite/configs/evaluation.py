"""Typed config of the in-job grading step ``python -m nemo_skills_lite.evaluation.evaluate``
(stdlib only, so the login node can validate ``++`` overrides before submitting).

Key names follow NeMo-Skills' ``evaluate_results`` where they exist (``input_files``,
``eval_type``, ``eval_config.timeout``-style options are flattened here).
"""

from __future__ import annotations

from dataclasses import dataclass

from nemo_skills_lite.utils.errors import NslError

# How a generation is graded (evaluate.py) and how graded rows are aggregated (metrics), with
# NeMo-Skills' names. ``answer-judgement``: the generation is a judge's verdict on a given answer.
EVAL_TYPES = ("math", "code", "multichoice", "ifeval", "answer-judgement")
# lean4-proof: metrics only (rows graded by a Lean server elsewhere carry proof_status)
METRIC_TYPES = ("math", "code", "multichoice", "ifeval", "answer-judgement", "lean4-proof")


@dataclass
class EvaluateConfig:
    input_files: str | None = None  # glob(s), comma/space separated, e.g. 'DIR/output-rs*.jsonl'
    eval_type: str = "math"  # math | code | multichoice | ifeval | answer-judgement
    # math
    timeout: float = 10.0  # seconds per (expected, predicted) pair; a timeout grades as wrong
    take_modulo: int | None = None  # compare integers modulo this (e.g. 1000)
    numeric_precision: int = 15
    # relative tolerance for decimal approximations of exact answers ("0.9091" for 10/11 at 1e-4), for
    # sets whose graders accept rounded decimals; None = exact (math-verify: floats rounded to 6 decimals)
    numeric_tolerance: float | None = None
    # answer extraction (evaluation/answer_extraction.py); defaults = NeMo-Skills: the last \boxed{} only
    extract_from_boxed: bool = True
    extract_regex: str = "The final answer is (.+)$"  # used instead of \boxed{} when extract_from_boxed=false
    join_boxes: bool = False  # "\boxed{1} and \boxed{-2}" -> "1, -2" (Math-Verify); NeMo-Skills takes the last box
    extract_phrases: bool = False  # fallback: "The final answer is X", "Final Answer: X", "#### X", ...
    extract_mcq_letter: bool = False  # rows whose expected answer is a letter: "Answer: B", \boxed{\text{(B) 4}}
    extract_last_math: bool = False  # fallback: the last $...$ / \[...\] / \(...\) of the generation
    extract_last_number: bool = False  # last fallback: the last number in the generation
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
        if self.numeric_tolerance is not None and not 0 < self.numeric_tolerance < 1:
            raise NslError(f"evaluate: ++numeric_tolerance is a relative tolerance in (0, 1), e.g. 1e-4; "
                           f"got {self.numeric_tolerance}")
        if self.take_modulo is not None and self.take_modulo <= 0:
            raise NslError(f"evaluate: ++take_modulo must be a positive integer, got {self.take_modulo}")
