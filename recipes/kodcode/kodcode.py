"""KodCode (arXiv 2503.02951): verified question-solution-test triplets from four question sources.

seeds -> question synthesis (one generate stage per subset: zero_shot topics, existing questions, code
snippets, documentation) -> parse + dedup questions -> N trials of solution + pytest tests per question
(generate x num_random_seeds) -> parse trials -> verify every trial in the sandbox -> keep questions with a
passing trial, pick the best trial, difficulty from the pass rate -> style conversion to stdin/stdout
(generate) -> parse -> verify again, keep passing conversions -> SFT (question -> solution) and RL
(question + tests) exports with prepare_data -> funnel report. See docs/recipes/kodcode.md.

    python recipes/kodcode/kodcode.py --cluster slurm --workspace /workspace --dry-run          # the real plan
    python recipes/kodcode/kodcode.py --cluster local --output-dir /tmp/kc --server-address URL \\
        --model NAME --tokenizer DIR --seeds-per-subset 2 --num-trials 2 --tokens-to-generate 32   # tiny, local
"""

from pathlib import Path

from nemo_skills_lite.pipeline.cli import generate, run_cmd, wrap_arguments
from nemo_skills_lite.pipeline.recipe_args import abs_path, chunking, parse_recipe_args, recipe_parser, server_kwargs

SCRIPTS = "/nemo_run/code/recipes/kodcode/scripts"
DATA = "/nemo_run/code/recipes/kodcode/data"
QUESTION_PROMPTS = {"zero_shot": "kodcode/question-zero-shot", "questions": "kodcode/question-from-question",
                    "snippets": "kodcode/question-from-snippet", "docs": "kodcode/question-from-doc"}

ap = recipe_parser(__doc__, cluster="slurm", server_type="vllm", server_gpus=8, server_nodes=1)
ap.add_argument("--workspace", type=abs_path, default="/workspace", help="default parent of --output-dir and --model")
ap.add_argument("--output-dir", type=abs_path, default=None, help="default: <workspace>/kodcode")
ap.add_argument("--model", default=None, help="default: <workspace>/Qwen2.5-Coder-32B-Instruct (the paper used GPT-4o)")
ap.add_argument("--tokenizer", default="Qwen/Qwen2.5-Coder-32B-Instruct",
                help="chat template of the SFT/RL inputs; 'none' leaves the plain question")
ap.add_argument("--topics", type=abs_path, default=f"{DATA}/topics.jsonl", help="zero_shot seeds: topic, subtopic[, focus]")
ap.add_argument("--questions", type=abs_path, default=f"{DATA}/questions.jsonl", help="questions seeds: seed_question")
ap.add_argument("--snippets", type=abs_path, default=f"{DATA}/snippets.jsonl", help="snippets seeds: snippet")
ap.add_argument("--docs", type=abs_path, default=f"{DATA}/docs.jsonl", help="docs seeds: package, doc")
ap.add_argument("--seeds-per-subset", type=int, default=0, help="first N seeds of each subset (0 = all)")
ap.add_argument("--num-trials", type=int, default=10, help="solution+tests attempts per question (KodCode: up to 10)")
ap.add_argument("--tokens-to-generate", type=int, default=8192)
ap.add_argument("--temperature", type=float, default=1.0)
ap.add_argument("--top-p", type=float, default=1.0)
ap.add_argument("--verify-chunks", type=int, default=None, help="split each sandbox verification into N jobs")
ap.add_argument("--min-question-chars", type=int, default=20)
ap.add_argument("--expname-prefix", default="kodcode")
args = parse_recipe_args(ap)

cluster = args.cluster
out = str(Path(args.output_dir or f"{args.workspace}/kodcode"))
model = server_kwargs(args, args.model or f"{args.workspace}/Qwen2.5-Coder-32B-Instruct")
sampling = (f"++inference.temperature={args.temperature} ++inference.top_p={args.top_p} "
            f"++inference.tokens_to_generate={args.tokens_to_generate} ")
P = args.expname_prefix


def cmd(name: str, command: str, after: str | list[str], with_sandbox: bool = False) -> str:
    """One run_cmd stage named <prefix>-<name>, after the given stage(s); returns its expname."""
    expname = f"{P}-{name}"
    run_cmd(ctx=wrap_arguments(command), cluster=cluster, expname=expname, run_after=after,
            log_dir=f"{out}/logs/{name}", with_sandbox=with_sandbox)
    return expname


