"""OpenCodeReasoning (Ahmad et al., 2025): competitive-programming SFT data distilled from DeepSeek-R1.

problems from TACO/APPS/CodeContests/CodeForces, exact dedup -> decontamination against the evaluation
benchmarks (10-gram overlap + embedding cosine >= 0.7, then an LLM check) -> R1 solutions (temperature 0.6,
top-p 0.95, up to 16k tokens) x seeds, per language -> sandbox pass/fail (a verify_code stage: seeds x chunks, resumable) -> prepare_data with the OCR
filters (truncation, <think> tags, code in reasoning, final ```python/```cpp block, tree-sitter syntax)
-> SFT jsonl + funnel report; optionally evaluation of a model on CodeContests / LiveCodeBench (pass@1) and
the reasoning-pattern analysis (two segmentation prompts, frequencies by correctness and difficulty).

    python recipes/opencodereasoning/ocr.py --cluster slurm --workspace /workspace --dry-run     # the real plan
    python recipes/opencodereasoning/ocr.py --cluster local --workspace /tmp/ocr \\
        --source taco=taco.jsonl --source code_contests=cc_hf_folder --benchmark-source-dir DATA \\
        --server-address http://127.0.0.1:8000 --model NAME --decontam-llm-model NAME --tokenizer DIR \\
        --no-embeddings --num-solutions 2 --tokens-to-generate 512                              # small, local
See docs/recipes/opencodereasoning.md for every stage and output.
"""

import shlex
import sys
from pathlib import Path

from nemo_skills_lite.pipeline.cli import eval, generate, run_cmd, wrap_arguments
from nemo_skills_lite.pipeline.recipe_args import abs_path, chunking, parse_recipe_args, recipe_parser, server_kwargs

sys.path.insert(0, str(Path(__file__).resolve().parent / "scripts"))
from ocr_commands import sft_overrides  # noqa: E402  (the SFT step's overrides, shared with the tests)

SCRIPTS = "/nemo_run/code/recipes/opencodereasoning/scripts"
LANGUAGES = ("python", "cpp")

ap = recipe_parser(__doc__, cluster="slurm", server_type="sglang", server_gpus=8, server_nodes=2)
ap.add_argument("--workspace", type=abs_path, default="/workspace", help="outputs go to <workspace>/open-code-reasoning/")
ap.add_argument("--expname-prefix", default="ocr", help="every stage's expname starts with this")
g = ap.add_argument_group("problems")
g.add_argument("--source", action="append", default=[],
               help="NAME=SPEC (taco, apps, code_contests, codeforces; HF id, save_to_disk folder or files), "
                    "repeatable; default: the four HuggingFace datasets")
g.add_argument("--max-per-source", type=int, default=None, help="read only the first N rows of each source")
g.add_argument("--max-problems", type=int, default=None, help="generate for at most N problems")
g = ap.add_argument_group("decontamination")
g.add_argument("--decontam-benchmarks", default="codecontests,livecodebench")
g.add_argument("--benchmark-dir", type=abs_path, default=None, help="prepared benchmark data (default: <workspace>/benchmarks)")
g.add_argument("--benchmark-source-dir", type=abs_path, default=None,
               help="local copies for benchmarks.prepare --source-dir (default: --from-hf)")
g.add_argument("--no-embeddings", action="store_true", help="n-gram overlap only (no embedding model)")
g.add_argument("--embedding-model", default=None, help="sentence-transformers folder (default: all-MiniLM-L6-v2)")
g.add_argument("--decontam-threshold", type=float, default=0.7)
g.add_argument("--ngram", type=int, default=10)
g.add_argument("--no-llm-check", action="store_true", help="count every similar pair as contaminated")
g.add_argument("--decontam-llm-model", default=None, help="default: <workspace>/Qwen2.5-32B-Instruct")
g = ap.add_argument_group("solutions")
g.add_argument("--model", default=None, help="default: <workspace>/DeepSeek-R1")
g.add_argument("--languages", default="python", help="python, cpp or python,cpp")
g.add_argument("--num-solutions", type=int, default=25, help="seeds per problem (736,712 / 28,904 ~ 25)")
g.add_argument("--tokens-to-generate", type=int, default=16384)
g.add_argument("--temperature", type=float, default=0.6)
g.add_argument("--top-p", type=float, default=0.95)
g.add_argument("--no-verify", action="store_true", help="skip running the solutions against the tests")
g.add_argument("--verify-chunks", type=int, default=None, help="split each seed's sandbox verification into N jobs")
g.add_argument("--tokenizer", default="Qwen/Qwen2.5-32B-Instruct", help="chat template of the SFT data")
g = ap.add_argument_group("evaluation (optional)")
g.add_argument("--eval-model", default=None, help="evaluate this model (e.g. the SFT result) with eval()")
g.add_argument("--eval-benchmarks", default="codecontests,livecodebench")
g.add_argument("--eval-tokens-to-generate", type=int, default=None, help="default: the benchmarks' (16384)")
g = ap.add_argument_group("reasoning patterns (optional)")
g.add_argument("--reasoning-patterns", action="store_true", help="run the two-stage segmentation + report")
g.add_argument("--patterns-model", default=None, help="default: <workspace>/Qwen2.5-32B-Instruct")
g.add_argument("--patterns-max-rows", type=int, default=2000)
g.add_argument("--patterns-tokens-to-generate", type=int, default=16384)
args = parse_recipe_args(ap)

