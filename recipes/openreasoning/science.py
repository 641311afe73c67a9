"""OpenReasoning science data (OpenScience questions -> OpenScienceReasoning), runnable here and on Slurm.

The seed (../shared/reference/002_452423e86d401082.txt, "Science data") describes the steps; this is
them as stages chained with run_after:
  topics (topic, subtopic) x difficulties -> MCQ generation with few-shot examples (x seeds)
  -> parse/validate + exact dedup -> augmentation -> parse + merge -> R1 solutions (x seeds)
  -> majority vote sets expected_answer -> prepare_data keeps agreeing solutions of strong majorities.

    python recipes/openreasoning/science.py --cluster slurm --workspace /workspace            # real scale
    python recipes/openreasoning/science.py --cluster slurm --workspace /ws --dry-run         # just the plan
    python recipes/openreasoning/science.py --cluster local --workspace /tmp/sci \\
        --server-address http://127.0.0.1:8000 --model NAME --tokenizer DIR --max-topics 2 \\
        --subtopics-per-topic 1 --difficulties hard --questions-per-combination 2 \\
        --num-solutions 2 --question-tokens 256 --tokens-to-generate 512                   # small, local
"""

import shlex
from pathlib import Path

from nemo_skills_lite.pipeline.cli import generate, run_cmd, wrap_arguments
from nemo_skills_lite.pipeline.recipe_args import abs_path, chunking, parse_recipe_args, recipe_parser, server_kwargs
from nemo_skills_lite.utils.errors import NslError, run_main

SCRIPTS = "/nemo_run/code/recipes/openreasoning/scripts"
DEFAULT_TOPICS = "/nemo_run/code/recipes/openreasoning/data/science_topics.yaml"
DIFFICULTIES = "intermediate,complex,hard,brutal,borderline unsolvable"  # NeMo-Skills' question-generation levels

ap = recipe_parser(__doc__, cluster="slurm", server_type="sglang", server_gpus=8, server_nodes=2)
ap.add_argument("--workspace", type=abs_path, default="/workspace", help="outputs go to <workspace>/open-reasoning/")
ap.add_argument("--topics", type=abs_path, default=DEFAULT_TOPICS, help="YAML 'topic: [subtopics]' or JSONL {topic, subtopic}")
ap.add_argument("--difficulties", default=DIFFICULTIES, help="comma-separated difficulty levels")
ap.add_argument("--max-topics", type=int, default=None, help="use only the first N topics")
ap.add_argument("--subtopics-per-topic", type=int, default=None, help="draw K subtopics per topic (default: all)")
ap.add_argument("--topics-seed", type=int, default=0, help="seed of the subtopic draw")
ap.add_argument("--questions-per-combination", type=int, default=8,
                help="question-generation seeds: questions per (topic, subtopic, difficulty)")
ap.add_argument("--augmentations-per-question", type=int, default=1, help="augmentation seeds per kept question")
ap.add_argument("--extra-questions", type=abs_path, default=None, help="jsonl of existing MCQs ('problem' text) added to the pool")
ap.add_argument("--min-options", type=int, default=4, help="fewest options (A..) a kept question may have")
ap.add_argument("--question-model", default=None, help="default: <workspace>/Qwen2.5-32B-Instruct")
ap.add_argument("--question-temperature", type=float, default=1.0)
ap.add_argument("--question-top-p", type=float, default=0.95)
ap.add_argument("--question-tokens", type=int, default=2048, help="tokens per generated/augmented question")
ap.add_argument("--model", default=None, help="solution model; default: <workspace>/DeepSeek-R1-0528-tp16")
ap.add_argument("--tokenizer", default="Qwen/Qwen2.5-32B-Instruct", help="for prepare_data's chat template")
ap.add_argument("--num-solutions", type=int, default=16)
ap.add_argument("--tokens-to-generate", type=int, default=32768)
ap.add_argument("--min-majority-share", type=float, default=0.5,
                help="keep questions whose majority letter got at least this share of the solutions")