def verify(name: str, rows: str, verified_dir: str, after: str) -> str:
    """A verify_code stage (chunked, resumable) with a sandbox service beside each job (its own container on
    Slurm); every row gets passed/verdict/tests_total, a malformed trial (no code or tests) verdict no_tests."""
    expname = f"{P}-{name}"
    generate(ctx=wrap_arguments("++label_key=passed ++untested=fail"), cluster=cluster, generation_type="verify_code",
             input_file=rows, output_dir=verified_dir, expname=expname, run_after=after,
             num_chunks=args.verify_chunks, dependent_jobs=args.dependent_jobs, with_sandbox=True)
    return expname


# 1. seed inputs: one file per question source
run_cmd(ctx=wrap_arguments(f"python {SCRIPTS}/build_seeds.py {out}/seeds --topics {args.topics} "
                           f"--questions {args.questions} --snippets {args.snippets} --docs {args.docs} "
                           f"--per-subset {args.seeds_per_subset}"),
        cluster=cluster, expname=f"{P}-seeds", log_dir=f"{out}/logs/seeds")

# 2. question synthesis, one stage per subset (each has its own prompt)
for subset, prompt in QUESTION_PROMPTS.items():
    generate(ctx=wrap_arguments(f"++prompt_config={prompt} {sampling}"), cluster=cluster,
             input_file=f"{out}/seeds/{subset}.jsonl", output_dir=f"{out}/questions-gen/{subset}",
             expname=f"{P}-questions-{subset}", run_after=f"{P}-seeds", **chunking(args), **model)

# 3. questions: extract, filter, de-duplicate
after = cmd("parse-questions", f"python {SCRIPTS}/parse_questions.py {out}/questions-gen "
            f"{out}/questions/questions.jsonl --min-chars {args.min_question_chars}",
            [f"{P}-questions-{s}" for s in QUESTION_PROMPTS])

# 4. N trials of solution + tests per question
generate(ctx=wrap_arguments(f"++prompt_config=kodcode/solution-and-tests {sampling}"), cluster=cluster,
         input_file=f"{out}/questions/questions.jsonl", output_dir=f"{out}/trials-gen", expname=f"{P}-trials",
         run_after=after, num_random_seeds=args.num_trials, **chunking(args), **model)

# 5-7. parse every trial into a pytest row, run all of them in the sandbox, select + difficulty
after = cmd("parse-trials", f"python {SCRIPTS}/parse_trials.py {out}/trials-gen {out}/trials/trials.jsonl",
            f"{P}-trials")
after = verify("verify-trials", f"{out}/trials/trials.jsonl", f"{out}/trials/verified", after)
after = cmd("select", f"python {SCRIPTS}/select_trials.py {out}/trials/verified/output.jsonl "
            f"{out}/selected/selected.jsonl --num-trials {args.num_trials}", after)

# 8-10. style conversion to stdin/stdout, parsed and verified again
generate(ctx=wrap_arguments(f"++prompt_config=kodcode/style-to-stdin {sampling}"), cluster=cluster,
         input_file=f"{out}/selected/selected.jsonl", output_dir=f"{out}/convert-gen", expname=f"{P}-convert",
         run_after=after, **chunking(args), **model)
after = cmd("parse-converted", f"python {SCRIPTS}/parse_converted.py {out}/convert-gen/output.jsonl "
            f"{out}/converted/converted.jsonl --direction to_stdin", f"{P}-convert")
after = verify("verify-converted", f"{out}/converted/converted.jsonl", f"{out}/converted/verified", after)

# 11. SFT (question -> verified solution) and RL (question + tests) exports, funnel report
tokenizer = "" if args.tokenizer.lower() == "none" else f"++tokenizer={args.tokenizer} "
prepare = ("python -m nemo_skills_lite.training.prepare_data ++input_key=question ++filters.trim_solutions=false "
           "++filters.remove_contaminated=false ++filters.remove_len_outlier_problems=false " + tokenizer)
cmd("export", f"python {SCRIPTS}/export_triplets.py {out}/selected/selected.jsonl {out}/export "
    f"--converted {out}/converted/verified/output.jsonl && "
    f"{prepare} ++preprocessed_dataset_files={out}/export/sft-input.jsonl ++output_key=response "
    f"++output_path={out}/export/kodcode-sft.jsonl && "
    f"{prepare} ++preprocessed_dataset_files={out}/export/rl-input.jsonl ++output_format=rl "
    f"++exclude_optional_keys=false ++output_path={out}/export/kodcode-rl.jsonl && "
    f"python {SCRIPTS}/kodcode_report.py {out}", after)