ws = str(Path(args.workspace))
out = f"{ws}/open-code-reasoning"
bench_dir = args.benchmark_dir or f"{ws}/benchmarks"
judge_model = f"{ws}/Qwen2.5-32B-Instruct"
languages = [x.strip() for x in args.languages.split(",") if x.strip()]
if not languages or any(x not in LANGUAGES for x in languages):
    ap.error(f"--languages {args.languages!r}: give a comma list of {', '.join(LANGUAGES)}")
p = args.expname_prefix
cluster = args.cluster
q = shlex.quote
stages = []


def cmd_stage(expname: str, cmd: str, run_after, log_dir: str) -> str:
    run_cmd(ctx=wrap_arguments(cmd), cluster=cluster, expname=expname, run_after=run_after, log_dir=log_dir)
    stages.append(expname)
    return expname


# 1. problems: four sources -> one row shape, exact dedup across sources
problems = f"{out}/problems/problems.jsonl"
cmd = f"python {SCRIPTS}/prepare_problems.py --output {q(problems)}"
for name, _, spec in (s.partition("=") for s in args.source):  # a local file or folder: absolute, jobs run elsewhere
    cmd += f" --source {q(name + '=' + (abs_path(spec) if Path(spec.split('@')[0]).exists() else spec))}"
cmd += f" --max-per-source {args.max_per_source}" if args.max_per_source else ""
problems_exp = cmd_stage(f"{p}-problems", cmd, None, f"{out}/problems/logs")

# 2. benchmark data: decontamination references and evaluation sets
bench_names = sorted({b.split(":")[0] for b in args.decontam_benchmarks.split(",") + args.eval_benchmarks.split(",")
                      if b.strip()})
src = f"--source-dir {q(args.benchmark_source_dir)}" if args.benchmark_source_dir else "--from-hf"
bench_exp = cmd_stage(f"{p}-benchmarks", f"python -m nemo_skills_lite.benchmarks.prepare {' '.join(bench_names)} "
                      f"{src} --output-dir {q(bench_dir)}", None, f"{bench_dir}/logs")

# 3. decontamination: similarity, then the LLM check of the flagged pairs
dc = f"{out}/decontam"
cmd = f"python -m nemo_skills_lite.data.decontam_cli {q(problems)} --output-dir {q(dc)} --key problem " \
      f"--threshold {args.decontam_threshold} --ngram {args.ngram}"
cmd += "".join(f" --benchmark {b}={q(f'{bench_dir}/{b}/test.jsonl')}:question"
               for b in sorted({b.split(':')[0] for b in args.decontam_benchmarks.split(",") if b.strip()}))
cmd += " --no-embeddings" if args.no_embeddings else ""
cmd += f" --model {q(args.embedding_model)}" if args.embedding_model else ""
decontam_exp = cmd_stage(f"{p}-decontam", cmd, [problems_exp, bench_exp], f"{dc}/logs")
if not args.no_llm_check:
    generate(ctx=wrap_arguments(""), cluster=cluster, generation_type="check_contamination",
             input_file=f"{dc}/check_contamination_input.jsonl", output_dir=f"{dc}/checked",
             expname=f"{p}-decontam-llm", run_after=decontam_exp,
             **server_kwargs(args, args.decontam_llm_model or judge_model, nodes=1))
    stages.append(f"{p}-decontam-llm")
    decontam_exp = cmd_stage(f"{p}-decontam-flags", f"python -m nemo_skills_lite.data.decontam_cli {q(problems)} "
                             f"--output-dir {q(dc)} --key problem --llm-flags {q(f'{dc}/checked/output.jsonl')}",
                             f"{p}-decontam-llm", f"{dc}/logs")
clean = f"{out}/problems/clean.jsonl"
cmd = f"python {SCRIPTS}/clean_problems.py {q(problems)} {q(clean)} --contamination {q(f'{dc}/contamination.jsonl')}"
cmd += f" --max-problems {args.max_problems}" if args.max_problems else ""
clean_cpp = f"{out}/problems/clean-cpp.jsonl"  # without the call-based (Python function) problems
cmd += f" --cpp-output {q(clean_cpp)}" if "cpp" in languages else ""
clean_exp = cmd_stage(f"{p}-clean-problems", cmd, decontam_exp, f"{out}/problems/logs")

