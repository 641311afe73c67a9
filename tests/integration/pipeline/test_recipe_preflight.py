"""A recipe is all-or-nothing: its stages form one graph submitted when the script ends, so a mistake in a late
stage stops it before the first stage is queued, with one line and no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.integration.pipeline.helpers import ROOT, write_config, write_input

RECIPE = """
from nemo_skills_lite.pipeline.cli import generate, run_cmd, wrap_arguments
from nemo_skills_lite.pipeline.recipe_args import parse_recipe_args, recipe_parser

ap = recipe_parser("a two-stage recipe")
ap.add_argument("--out")
ap.add_argument("--judge-override", default="")
args = parse_recipe_args(ap)
run_cmd(ctx=wrap_arguments(f"cp {args.out}/in.jsonl {args.out}/copy.jsonl"), cluster=args.cluster,
        expname="first", log_dir=f"{args.out}/logs")
generate(ctx=wrap_arguments(args.judge_override), cluster=args.cluster, generation_type="verify_code",
         input_file=f"{args.out}/copy.jsonl", output_dir=f"{args.out}/verified", expname="second", run_after="first")
"""


def _run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "recipe.py"
    script.write_text(RECIPE)
    cfg = write_config(tmp_path / "c.yaml", "local")
    write_input(tmp_path / "in.jsonl", 2)
    return subprocess.run([sys.executable, str(script), "--cluster", cfg, "--out", str(tmp_path), *extra],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_a_late_mistake_submits_nothing(tmp_path: Path) -> None:
    p = _run(tmp_path, "--judge-override", "++worker=2")  # the second stage's override is misspelt
    assert p.returncode == 1
    assert "error: " in p.stderr and "unknown key 'worker'" in p.stderr
    assert "Did you mean 'workers'" in p.stderr and "nothing was submitted" in p.stderr
    assert "Traceback" not in p.stderr
    registry = tmp_path / "registry"
    assert not list(registry.glob("*.json"))  # no real stage recorded: the first one was never queued
    assert not (tmp_path / "copy.jsonl").exists()


def test_a_good_recipe_runs(tmp_path: Path) -> None:
    p = _run(tmp_path)
    assert p.returncode == 0, p.stderr
    assert sorted(x.stem for x in (tmp_path / "registry").glob("*.json")) == ["first", "second"]
