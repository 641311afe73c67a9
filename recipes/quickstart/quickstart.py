"""Quick start: a real reasoning-data pipeline end to end on this machine (local executor).

    python recipes/quickstart/quickstart.py [--output-dir DIR] [--num-problems 20] [--seeds 4]
        [--server-address URL --model NAME]   # any OpenAI-compatible endpoint instead of the local vLLM

GSM8K problems x seeds are solved by a model served with vLLM (SmolLM2-135M-Instruct on CPU by
default, prompted with four worked examples so that it writes its answer in \\boxed{}), graded against
the reference answers and exported to SFT data with prepare_data. ``--use-majority`` adds the
OpenReasoning "majority answer where no generation matched" step. The same calls run on Slurm with
--cluster slurm. Outputs go to --output-dir, default $NSL_QUICKSTART_DIR or ~/nsl_quickstart.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from nemo_skills_lite.pipeline.cli import generate, run_cmd, wait, wrap_arguments
from nemo_skills_lite.utils.errors import NslError, run_main

sys.path.insert(0, str(Path(__file__).resolve().parent))
from qs_summary import print_summary  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data" / "gsm8k_test.jsonl"  # GSM8K test (openai/grade-school-math, MIT)
DEFAULT_MODEL = "/opt/nsl/models/smollm2-135m-instruct"
PORT = 18500
# Requests in flight. On 2 CPU cores one batch of 48 decoded 3.4x faster than batches of 16 (same outputs:
# every request carries its seed), so the quick start sends all its requests at once.
CONCURRENCY = 64


def default_output_dir() -> str:
    return os.environ.get("NSL_QUICKSTART_DIR") or str(Path.home() / "nsl_quickstart")


def solution_steps(answer: str) -> int:
    """Lines of the GSM8K reference solution before '####' (one calculation per line)."""
    return len([line for line in answer.split("####")[0].strip().splitlines() if line.strip()])


def prepare_problems(out: Path, n: int, max_steps: int) -> Path:
    """The first n GSM8K test rows whose reference solution has at most max_steps steps (0: any)
    -> {problem, expected_answer} (the answer follows '####')."""
    rows = []
    for line in DATA.read_text().splitlines():
        r = json.loads(line)
        if max_steps and solution_steps(r["answer"]) > max_steps:
            continue
        rows.append({"problem": r["question"], "expected_answer": r["answer"].split("####")[-1].strip().replace(",", "")})
        if len(rows) == n:
            break
    path = out / "problems.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def check_run_settings(out: Path, settings: dict) -> None:
    """Markers do not know the inputs changed: refuse to reuse an output folder made with other settings."""
    path = out / "quickstart.json"
    if path.exists():
        old = json.loads(path.read_text())
        diff = {k: (old.get(k), v) for k, v in settings.items() if old.get(k) != v}
        if diff:
            changes = ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in diff.items())
            raise NslError(f"{out} holds a quick start run made with other settings ({changes}); its finished "
                           "stages would be reused as they are. Pass a new --output-dir or delete that folder.")
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings, indent=1) + "\n")


def start_server(model: str) -> str:
    # 2 GiB of KV cache (the script's default is 1) so that all CONCURRENCY requests fit in one batch.
    env = dict(os.environ, VLLM_CPU_KVCACHE_SPACE=os.environ.get("VLLM_CPU_KVCACHE_SPACE", "2"))
    p = subprocess.run(["bash", str(ROOT / "scripts" / "vllm_server.sh"), "start", model, str(PORT)],
                       capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise NslError(f"could not start vLLM for {model}:\n{p.stderr[-3000:]}")
    return p.stdout.strip()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cluster", default="local")
    ap.add_argument("--output-dir", default=None, help="default: $NSL_QUICKSTART_DIR or ~/nsl_quickstart")
    ap.add_argument("--num-problems", type=int, default=20)
    ap.add_argument("--max-steps", type=int, default=2,
                    help="only GSM8K problems whose reference solution has at most this many steps (0: any)")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--model", default=DEFAULT_MODEL, help="model folder (local vLLM) or served name")
    ap.add_argument("--server-address", default=None, help="existing OpenAI-compatible endpoint")
    ap.add_argument("--tokenizer", default=None, help="tokenizer for SFT export (default: the model folder)")
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--temperature", type=float, default=0.7)
    ap.add_argument("--prompt-config", default="generic/math")
    ap.add_argument("--examples-type", default="gsm8k",
                    help="few-shot examples for generation (prompts/examples/NAME.yaml); 'none' for zero-shot")
    ap.add_argument("--use-majority", action="store_true",
                    help="OpenReasoning step: where no seed matched, the majority answer replaces expected_answer")
    a = ap.parse_args(argv)
    for name in ("num_problems", "seeds", "tokens"):
        if getattr(a, name) < 1:
            raise NslError(f"--{name.replace('_', '-')}={getattr(a, name)}: must be at least 1")
    if a.max_steps < 0:
        raise NslError(f"--max-steps={a.max_steps}: must be 0 (any) or more")
    return a


def submit_stages(a: argparse.Namespace, out: Path, problems: Path, url: str, name: str) -> Path:
    """The stages, chained with run_after; returns the folder prepare_data reads."""
    examples = "" if a.examples_type in ("", "none") else f"++examples_type={a.examples_type} "
    generate(ctx=wrap_arguments(f"++prompt_config={a.prompt_config} {examples}++inference.temperature={a.temperature} "
                                f"++inference.tokens_to_generate={a.tokens} ++max_concurrent_requests={CONCURRENCY}"),
             cluster=a.cluster, input_file=str(problems), output_dir=str(out / "solutions"),
             expname="qs-solve", server_address=url, model=name, num_random_seeds=a.seeds)
    run_cmd(ctx=wrap_arguments(f"python -m nemo_skills_lite.evaluation.evaluate "
                               f"++input_files='{out}/solutions/output-rs*.jsonl' ++eval_type=math"),
            cluster=a.cluster, expname="qs-grade", run_after="qs-solve", log_dir=str(out / "logs" / "grade"))
    graded, last = out / "solutions", "qs-grade"
    if a.use_majority:
        run_cmd(ctx=wrap_arguments(f"python {ROOT}/recipes/openreasoning/scripts/use_majority_if_no_answer.py "
                                   f"{out}/solutions {out}/maj-if-no-correct"),
                cluster=a.cluster, expname="qs-majority", run_after="qs-grade", log_dir=str(out / "logs" / "majority"))
        run_cmd(ctx=wrap_arguments(f"python -m nemo_skills_lite.evaluation.evaluate "
                                   f"++input_files='{out}/maj-if-no-correct/output-rs*.jsonl' ++eval_type=math"),
                cluster=a.cluster, expname="qs-regrade", run_after="qs-majority", log_dir=str(out / "logs" / "regrade"))
        graded, last = out / "maj-if-no-correct", "qs-regrade"
    # The SFT rows carry the zero-shot prompt: the few-shot examples only help the small model answer.
    run_cmd(ctx=wrap_arguments(
        f"python -m nemo_skills_lite.training.prepare_data ++input_files='{graded}/output-rs*.jsonl' "
        f"++output_path={out}/sft.jsonl ++prompt_config={a.prompt_config} ++tokenizer={a.tokenizer or a.model} "
        f"++filters.remove_contaminated=false ++filters.remove_len_outlier_problems=false"),
        cluster=a.cluster, expname="qs-sft", run_after=last, log_dir=str(out / "logs" / "sft"))
    return graded


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    out = Path(a.output_dir or default_output_dir()).expanduser().resolve()
    t0 = time.time()
    started = a.server_address is None
    name = Path(a.model).name if started else a.model
    check_run_settings(out, {k: getattr(a, k) for k in ("num_problems", "max_steps", "seeds", "tokens", "temperature",
                                                         "prompt_config", "examples_type", "use_majority")}
                       | {"model": name})
    problems = prepare_problems(out, a.num_problems, a.max_steps)
    n = sum(1 for _ in problems.open())
    url = a.server_address or start_server(a.model)
    t_server = time.time() - t0
    print(f"[quickstart] {n} GSM8K problems x {a.seeds} seeds with {name} at {url} (output: {out})")
    try:
        graded = submit_stages(a, out, problems, url, name)
        status = wait("qs-solve", a.cluster)
        t_solve = time.time() - t0 - t_server
        if status == "finished":
            status = wait("qs-sft", a.cluster)
    finally:
        if started:
            subprocess.run(["bash", str(ROOT / "scripts" / "vllm_server.sh"), "stop", str(PORT)], check=False)
    if status != "finished":
        print(f"[quickstart] a stage failed; see `nsl status --cluster {a.cluster}` and "
              f"`nsl logs <expname> --failed --cluster {a.cluster}`", file=sys.stderr)
        return 1
    gens, correct, kept = print_summary(out, graded, a.use_majority)
    total = time.time() - t0
    if kept == 0:
        print("[quickstart] note: no generation matched its reference answer, so there is nothing to export; "
              "try more --seeds, or --server-address URL --model NAME for a stronger model.")
    print(f"\n[quickstart] done in {total:.0f}s (server start {t_server:.0f}s, generation {t_solve:.0f}s): "
          f"{correct}/{gens} generations correct ({100 * correct / max(gens, 1):.1f}%), "
          f"{kept} SFT rows in {out}/sft.jsonl")
    print(f"  solutions:  {out}/solutions/output-rs*.jsonl (graded: predicted_answer, symbolic_correct)")
    print(f"  funnel:     {out}/sft-report/funnel.png")
    print(f"  status:     nsl status qs-solve --cluster {a.cluster}")
    return 0


if __name__ == "__main__":
    run_main(main)
