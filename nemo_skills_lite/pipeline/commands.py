"""``nsl generate|run_cmd|eval|status|logs|cancel``: the CLI face of the recipe API.

The option parsers are built from the dataclasses in ``pipeline.options`` (declared once); ``++key=value``
arguments pass through as the task's overrides, like NeMo-Skills' ``ns generate ... ++x=y``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
from pathlib import Path
from typing import Any

from nemo_skills_lite.pipeline import options

_TRUE = {"1", "true", "yes", "on"}


def _converter(type_str: str):
    t = type_str.replace(" ", "")
    if t.startswith("bool"):
        return lambda v: str(v).lower() in _TRUE
    if t.startswith("int"):
        return int
    if t.startswith("list[int]"):
        return lambda v: [int(x) for x in v.split(",") if x]
    if t.startswith("dict"):
        return json.loads
    if t.startswith("str|list[int]"):
        return str  # '0..7' or '1,3': parsed by options.parse_ids
    if t.startswith("str|list[str]"):
        return lambda v: v.split(",") if "," in v else v
    return str


def parser_for(cls: type, prog: str) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog=prog, description=f"{cls.__doc__ or ''} Extra ++key=value args go to the task.")
    for f in dataclasses.fields(cls):
        conv = _converter(str(f.type))
        kw: dict[str, Any] = {"dest": f.name, "help": f.metadata.get("help", ""), "default": argparse.SUPPRESS}
        if str(f.type).startswith("bool"):
            kw.update(nargs="?", const=True, type=conv)
        else:
            kw["type"] = conv
        ap.add_argument(f"--{f.name}", *([f"--{f.name.replace('_', '-')}"] if "_" in f.name else []), **kw)
    return ap


def _split(cls: type, prog: str, argv: list[str]) -> tuple[dict[str, Any], list[str], list[str]]:
    ap = parser_for(cls, prog)
    ns, rest = ap.parse_known_args(argv)
    overrides = [a for a in rest if a.startswith("+")]
    positional = [a for a in rest if not a.startswith("+") and a != "--"]
    unknown = [a for a in positional if a.startswith("-")]
    if unknown:
        ap.error(f"unknown option(s): {' '.join(unknown)}")
    return vars(ns), overrides, positional


def generate_main(argv: list[str]) -> int:
    from nemo_skills_lite.pipeline.cli import generate, wrap_arguments

    kwargs, overrides, positional = _split(options.GenerateArgs, "nsl generate", argv)
    if positional:
        raise SystemExit(f"nsl generate: unexpected argument(s) {positional}; overrides look like ++key=value")
    generate(ctx=wrap_arguments(shlex.join(overrides)), **kwargs)
    return 0


def run_cmd_main(argv: list[str]) -> int:
    from nemo_skills_lite.pipeline.cli import run_cmd, wrap_arguments

    if "--" in argv:  # everything after -- is the command, verbatim
        i = argv.index("--")
        argv, command = argv[:i], shlex.join(argv[i + 1:])
        kwargs, overrides, positional = _split(options.RunCmdArgs, "nsl run_cmd", argv)
    else:
        kwargs, overrides, positional = _split(options.RunCmdArgs, "nsl run_cmd", argv)
        command = " ".join(positional + overrides)
    run_cmd(ctx=wrap_arguments(command), **kwargs)
    return 0


def eval_main(argv: list[str]) -> int:
    from nemo_skills_lite.pipeline.cli import eval as eval_, wrap_arguments

    kwargs, overrides, _ = _split(options.EvalArgs, "nsl eval", argv)
    eval_(ctx=wrap_arguments(shlex.join(overrides)), **kwargs)
    return 0


def _exp_parser(prog: str, expname_optional: bool = False) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog=prog)
    if expname_optional:
        ap.add_argument("expname", nargs="?", default=None, help="omit to list every stage in the registry")
    else:
        ap.add_argument("expname")
    ap.add_argument("--cluster", default=None)
    ap.add_argument("--config_dir", "--config-dir", default=None)
    return ap


def status_main(argv: list[str]) -> int:
    from nemo_skills_lite.pipeline.status import print_overview, print_status

    ap = _exp_parser("nsl status", expname_optional=True)
    a = ap.parse_args(argv)
    if a.expname is None:
        return print_overview(a.cluster, a.config_dir)
    return print_status(a.expname, a.cluster, a.config_dir)


def logs_main(argv: list[str]) -> int:
    from nemo_skills_lite.pipeline.status import print_logs

    ap = _exp_parser("nsl logs")
    ap.add_argument("--failed", action="store_true", help="only units that did not finish")
    ap.add_argument("--lines", type=int, default=40)
    a = ap.parse_args(argv)
    return print_logs(a.expname, a.cluster, a.config_dir, failed=a.failed, lines=a.lines)


def cancel_main(argv: list[str]) -> int:
    from nemo_skills_lite.pipeline.status import cancel

    a = _exp_parser("nsl cancel").parse_args(argv)
    return cancel(a.expname, a.cluster, a.config_dir)


__all__ = ["generate_main", "run_cmd_main", "eval_main", "status_main", "logs_main", "cancel_main", "Path"]
