"""Layout boundaries from DESIGN.md, checked on the real import graph and source text."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[3] / "nemo_skills_lite"
HEAVY = ("torch", "transformers", "vllm", "sglang", "datasets", "sentence_transformers", "math_verify")


def test_pipeline_and_cluster_do_not_load_heavy_libraries() -> None:
    code = ("import sys, nemo_skills_lite.pipeline.cli, nemo_skills_lite.pipeline.eval_stages, "
            "nemo_skills_lite.pipeline.status, nemo_skills_lite.pipeline.commands, nemo_skills_lite.cluster.local\n"
            "from nemo_skills_lite.pipeline.planner import validate_overrides\n"
            "for t in ('generate', 'math_judge', 'check_contamination', 'evaluate'):\n"
            "    validate_overrides(t, ['++input_file=a', '++output_file=b', '++prompt_config=generic/math'] "
            "if t != 'evaluate' else ['++input_files=a'])\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"


def test_one_module_runs_scheduler_commands() -> None:
    pattern = re.compile(r"""["'](sbatch|squeue|scontrol|scancel)["']""")
    users = sorted(str(p.relative_to(PKG)) for p in PKG.rglob("*.py") if pattern.search(p.read_text()))
    assert users == ["cluster/slurm.py"]


def test_runtime_does_not_import_cluster() -> None:
    for p in (PKG / "runtime").rglob("*.py"):
        assert "nemo_skills_lite.cluster" not in p.read_text(), p