# 4. solutions per language, sandbox pass/fail, prepare_data with the OCR filters
solver = server_kwargs(args, args.model or f"{ws}/DeepSeek-R1")
sft_files, verified = {}, {}
for lang in languages:
    sol = f"{out}/solutions/{lang}"
    generate(ctx=wrap_arguments(f"++prompt_config=opencodereasoning/{lang}-solution "
                                f"++inference.temperature={args.temperature} ++inference.top_p={args.top_p} "
                                f"++inference.tokens_to_generate={args.tokens_to_generate}"),
             cluster=cluster, input_file=clean_cpp if lang == "cpp" else clean, output_dir=sol,
             expname=f"{p}-solutions-{lang}", run_after=clean_exp,
             num_random_seeds=args.num_solutions, **chunking(args), **solver)
    stages.append(last := f"{p}-solutions-{lang}")
    if not args.no_verify:
        ver = f"{out}/verified/{lang}"
        generate(ctx=wrap_arguments(""), cluster=cluster, generation_type="verify_code", input_dir=sol, output_dir=ver,
                 expname=f"{p}-verify-{lang}", run_after=last, num_random_seeds=args.num_solutions,
                 num_chunks=args.verify_chunks, dependent_jobs=args.dependent_jobs, with_sandbox=True)
        stages.append(last := f"{p}-verify-{lang}")
        sol = verified[lang] = ver
    sft = sft_files[lang] = f"{out}/sft/sft-{lang}.jsonl"
    cmd = "python -m nemo_skills_lite.training.prepare_data " + shlex.join(
        sft_overrides(lang, f"{sol}/output-rs*.jsonl", sft, f"{out}/sft/rejected-{lang}.jsonl", args.tokenizer))
    cmd_stage(f"{p}-sft-{lang}", cmd, last, f"{out}/sft/logs")

# 5. optional: evaluate a model on the code benchmarks (pass@1)
if args.eval_model:
    extra = f"++inference.tokens_to_generate={args.eval_tokens_to_generate}" if args.eval_tokens_to_generate else ""
    eval(ctx=wrap_arguments(extra), cluster=cluster, expname=f"{p}-eval", benchmarks=args.eval_benchmarks,
         output_dir=f"{out}/eval", data_dir=bench_dir, run_after=bench_exp,
         **server_kwargs(args, args.eval_model, nodes=1))
    stages.append(f"{p}-eval")

# 6. optional: reasoning patterns of the first language's solutions (stage 1, mark the rest, stage 2, report)
if args.reasoning_patterns:
    lang, pat = languages[0], f"{out}/patterns"
    src_dir = verified.get(lang, f"{out}/solutions/{lang}")
    rejected = "" if lang in verified else f" --rejected {q(f'{out}/sft/rejected-{lang}.jsonl')}"
    after = f"{p}-verify-{lang}" if lang in verified else f"{p}-sft-{lang}"
    last = cmd_stage(f"{p}-patterns-input", f"python {SCRIPTS}/reasoning_patterns.py prepare {q(src_dir)} "
                     f"{q(f'{pat}/input.jsonl')}{rejected} --max-rows {args.patterns_max_rows}", after, f"{pat}/logs")
    segmenter = server_kwargs(args, args.patterns_model or judge_model, nodes=1)
    for stage, inp in (("initial", f"{pat}/input.jsonl"), ("final", f"{pat}/final-input.jsonl")):
        generate(ctx=wrap_arguments(f"++prompt_config=opencodereasoning/reasoning-patterns-{stage} "
                                    f"++inference.temperature=0.0 "
                                    f"++inference.tokens_to_generate={args.patterns_tokens_to_generate}"),
                 cluster=cluster, input_file=inp, output_dir=f"{pat}/{stage}", expname=f"{p}-patterns-{stage}",
                 run_after=last, **segmenter)
        stages.append(last := f"{p}-patterns-{stage}")
        if stage == "initial":
            last = cmd_stage(f"{p}-patterns-mark", f"python {SCRIPTS}/reasoning_patterns.py mark "
                             f"{q(f'{pat}/initial/output.jsonl')} {q(f'{pat}/annotated.jsonl')} "
                             f"{q(f'{pat}/final-input.jsonl')}", last, f"{pat}/logs")
    cmd_stage(f"{p}-patterns-report", f"python {SCRIPTS}/reasoning_patterns.py report {q(f'{pat}/annotated.jsonl')} "
              f"{q(f'{pat}/final/output.jsonl')} {q(f'{pat}/report')}", last, f"{pat}/logs")

print(f"[ocr] {len(stages)} stages submitted: {', '.join(stages)}")
print(f"[ocr] problems: {problems} (+ .report.json); decontamination: {dc}/report.txt; "
      + "; ".join(f"SFT {lang}: {f} (funnel: {f.removesuffix('.jsonl')}-report/)" for lang, f in sft_files.items()))
