"""OpenReasoning math data (NeMo-Skills' dataset-construction recipe), runnable here and on Slurm.

The body below is the seed recipe (../shared/reference/002_452423e86d401082.txt) with the import renamed
and its paths and sizes turned into arguments; the steps and their options are the seed's:
(shard R1 for TP 16 over 2 nodes ->) R1 solutions x 16 seeds -> math_judge -> majority where nothing matched
-> re-judge -> prepare_data. The sharding step is the seed's command, unchanged (its paths aside); it is
skipped with --skip-sharding, and by default when --server-address points at an existing server.

    python recipes/openreasoning/math.py --cluster slurm --workspace /workspace             # the seed
    python recipes/openreasoning/math.py --cluster local --workspace /tmp/or --dry-run      # just the plan
    python recipes/openreasoning/math.py --cluster local --workspace /tmp/or --problems p.jsonl \\
        --server-address http://127.0.0.1:8000 --model NAME --judge-model NAME --tokenizer DIR \\
        --num-solutions 2 --tokens-to-generate 512                                           # small, local
"""

import argparse
from pathlib import Path

from nemo_skills_lite.pipeline.cli import generate, run_cmd, wrap_arguments
from nemo_skills_lite.pipeline.recipe_args import abs_path, parse_recipe_args, recipe_parser, server_kwargs

ap = recipe_parser(__doc__, cluster="slurm", server_type="sglang", server_gpus=8, server_nodes=2)
ap.add_argument("--workspace", type=abs_path, default="/workspace", help="folder holding open-reasoning/ (the seed's /workspace)")
ap.add_argument("--problems", type=abs_path, default=None, help="default: <workspace>/open-reasoning/sdg/math-problems.jsonl")
ap.add_argument("--model", default=None, help="default: <workspace>/DeepSeek-R1-0528-tp16 (the sharded R1)")
ap.add_argument("--base-model", type=abs_path, default=None, help="model to shard; default: <workspace>/DeepSeek-R1-0528")
ap.add_argument("--skip-sharding", action=argparse.BooleanOptionalAction, default=None,
                help="leave out the sharding step (default: skipped when --server-address is given)")
ap.add_argument("--judge-model", default=None, help="default: <workspace>/Qwen2.5-32B-Instruct")
ap.add_argument("--tokenizer", default="Qwen/Qwen2.5-32B-Instruct")
ap.add_argument("--num-solutions", type=int, default=16)
ap.add_argument("--tokens-to-generate", type=int, default=32768)
args = parse_recipe_args(ap)

ws = str(Path(args.workspace))
sdg = f"{ws}/open-reasoning/sdg"
cluster = args.cluster
tokens_to_generate = args.tokens_to_generate
num_solutions = args.num_solutions
sharded_model = args.model or f"{ws}/DeepSeek-R1-0528-tp16"
skip_sharding = args.skip_sharding if args.skip_sharding is not None else bool(args.server_address)
solver = server_kwargs(args, sharded_model,
                       server_args=f"--load-format sharded_state --context-length {tokens_to_generate + 2000}")
judge = server_kwargs(args, args.judge_model or f"{ws}/Qwen2.5-32B-Instruct", nodes=1)

# Optional, recommended: shard the checkpoint once so every server start skips re-sharding it
if not skip_sharding:
    cmd = (
        "python3 nemo_skills_lite/conversion/save_sharded_state.py "
        f"    --model-path={args.base_model or f'{ws}/DeepSeek-R1-0528'} "
        f"    --output={sharded_model} "
        f"    --tensor-parallel-size={max(1, args.server_gpus) * args.server_nodes} "
        "    --context-len=8192 "
        "    --trust-remote-code "
        f"    --nnodes {args.server_nodes} "
        "    --dist-init-addr $SLURM_MASTER_NODE:20000 "
        "    --node-rank $SLURM_PROCID "
    )

    run_cmd(
        ctx=wrap_arguments(cmd),
        cluster=cluster,
        num_gpus=args.server_gpus,
        num_nodes=args.server_nodes,
        container=args.server_type,
        log_dir=sharded_model,
        expname="r1-0528-shard",
    )

# Main generation - this will take a lot of time and GPUs!
generate(
    ctx=wrap_arguments(
        f"++prompt_config=generic/math "
        f"++inference.temperature=0.6 "
        f"++inference.tokens_to_generate={tokens_to_generate} "
    ),
    cluster=cluster,
    input_file=args.problems or f"{sdg}/math-problems.jsonl",
    output_dir=f"{sdg}/solutions",
    expname="r1-0528-math-solutions",
    run_after=None if skip_sharding else "r1-0528-shard",
    num_random_seeds=num_solutions,
    num_chunks=args.num_chunks,
    dependent_jobs=args.dependent_jobs,
    **solver,
)

# Judge step: compares the predicted and expected answers for each solution
generate(
    ctx=wrap_arguments(""),
    cluster=cluster,
    generation_type="math_judge",
    input_dir=f"{sdg}/solutions",
    output_dir=f"{sdg}/solutions-judged",
    expname="r1-0528-math-solutions-judge",
    run_after="r1-0528-math-solutions",
    num_random_seeds=num_solutions,
    **judge,
)

# Change "expected_answer" to the majority answer where not a single solution matched it
run_cmd(
    ctx=wrap_arguments(
        "python /nemo_run/code/recipes/openreasoning/scripts/use_majority_if_no_answer.py "
        f"    {sdg}/solutions-judged "
        f"    {sdg}/maj-if-no-correct "
    ),
    cluster=cluster,
    expname="change-to-majority-if-no-correct",
    run_after="r1-0528-math-solutions-judge",
    log_dir=f"{sdg}/maj-if-no-correct",
)

# Re-judge to keep matches with the new majority answer (0.5 vs 1/2 and the like)
generate(
    ctx=wrap_arguments(""),
    cluster=cluster,
    generation_type="math_judge",
    input_dir=f"{sdg}/maj-if-no-correct",
    output_dir=f"{sdg}/maj-if-no-correct-judged",
    expname="r1-0528-math-solutions-judge-after-majority",
    run_after="change-to-majority-if-no-correct",
    num_random_seeds=num_solutions,
    **judge,
)

# Convert to SFT data, keeping only what the judge accepted
cmd = (
    "python -m nemo_skills_lite.training.prepare_data "
    f"    ++tokenizer={args.tokenizer} "
    "    ++prompt_config=generic/math "
    f"    ++input_files='{sdg}/maj-if-no-correct-judged/output-rs*.jsonl' "
    f"    ++output_path={ws}/open-reasoning/sft-data-math.jsonl "
    "    ++filters.drop_multi_boxed=false "
    "    ++filters.trim_prefix=false "
    "    ++filters.remove_no_think_tags=true "
    "    ++filters.remove_contaminated=false "  # OpenMathReasoning is already decontaminated
    "    ++filters.remove_len_outlier_solutions=false "
    "    ++filters.remove_len_outlier_problems=false "
    "    ++use_judgement=true "
)
run_cmd(
    ctx=wrap_arguments(cmd),
    cluster=cluster,
    log_dir=f"{ws}/open-reasoning/sft-data-math-logs",
    expname="prepare-for-sft-math",
    run_after="r1-0528-math-solutions-judge-after-majority",
)
