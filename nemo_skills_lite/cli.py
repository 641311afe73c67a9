"""The ``nsl`` console script: a thin dispatcher to commands that live with their subsystems.

Each command is ``module:function`` taking ``argv: list[str]`` and returning an exit code; the
module is imported only when its command runs, so ``nsl status`` never loads torch.
``NslError`` is printed as one clear line (no traceback) and exits with code 2.
"""

from __future__ import annotations

import importlib
import sys

from nemo_skills_lite.utils.errors import NslError

COMMANDS: dict[str, tuple[str, str]] = {
    # pipeline (submission and bookkeeping)
    "generate": ("nemo_skills_lite.pipeline.commands", "generate_main"),
    "run_cmd": ("nemo_skills_lite.pipeline.commands", "run_cmd_main"),
    "eval": ("nemo_skills_lite.pipeline.commands", "eval_main"),
    "status": ("nemo_skills_lite.pipeline.commands", "status_main"),
    "logs": ("nemo_skills_lite.pipeline.commands", "logs_main"),
    "cancel": ("nemo_skills_lite.pipeline.commands", "cancel_main"),
    # work that runs anywhere (login node, job, laptop)
    "verify-code": ("nemo_skills_lite.code_execution.cli", "main"),
    "summarize-results": ("nemo_skills_lite.evaluation.summarize", "main"),
    "prepare-data": ("nemo_skills_lite.training.prepare_data", "main"),
    "prepare-benchmarks": ("nemo_skills_lite.benchmarks.prepare", "main"),
    "evaluate": ("nemo_skills_lite.evaluation.evaluate", "main"),
    "dedup": ("nemo_skills_lite.data.dedup", "main"),
    "decontaminate": ("nemo_skills_lite.data.decontam_cli", "main"),
}

HELP = {
    "generate": "submit a generation stage (see the Python API nemo_skills_lite.pipeline.cli.generate)",
    "run_cmd": "submit a command stage",
    "eval": "submit an evaluation on named benchmarks",
    "status": "table of an experiment's jobs and their states",
    "logs": "print an experiment's job logs (--failed for failed ones)",
    "cancel": "cancel an experiment's jobs",
    "verify-code": "run code rows against their tests in the sandbox",
    "summarize-results": "print metrics tables for an eval output folder",
    "prepare-data": "filter and export SFT/RL data (same as python -m nemo_skills_lite.training.prepare_data)",
    "prepare-benchmarks": "write <data_dir>/<benchmark>/test.jsonl from local files or HuggingFace",
    "evaluate": "grade generation files in place (math or code)",
    "dedup": "exact and MinHash near-duplicate removal over problems",
    "decontaminate": "flag problems close to benchmark items (n-grams, embeddings, LLM check files)",
}


def _usage() -> str:
    lines = ["usage: nsl COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<18} {HELP[name]}" for name in COMMANDS]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"nsl: unknown command '{name}'.\n\n{_usage()}", file=sys.stderr)
        return 2
    module, func = COMMANDS[name]
    try:
        fn = getattr(importlib.import_module(module), func)
        return int(fn(rest) or 0)
    except NslError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
