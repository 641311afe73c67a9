"""The KodCode recipe's real-scale plan under --dry-run on a Slurm config: stages, sizes, order, commands."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
RECIPE = ROOT / "recipes" / "kodcode" / "kodcode.py"

SLURM_CFG = """executor: slurm
containers: {vllm: vllm/vllm-openai:v0.10, nemo-skills: nsl:0.1, sandbox: nsl-sandbox:0.1}
mounts: ["%(ws)s:/workspace"]
partition: batch
account: my-account
timeouts: {batch: "04:00:00"}
registry_dir: %(reg)s
"""
ORDER = ["seeds", "questions-zero_shot", "questions-questions", "questions-snippets", "questions-docs",
         "parse-questions", "trials", "parse-trials", "verify-trials", "select", "convert", "parse-converted",
         "verify-converted", "export"]


def test_real_scale_plan(tmp_path: Path) -> None:
    (tmp_path / "cluster_configs").mkdir()
    (tmp_path / "cluster_configs" / "slurm.yaml").write_text(SLURM_CFG % {"ws": tmp_path / "ws", "reg": tmp_path / "reg"})
    p = subprocess.run([sys.executable, str(RECIPE), "--dry-run"], cwd=tmp_path, capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    assert p.returncode == 0, p.stderr
    lines = [line for line in p.stdout.splitlines() if line.startswith("[nsl dry-run]")]
    assert [re.search(r"stage kodcode-(\S+) ", line).group(1) for line in lines] == ORDER
    stage = dict(zip(ORDER, lines))
    assert "(generate): 10/10 unit(s)" in stage["trials"] and "vllm 1x8 GPUs" in stage["trials"]
    for name in ORDER[1:5] + ["convert"]:
        assert "(generate): 1/1" in stage[name] and "vllm 1x8 GPUs" in stage[name]
    assert "after" not in stage["seeds"] and all(" after " in stage[n] for n in ORDER[1:])

    ws = tmp_path / "ws" / "kodcode"
    specs = {n: json.loads(next(d.glob("*.json")).read_text()) for n, d in (
        ("trials", ws / "trials-gen" / "logs" / ".nsl"), ("docs", ws / "questions-gen" / "docs" / "logs" / ".nsl"),
        ("verify", ws / "trials" / "verified" / "logs" / ".nsl"), ("export", ws / "logs" / "export" / ".nsl"),
        ("select", ws / "logs" / "select" / ".nsl"))}
    trials = json.dumps(specs["trials"])
    for part in ("++prompt_config=kodcode/solution-and-tests", "++inference.temperature=1.0", "++inference.top_p=1.0",
                 "++inference.tokens_to_generate=8192", "++inference.random_seed=9", "/workspace/Qwen2.5-Coder-32B-Instruct",
                 "/workspace/kodcode/questions/questions.jsonl"):
        assert part in trials, part
    assert "++prompt_config=kodcode/question-from-doc" in json.dumps(specs["docs"])
    verify = json.dumps(specs["verify"])
    assert "nemo_skills_lite.code_execution.verify_task ++input_file=/workspace/kodcode/trials/trials.jsonl" in verify
    assert "++label_key=passed ++untested=fail" in verify and specs["verify"]["with_sandbox"] is True
    assert specs["verify"]["sandbox_container"] == "nsl-sandbox:0.1"
    assert "select_trials.py /workspace/kodcode/trials/verified/output.jsonl" in json.dumps(specs["select"])
    assert "--num-trials 10" in json.dumps(specs["select"])
    export = json.dumps(specs["export"])
    assert "++output_format=rl" in export and "kodcode_report.py /workspace/kodcode" in export
    assert "++tokenizer=Qwen/Qwen2.5-Coder-32B-Instruct" in export
    assert not list(ws.rglob("output*.jsonl"))  # nothing ran
