"""Benchmark definitions shipped as YAML data (``<name>.yaml`` next to this file).

``load(name)`` returns the definition as a dict with the keys in ``REQUIRED`` (plus the optional
ones in ``OPTIONAL``: ``description``, ``filters``, ``eval_args``, ``judge`` (an LLM judge stage the
benchmark defines: ``{prompt_config, generation_type}``), ``license``, ``availability``
(``offline``: the full data ships with the project's data folder or a registry package; ``hub``:
only a small test fixture ships, the real data comes from the hub with ``prepare --from-hf``)).
``eval_args`` is a string of ``++key=value`` options of the grading step (``configs/evaluation.py``,
e.g. ``"++numeric_tolerance=1e-4"`` for a set whose grader accepts rounded decimals), checked here
and appended to the grading command. Imports only stdlib and yaml: the login-node pipeline calls it
to plan ``eval(benchmarks="math:4,human-eval")``. Groups (``math``, ``code``, ...) and packing of
small benchmarks into jobs: ``groups.py``.

Prepared data lives in ``<data_dir>/<name>/<dataset_file>``; ``data_dir`` defaults to
``$NSL_BENCHMARK_DIR`` or ``~/.cache/nemo_skills_lite/benchmarks`` (see ``prepare``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from nemo_skills_lite.configs.evaluation import EVAL_TYPES, METRIC_TYPES
from nemo_skills_lite.utils.errors import NslError

HERE = Path(__file__).parent
REQUIRED = ("name", "dataset_file", "prompt_config", "eval_type", "metric_type", "num_seeds", "generation", "source")
OPTIONAL = ("description", "filters", "eval_args", "judge", "license", "availability")
AVAILABILITY = ("offline", "hub")
JUDGE_KEYS = ("prompt_config", "generation_type")


def available() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.yaml"))


def default_data_dir() -> Path:
    env = os.environ.get("NSL_BENCHMARK_DIR")
    return Path(env) if env else Path.home() / ".cache" / "nemo_skills_lite" / "benchmarks"


def _validate(spec: Any, path: Path) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise NslError(f"{path}: a benchmark definition must be a mapping")
    missing = [k for k in REQUIRED if k not in spec]
    if missing:
        raise NslError(f"{path}: missing key(s) {', '.join(missing)}; required: {', '.join(REQUIRED)}")
    unknown = sorted(set(spec) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise NslError(f"{path}: unknown key(s) {', '.join(unknown)}; valid: {', '.join(REQUIRED + OPTIONAL)}")
    for key, valid in (("eval_type", EVAL_TYPES), ("metric_type", METRIC_TYPES),
                       ("availability", AVAILABILITY)):
        if key in spec and spec[key] not in valid:
            raise NslError(f"{path}: {key}={spec[key]!r} is not one of {', '.join(valid)}")
    judge = spec.get("judge")
    if judge is not None and (not isinstance(judge, dict) or set(judge) - set(JUDGE_KEYS)
                              or "prompt_config" not in judge):
        raise NslError(f"{path}: judge={judge!r} must be a mapping with prompt_config (and optionally "
                       f"generation_type); valid keys: {', '.join(JUDGE_KEYS)}")
    if not isinstance(spec["source"], dict) or "format" not in spec["source"]:
        raise NslError(f"{path}: source must be a mapping with 'format' (and 'local' and/or 'hf')")
    if not isinstance(spec["num_seeds"], int) or spec["num_seeds"] < 1:
        raise NslError(f"{path}: num_seeds must be a positive integer, got {spec['num_seeds']!r}")
    if not isinstance(spec["generation"], dict):
        raise NslError(f"{path}: generation must be a mapping of inference defaults")
    if "eval_args" in spec:
        _check_eval_args(spec["eval_args"], path)
    return spec


def _check_eval_args(args: Any, path: Path) -> None:
    import dataclasses
    import shlex

    from nemo_skills_lite.configs.evaluation import EvaluateConfig
    valid = [f.name for f in dataclasses.fields(EvaluateConfig) if f.name not in ("input_files", "eval_type")]
    if not isinstance(args, str):
        raise NslError(f"{path}: eval_args must be a string of ++key=value options, got {args!r}")
    for item in shlex.split(args):
        key = item.lstrip("+").split("=", 1)[0]
        if not item.startswith("++") or "=" not in item or key not in valid:
            raise NslError(f"{path}: eval_args item {item!r} is not ++key=value with a grading option; "
                           f"valid keys: {', '.join(valid)}")


def load(name: str) -> dict[str, Any]:
    """The definition of benchmark ``name`` (a name from ``available()`` or a path to a YAML)."""
    path = Path(name) if name.endswith((".yaml", ".yml")) else HERE / f"{name}.yaml"
    if not path.is_file():
        raise NslError(f"unknown benchmark '{name}'; available: {', '.join(available())}")
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise NslError(f"{path}: not valid YAML ({e})") from None
    return _validate(spec, path)


def parse_benchmarks(arg: str) -> list[tuple[str, int]]:
    """'gsm8k:4,human-eval' -> [('gsm8k', 4), ('human-eval', <its default seeds>)]; a group name
    ('math:4') stands for its members, each with that number of seeds (see ``groups.py``)."""
    from nemo_skills_lite.benchmarks.groups import expand_groups

    out: list[tuple[str, int]] = []
    for item in (x.strip() for x in expand_groups(arg).split(",") if x.strip()):
        name, _, seeds = item.partition(":")
        spec = load(name)
        if seeds and (not seeds.isdigit() or int(seeds) < 1):
            raise NslError(f"benchmarks='{arg}': the number of seeds for '{name}' must be >= 1, got '{seeds}'")
        if spec["name"] in [n for n, _ in out]:
            raise NslError(f"benchmarks='{arg}' names '{spec['name']}' twice (directly or through a group)")
        out.append((spec["name"], int(seeds) if seeds else int(spec["num_seeds"])))
    if not out:
        raise NslError(f"benchmarks='{arg}' names no benchmark; available: {', '.join(available())}")
    return out


def dataset_path(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    spec = load(name)
    return Path(data_dir or default_data_dir()) / spec["name"] / spec["dataset_file"]


MATH_JUDGE = {"prompt_config": "judge/math", "generation_type": "math_judge"}


def judge_for(spec: dict[str, Any]) -> dict[str, str] | None:
    """The LLM judge stage ``eval(judge_model=...)`` adds for this benchmark: the benchmark's own
    ``judge`` (with ``generation_type`` defaulting to math_judge), else the math judge for math
    benchmarks, else None (code, multiple choice, IFEval and answer-judge are graded without a judge)."""
    if spec.get("judge"):
        return {**MATH_JUDGE, **spec["judge"]}
    return dict(MATH_JUDGE) if spec["eval_type"] == "math" else None
