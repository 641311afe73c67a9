"""Grading and reporting: math answers, majority votes, metrics, summaries.

- ``math_grader``: ``extract_answer``, ``math_equal`` (math-verify + normalisation + time limit)
- ``timeout_guard``: per-call wall-clock limits (signal or worker processes)
- ``majority``: exact / semantic majority answers; ``use_majority_if_no_answer``
- ``metrics``: pass@k, pass@1[avg-of-k] with std, majority@k, rm_best/rm_majority, no_answer
- ``summarize``: ``nsl summarize-results DIR`` tables and ``metrics.json``
- ``evaluate``: in-job grading of ``output-rs*.jsonl`` (math or code)

Nothing is imported here so ``import nemo_skills_lite.evaluation.metrics`` stays light.
"""
