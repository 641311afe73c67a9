"""``summarize-results --cluster``: results read through a real ssh_tunnel (the private sshd of
tests/fixtures/ssh.py on 127.0.0.1; the sshd log proves the route) and through a local cluster's mounts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from nemo_skills_lite.evaluation.summarize import main
from nemo_skills_lite.utils.errors import NslError

FIX = Path(__file__).resolve().parents[2] / "data" / "metrics" / "nemo_skills_eval_outputs"


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        out.update(_flat(v, f"{prefix}{k}/") if isinstance(v, dict) else {prefix + k: v})
    return out


def _results(root: Path) -> Path:
    remote = root / "remote" / "eval-results"
    for name in ("gpqa", "ifeval"):
        shutil.copytree(FIX / "eval-results" / name, remote / name)
    (remote / "gpqa" / "notes.txt").write_text("not a result file\n")
    return remote


def test_summarize_through_the_ssh_tunnel(tmp_path: Path, sshd, capsys) -> None:
    remote = _results(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"executor": "slurm", "ssh_tunnel": sshd.tunnel()}))
    before = sshd.logins()
    local = tmp_path / "local"
    assert main([str(remote), "--cluster", str(cfg), "--local_dir", str(local)]) == 0
    assert sshd.logins() == before + 1
    expected = json.loads((FIX / "metrics.json").read_text())
    ours = json.loads((local / "metrics.json").read_text())
    for name in ("gpqa", "ifeval"):
        assert _flat(ours[name]) == pytest.approx(_flat(expected[name]), rel=1e-9), name
    assert sorted(p.relative_to(local).as_posix() for p in local.rglob("*.jsonl")) == sorted(
        p.relative_to(remote).as_posix() for p in remote.rglob("*.jsonl"))
    assert not (local / "gpqa" / "notes.txt").exists()  # only output*.jsonl comes back
    assert "pass@1[avg-of-4] | 4           | 5363       | 50.00% ± 20.41%  | 6.25%" in capsys.readouterr().out
    with pytest.raises(NslError, match=r"cannot read 127.0.0.1:/nonexistent/results \(ssh exit"):
        main(["/nonexistent/results", "--cluster", str(cfg), "--local_dir", str(tmp_path / "x")])


def test_summarize_through_local_mounts(tmp_path: Path) -> None:
    remote = _results(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"executor": "local", "mounts": [f"{remote.parent}:/workspace"]}))
    assert main(["/workspace/eval-results", "--cluster", str(cfg)]) == 0  # the jobs' path
    assert json.loads((remote / "metrics.json").read_text())["gpqa"]["pass@4"]["symbolic_correct"] == 75.0