def main(argv: list[str] | None = None) -> int:
    args = parse_recipe_args(ap, argv)
    for name in ("questions_per_combination", "augmentations_per_question", "num_solutions", "question_tokens",
                 "tokens_to_generate"):
        if getattr(args, name) < 1:
            raise NslError(f"--{name.replace('_', '-')} {getattr(args, name)}: must be >= 1")
    if not 0.0 <= args.min_majority_share <= 1.0 or not 2 <= args.min_options <= 10:
        raise NslError("--min-majority-share must be in [0, 1] and --min-options in [2, 10]")

    ws = str(Path(args.workspace))
    sci = f"{ws}/open-reasoning/sdg/science"
    cluster = args.cluster
    q = shlex.quote
    questioner = server_kwargs(args, args.question_model or f"{ws}/Qwen2.5-32B-Instruct", nodes=1)
    solver = server_kwargs(args, args.model or f"{ws}/DeepSeek-R1-0528-tp16",
                           server_args=f"--load-format sharded_state --context-length {args.tokens_to_generate + 2000}")
    question_sampling = (f"++inference.temperature={args.question_temperature} ++inference.top_p={args.question_top_p} "
                         f"++inference.tokens_to_generate={args.question_tokens}")

    # 1. One question-generation prompt per (topic, subtopic, difficulty)
    topic_opts = "".join(f" --{k.replace('_', '-')} {v}" for k, v in
                         (("max_topics", args.max_topics), ("subtopics_per_topic", args.subtopics_per_topic)) if v)
    run_cmd(
        ctx=wrap_arguments(f"python {SCRIPTS}/science_topics.py {q(args.topics)} {sci}/topics.jsonl "
                           f"--difficulties {q(args.difficulties)} --seed {args.topics_seed}{topic_opts}"),
        cluster=cluster, expname="science-topics", log_dir=f"{sci}/topics-logs",
    )

    def question_stage(prompt: str, examples: str, source: str, out: str, expname: str, after: str, seeds: int):
        generate(ctx=wrap_arguments(f"++prompt_config={prompt} ++examples_type={examples} {question_sampling}"),
                 cluster=cluster, input_file=source, output_dir=out, expname=expname, run_after=after,
                 num_random_seeds=seeds, **chunking(args), **questioner)

    # 2. Questions from few-shot examples; every seed is another question for each prompt
    question_stage("science/question-generation", "science_questions", f"{sci}/topics.jsonl", f"{sci}/questions-raw",
                   "science-questions", "science-topics", args.questions_per_combination)

    # 3. Keep well-formed MCQs (options A.., none empty or repeated), exact dedup (+ existing questions)
    extra = f" --extra {q(args.extra_questions)}" if args.extra_questions else ""
    run_cmd(
        ctx=wrap_arguments(f"python {SCRIPTS}/parse_science_questions.py {sci}/questions.jsonl "
                           f"--input-dir {sci}/questions-raw --min-options {args.min_options}{extra}"),
        cluster=cluster, expname="science-questions-parse", run_after="science-questions",
        log_dir=f"{sci}/questions-logs",
    )

    # 4. Augmentation: a new question inspired by each kept one
    question_stage("science/question-augmentation", "science_augmentation", f"{sci}/questions.jsonl",
                   f"{sci}/augmented-raw", "science-augmentation", "science-questions-parse",
                   args.augmentations_per_question)

    # 5. Parse the augmented questions the same way and merge them after the originals
    run_cmd(
        ctx=wrap_arguments(f"python {SCRIPTS}/parse_science_questions.py {sci}/all-questions.jsonl "
                           f"--input-dir {sci}/augmented-raw --origin augmented --merge-with {sci}/questions.jsonl "
                           f"--min-options {args.min_options}"),
        cluster=cluster, expname="science-augmentation-parse", run_after="science-augmentation",
        log_dir=f"{sci}/all-questions-logs",
    )

    # 6. Solutions - this will take a lot of time and GPUs!
    generate(
        ctx=wrap_arguments("++prompt_config=generic/science-mcq ++inference.temperature=0.6 ++inference.top_p=0.95 "
                           f"++inference.tokens_to_generate={args.tokens_to_generate} "),
        cluster=cluster, input_file=f"{sci}/all-questions.jsonl", output_dir=f"{sci}/solutions",
        expname="r1-0528-science-solutions", run_after="science-augmentation-parse",
        num_random_seeds=args.num_solutions, **chunking(args), **solver,
    )

    # 7. No ground truth: the majority letter across the solutions becomes expected_answer
    run_cmd(
        ctx=wrap_arguments(f"python {SCRIPTS}/science_majority.py {sci}/solutions {sci}/solutions-majority "
                           f"--min-majority-share {args.min_majority_share}"),
        cluster=cluster, expname="science-majority", run_after="r1-0528-science-solutions",
        log_dir=f"{sci}/solutions-majority",
    )

    # 8. SFT data: solutions agreeing with a strong enough majority
    cmd = (
        "python -m nemo_skills_lite.training.prepare_data "
        f"    ++tokenizer={args.tokenizer} "
        "    ++prompt_config=generic/science-mcq "
        f"    ++input_files='{sci}/solutions-majority/output-rs*.jsonl' "
        f"    ++output_path={ws}/open-reasoning/sft-data-science.jsonl "
        "    ++filters.majority_filter=true "
        f"    ++majority_filter.min_majority_percentage={args.min_majority_share} "
        "    ++filters.drop_multi_boxed=false "
        "    ++filters.trim_prefix=false "
        "    ++filters.remove_no_think_tags=true "
        "    ++filters.remove_contaminated=false "
        "    ++filters.remove_len_outlier_solutions=false "
        "    ++filters.remove_len_outlier_problems=false "
    )
    run_cmd(
        ctx=wrap_arguments(cmd), cluster=cluster, expname="prepare-for-sft-science",
        run_after="science-majority", log_dir=f"{ws}/open-reasoning/sft-data-science-logs",
    )
    return 0


if __name__ == "__main__":
    run_main(main)
