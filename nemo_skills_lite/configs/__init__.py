"""Typed configs of in-job tasks, kept free of heavy imports.

They live here, not beside their tasks, so the login-node pipeline can validate ``++key=value``
overrides before anything is submitted without importing inference/ or training/ code.

``TASKS`` maps a task name (a ``generation_type`` or a module run by ``run_cmd``) to
(module run inside the job, "module:ConfigClass").
"""

from __future__ import annotations

TASKS: dict[str, tuple[str, str]] = {
    "generate": ("nemo_skills_lite.inference.generate", "nemo_skills_lite.configs.generation:GenerationConfig"),
    "math_judge": ("nemo_skills_lite.inference.math_judge", "nemo_skills_lite.configs.generation:MathJudgeConfig"),
    "check_contamination": ("nemo_skills_lite.inference.check_contamination",
                            "nemo_skills_lite.configs.generation:CheckContaminationConfig"),
    "verify_code": ("nemo_skills_lite.code_execution.verify_task",
                    "nemo_skills_lite.configs.verification:VerifyCodeConfig"),
    "evaluate": ("nemo_skills_lite.evaluation.evaluate", "nemo_skills_lite.configs.evaluation:EvaluateConfig"),
    "prepare_data": ("nemo_skills_lite.training.prepare_data", "nemo_skills_lite.configs.prepare_data:PrepareDataConfig"),
}
