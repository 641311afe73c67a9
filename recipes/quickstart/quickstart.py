"""Quick start: a real reasoning-data pipeline end to end on this machine (local executor).

    python recipes/quickstart/quickstart.py [--output-dir nsl_quickstart] [--num-problems 20] [--seeds 2]
        [--server-address URL --model NAME]   # any OpenAI-compatible endpoint instead of the local vLLM

GSM8K problems x seeds are solved by a model served with vLLM (SmolLM2-135M-Instruct on CPU by
default), graded against the reference answers, majority-voted where no solution matched, and
exported to SFT data with prepare_data. The same four calls run on Slurm with cluster="slurm".
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from nemo_skills_lite.pipeline.cli import generate, run_cmd, wait, wrap_arguments
from nemo_skills_lite.utils.errors import NslError, run_main

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data" / "gsm8k_test.jsonl"  # GSM8K test (openai/grade-school-math, MIT)
DEFAULT_MODEL = "/opt/nsl/models/smollm2-135m-instruct"
PORT = 18500


def prepare_problems(out: Path, n: int) -> Path:
    """GSM8K rows -> {problem, expected_answer} (the answer follows '####')."""
    rows = []
    for line in DATA.read_text().splitlines()[:n]:
        r = json.loads(line)
        rows.append({"problem": r["question"], "expected_answer": r["answer"].split("####")[-1].strip().replace(",", "")})
    path = out / "problems.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def start_server(model: str) -> str:
    p = subprocess.run(["bash", str(ROOT / "scripts" / "vllm_server.sh"), "start", model, str(PORT)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise NslError(f"could not start vLLM for {model}:\n{p.stderr[-3000:]}")
    return p.stdout.strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cluster", default="local")
    ap.add_argument("--output-dir", default="nsl_quickstart")
    ap.add_argument("--num-problems", type=int, default=20)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--model", default=DEFAULT_MODEL, help="model folder (local vLLM) or served name")
    ap.add_argument("--server-address", default=None, help="existing OpenAI-compatible endpoint")
    ap.add_argument("--tokenizer", default=None, help="tokenizer for SFT export (default: the model folder)")
    ap.add_argument("--tokens", type=int, default=384)
    a = ap.parse_args()
    out = Path(a.output_dir).resolve()
    t0 = time.time()
    problems = prepare_problems(out, a.num_problems)
    started = a.server_address is None
    url = a.server_address or start_server(a.model)
    name = Path(a.model).name if started else a.model
    print(f"[quickstart] {a.num_problems} GSM8K problems x {a.seeds} seeds with {name} at {url}")
    try:
        generate(ctx=wrap_arguments(f"++prompt_config=generic/math ++inference.temperature=0.7 "
                                    f"++inference.tokens_to_generate={a.tokens} ++max_concurrent_requests=16"),
                 cluster=a.cluster, input_file=str(problems), output_dir=str(out / "solutions"),
                 expname="qs-solve", server_address=url, model=name, num_random_seeds=a.seeds)
        run_cmd(ctx=wrap_arguments(f"python -m nemo_skills_lite.evaluation.evaluate "
                                   f"++input_files='{out}/solutions/output-rs*.jsonl' ++eval_type=math"),
                cluster=a.cluster, expname="qs-grade", run_after="qs-solve", log_dir=str(out / "logs" / "grade"))
        run_cmd(ctx=wrap_arguments(f"python {ROOT}/recipes/openreasoning/scripts/use_majority_if_no_answer.py "
                                   f"{out}/solutions {out}/maj-if-no-correct"),
                cluster=a.cluster, expname="qs-majority", run_after="qs-grade", log_dir=str(out / "logs" / "majority"))
        run_cmd(ctx=wrap_arguments(f"python -m nemo_skills_lite.evaluation.evaluate "
                                   f"++input_files='{out}/maj-if-no-correct/output-rs*.jsonl' ++eval_type=math"),
                cluster=a.cluster, expname="qs-regrade", run_after="qs-majority", log_dir=str(out / "logs" / "regrade"))
        run_cmd(ctx=wrap_arguments(
            f"python -m nemo_skills_lite.training.prepare_data ++input_files='{out}/maj-if-no-correct/output-rs*.jsonl' "
            f"++output_path={out}/sft.jsonl ++prompt_config=generic/math ++tokenizer={a.tokenizer or a.model} "
            f"++filters.remove_contaminated=false ++filters.remove_len_outlier_problems=false"),
            cluster=a.cluster, expname="qs-sft", run_after="qs-regrade", log_dir=str(out / "logs" / "sft"))
        status = wait("qs-sft", a.cluster)
    finally:
        if started:
            subprocess.run(["bash", str(ROOT / "scripts" / "vllm_server.sh"), "stop", str(PORT)], check=False)
    if status != "finished":
        print(f"[quickstart] a stage failed; see `nsl logs <expname> --failed --cluster {a.cluster}`", file=sys.stderr)
        return 1
    print("\n[quickstart] accuracy of the generated solutions (graded against GSM8K answers):")
    subprocess.run([sys.executable, "-m", "nemo_skills_lite.evaluation.summarize", str(out / "solutions")], check=False)
    sft = out / "sft.jsonl"
    kept = sum(1 for _ in sft.open()) if sft.exists() else 0
    funnel = out / "sft-report" / "funnel.txt"
    if funnel.exists():
        print(f"\n[quickstart] prepare_data funnel ({funnel.parent}/funnel.png):\n{funnel.read_text()}")
    if kept == 0 and started:
        print("[quickstart] note: SmolLM2-135M rarely puts its answer in \\boxed{}, so few or no solutions grade as "
              "correct; pass --server-address URL --model NAME (any OpenAI-compatible endpoint) for real quality.")
    print(f"\n[quickstart] done in {time.time() - t0:.0f}s: {kept} SFT rows in {sft}")
    print(f"  solutions:  {out}/solutions/output-rs*.jsonl (graded: predicted_answer, symbolic_correct)")
    print(f"  majority:   {out}/maj-if-no-correct/  (expected_answer replaced where no seed matched)")
    print(f"  status:     nsl status qs-solve --cluster {a.cluster}")
    return 0


if __name__ == "__main__":
    run_main(main)
