"""Jobs run the code as it was submitted: a chained stage that starts after the user edited their checkout
still runs the snapshot taken at submission (real local Slurm)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.pipeline.helpers import ROOT, wait_stage, write_config

pytestmark = [pytest.mark.slurm]

RECIPE = """
from nemo_skills_lite.pipeline.cli import run_cmd, wrap_arguments
cfg, gate, out, logs = {cfg!r}, {gate!r}, {out!r}, {logs!r}
run_cmd(ctx=wrap_arguments(f"while [ ! -e {{gate}} ]; do sleep 0.3; done"), cluster=cfg, expname="gate",
        log_dir=f"{{logs}}/gate")
run_cmd(ctx=wrap_arguments(f"python /nemo_run/code/tools/marker.py > {{out}} && "
                           f"python -c 'import nemo_skills_lite as m; print(m.__file__)' >> {{out}}"),
        cluster=cfg, expname="use", run_after="gate", log_dir=f"{{logs}}/use", dependent_jobs=1)
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True,
                   capture_output=True)


def test_a_chain_runs_the_submitted_snapshot_after_the_checkout_changed(tmp_path: Path, slurm_cluster) -> None:
    user = tmp_path / "user-repo"
    (user / "tools").mkdir(parents=True)
    marker = user / "tools" / "marker.py"
    marker.write_text("print('committed')\n")
    git(user, "init", "-q")
    git(user, "add", "tools/marker.py")
    git(user, "commit", "-q", "-m", "v0")
    marker.write_text("print('submitted')\n")  # an uncommitted edit: part of what is submitted
    cfg = write_config(tmp_path / "c.yaml", "slurm")
    gate, out = tmp_path / "gate", tmp_path / "used.txt"
    (user / "recipe.py").write_text(RECIPE.format(cfg=cfg, gate=str(gate), out=str(out), logs=str(tmp_path / "logs")))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "recipe.py"], cwd=user, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr

    marker.write_text("print('edited after submission')\n")  # the checkout changes while the chain waits
    gate.touch()
    assert wait_stage(cfg, "use", timeout=180) == "finished"

    ran, module = out.read_text().splitlines()
    assert ran == "submitted"
    rec = json.loads((tmp_path / "registry" / "use.json").read_text())[-1]
    snapshot = Path(rec["code_dir"])
    assert snapshot.parent == tmp_path / "code" and module == str(snapshot / "nemo_skills_lite" / "__init__.py")
    manifest = json.loads((snapshot / ".nsl-snapshot.json").read_text())
    assert {"repo": str(user), "dirty": True} == {k: manifest["sources"][0][k] for k in ("repo", "dirty")}
    assert (snapshot / "tools" / "marker.py").read_text() == "print('submitted')\n"
    gate_rec = json.loads((tmp_path / "registry" / "gate.json").read_text())[-1]
    assert gate_rec["code_dir"] == rec["code_dir"]  # one snapshot for the whole recipe
