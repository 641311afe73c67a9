"""Code snapshots are content-addressed and read-only; each graph takes one; reuse_code/reuse_code_exp pick others."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from nemo_skills_lite.cluster.config import load_cluster_config
from nemo_skills_lite.pipeline import snapshot as snap_mod
from nemo_skills_lite.pipeline.cli import run_cmd, submit, wrap_arguments
from nemo_skills_lite.pipeline.snapshot import Snapshot
from nemo_skills_lite.utils.errors import NslError


def _repo(path: Path) -> Path:
    (path / "pkg").mkdir(parents=True)
    (path / "pkg" / "a.py").write_text("A = 1\n")
    (path / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (path / "run.sh").chmod(0o755)
    (path / ".gitignore").write_text("data/\n")
    (path / "data").mkdir()
    (path / "data" / "big.bin").write_bytes(b"x" * 1000)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def test_snapshot_is_content_addressed_and_holds_uncommitted_files(tmp_path: Path) -> None:
    user = _repo(tmp_path / "u")
    s1, s2 = Snapshot.take(user), Snapshot.take(user)
    assert s1.digest == s2.digest
    assert "pkg/a.py" in s1.files and "run.sh" in s1.files and "data/big.bin" not in s1.files  # ignored stays out
    assert "nemo_skills_lite/pipeline/snapshot.py" in s1.files  # the framework itself
    cfg = load_cluster_config(_cfg(tmp_path))
    d1 = s1.write(cfg)
    assert s2.write(cfg) == d1 and len(list(d1.parent.iterdir())) == 1  # stored once
    assert (d1 / "run.sh").stat().st_mode & 0o777 == 0o555 and (d1 / "pkg" / "a.py").stat().st_mode & 0o777 == 0o444
    (user / "pkg" / "a.py").write_text("A = 2\n")
    assert Snapshot.take(user).digest != s1.digest


def test_installed_package_snapshot_is_the_package_only(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(snap_mod, "_git_files", lambda repo: None)
    monkeypatch.chdir(tmp_path)  # not a git work tree
    s = Snapshot.take()
    assert s.files and all(f.startswith("nemo_skills_lite/") for f in s.files)
    assert not any("__pycache__" in f for f in s.files)


def _cfg(tmp_path: Path) -> str:
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump({"executor": "local", "registry_dir": str(tmp_path / "reg")}))
    return str(p)


def test_one_snapshot_per_graph_and_reuse_options(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    a = run_cmd(ctx=wrap_arguments("true"), cluster=cfg, expname="a", log_dir=str(tmp_path / "la"), dry_run=True)
    b = run_cmd(ctx=wrap_arguments("true"), cluster=cfg, expname="b", log_dir=str(tmp_path / "lb"), dry_run=True,
                reuse_code=False)
    submit()
    specs = {n: json.loads(next((tmp_path / f"l{n}" / ".nsl").glob("*.json")).read_text()) for n in "ab"}
    assert specs["a"]["code_dir"] == specs["b"]["code_dir"]  # nothing changed in between: same digest
    assert specs["a"]["code_dir"].startswith(str(tmp_path / "code") + "/")
    assert specs["a"]["env"]["PYTHONPATH"] == specs["a"]["code_dir"]
    assert not (tmp_path / "code").exists()  # a dry run writes no snapshot
    assert a.dry_run and b.dry_run
    with pytest.raises(NslError, match="reuse_code_exp='nope': no submitted stage of that name"):
        run_cmd(ctx=wrap_arguments("true"), cluster=cfg, expname="c", log_dir=str(tmp_path / "lc"), reuse_code_exp="nope")
