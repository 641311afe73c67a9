"""Command-line arguments every recipe script shares: where to run, which server, how big.

    ap = recipe_parser(__doc__, server_type="sglang", server_gpus=8, server_nodes=2)
    ap.add_argument("--num-solutions", type=int, default=16)     # the recipe's own sizes
    args = parse_recipe_args(ap)                                  # --dry-run: the graph is a dry run
    generate(..., cluster=args.cluster, **server_kwargs(args, model))

``--server-address URL`` points every stage at an existing OpenAI-compatible endpoint (a vLLM server
on the login node, a hosted API) instead of starting a server per job; ``--model`` is then its name.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from nemo_skills_lite.pipeline.options import ServerArgs
from nemo_skills_lite.utils.errors import NslError


def _help(name: str) -> str:
    return ServerArgs.__dataclass_fields__[name].metadata["help"]


def abs_path(value: str) -> str:
    """``type=`` for path arguments: jobs do not run in the caller's folder, so a relative path is made
    absolute here (on a container cluster give the path the jobs see)."""
    return os.path.abspath(os.path.expanduser(value))


def recipe_parser(doc: str | None, *, cluster: str = "local", server_type: str = "vllm", server_gpus: int = 8,
                  server_nodes: int = 1) -> argparse.ArgumentParser:
    """A parser with the shared recipe arguments; the recipe adds its own sizes and paths."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_argument_group("where and how to run (shared by every recipe)")
    g.add_argument("--cluster", default=cluster, help="cluster config name or path (local, slurm, a YAML file)")
    g.add_argument("--dry-run", action="store_true", help="render every job script and print the plan; submit nothing")
    g.add_argument("--server-type", default=server_type, help=_help("server_type"))
    g.add_argument("--server-gpus", type=int, default=server_gpus, help=_help("server_gpus"))
    g.add_argument("--server-nodes", type=int, default=server_nodes, help=_help("server_nodes"))
    g.add_argument("--server-address", default=None,
                   help="use this OpenAI-compatible endpoint for every model instead of starting servers")
    g.add_argument("--num-chunks", type=int, default=None, help="split each generation stage into this many jobs")
    g.add_argument("--dependent-jobs", type=int, default=0, help="chained jobs per unit, so a time limit loses nothing")
    return ap


def parse_recipe_args(ap: argparse.ArgumentParser, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the recipe's arguments. The recipe is all-or-nothing without anything more: its stages form one
    graph, validated whole and submitted when the script ends (``pipeline.graph``); ``--dry-run`` makes that
    graph a dry run. A user error anywhere prints one line, no traceback."""
    from nemo_skills_lite.pipeline.graph import set_dry_run

    args = ap.parse_args(argv)
    sys.excepthook = _one_line_errors
    if args.dry_run:
        set_dry_run(True)
    return args


def _one_line_errors(kind: type[BaseException], err: BaseException, tb: Any) -> None:
    from nemo_skills_lite.pipeline import graph

    graph.mark_failed()
    if isinstance(err, NslError):
        print(f"error: {err}", file=sys.stderr)
    else:
        sys.__excepthook__(kind, err, tb)


def server_kwargs(args: argparse.Namespace, model: str, *, nodes: int | None = None,
                  server_args: str = "") -> dict[str, Any]:
    """``generate``/``eval`` keyword arguments for one model: a server per job, or the shared endpoint."""
    if args.server_address:
        return dict(model=model, server_address=args.server_address)
    kw: dict[str, Any] = dict(model=model, server_type=args.server_type, server_gpus=args.server_gpus,
                              server_nodes=nodes if nodes is not None else args.server_nodes)
    if server_args:
        kw["server_args"] = server_args
    return kw


def chunking(args: argparse.Namespace) -> dict[str, Any]:
    """``num_chunks`` and ``dependent_jobs`` for the heavy generation stages."""
    return dict(num_chunks=args.num_chunks, dependent_jobs=args.dependent_jobs)
