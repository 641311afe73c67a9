"""The recipe graph: symbolic run_after (forward references too), cycles, inputs written upstream, all-or-nothing,
handles that submit on demand, and the script-end submission (or none after an uncaught error)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nemo_skills_lite.pipeline.cli import generate, run_cmd, submit, wrap_arguments
from nemo_skills_lite.utils.errors import NslError

ROOT = Path(__file__).resolve().parents[3]


def _cfg(tmp_path: Path) -> str:
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump({"executor": "slurm", "partition": "p", "registry_dir": str(tmp_path / "reg")}))
    return str(p)


def _gen(tmp_path: Path, cfg: str, name: str, **kw):
    return generate(ctx=wrap_arguments("++prompt_config=generic/math"), cluster=cfg, expname=name,
                    server_address="http://h:1", dry_run=True, **kw)


def test_inputs_written_by_an_upstream_stage_count_as_present(tmp_path: Path, capsys) -> None:
    cfg = _cfg(tmp_path)
    (tmp_path / "in.jsonl").write_text('{"problem": "x"}\n')
    _gen(tmp_path, cfg, "gen", input_file=str(tmp_path / "in.jsonl"), output_dir=str(tmp_path / "sol"),
         num_random_seeds=2, num_chunks=3)
    judge = generate(ctx=wrap_arguments(""), cluster=cfg, generation_type="math_judge", input_dir=str(tmp_path / "sol"),
                     output_dir=str(tmp_path / "judged"), expname="judge", run_after="gen",
                     server_address="http://h:1", num_random_seeds=2, dry_run=True)
    assert judge.job_ids == ["dry-judge.0.0"]  # reading the jobs submits the graph
    out = capsys.readouterr().out
    assert "stage judge (generate): 2/2 unit(s)" in out and "after dry-gen.0.0" in out
    with pytest.raises(NslError, match=r"judge2: input file\(s\) not found and not written by any stage it runs "
                                       r"after: .*/sol/output-rs5.jsonl"):
        generate(ctx=wrap_arguments(""), cluster=cfg, generation_type="math_judge", input_dir=str(tmp_path / "sol"),
                 output_dir=str(tmp_path / "j2"), expname="judge2", server_address="http://h:1",
                 random_seeds="5", dry_run=True)  # no run_after: nothing writes it


def test_forward_references_and_cycles(tmp_path: Path, capsys) -> None:
    cfg = _cfg(tmp_path)
    run_cmd(ctx=wrap_arguments("echo b"), cluster=cfg, expname="b", run_after="a", log_dir=str(tmp_path / "lb"),
            dry_run=True)
    run_cmd(ctx=wrap_arguments("echo a"), cluster=cfg, expname="a", log_dir=str(tmp_path / "la"), dry_run=True)
    submit()  # b names a stage added after it: submitted after it
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("[nsl dry-run]")]
    assert "stage a (run_cmd)" in lines[0] and "stage b (run_cmd)" in lines[1] and "after dry-a.0.0" in lines[1]
    for name, after in (("x", "z"), ("y", "x"), ("z", "y")):
        run_cmd(ctx=wrap_arguments("true"), cluster=cfg, expname=name, run_after=after, log_dir=str(tmp_path / name),
                dry_run=True)
    with pytest.raises(NslError, match=r"run_after forms a cycle: x -> z -> y -> x; nothing was submitted"):
        submit()
    assert not (tmp_path / "x").exists()


def test_a_real_stage_cannot_wait_for_a_dry_run(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path)
    run_cmd(ctx=wrap_arguments("true"), cluster=cfg, expname="d", log_dir=str(tmp_path / "d"), dry_run=True)
    run_cmd(ctx=wrap_arguments("true"), cluster=cfg, expname="r", run_after="d", log_dir=str(tmp_path / "r"))
    with pytest.raises(NslError, match="r: runs after 'd', which is a dry run"):
        submit()


@pytest.mark.parametrize("text,seeds", [("0..3", [0, 1, 2, 3]), ("1,3", [1, 3]), ("7", [7]), ([2, 4], [2, 4])])
def test_random_seeds_in_nemo_skills_forms(tmp_path: Path, text, seeds) -> None:
    cfg = _cfg(tmp_path)
    (tmp_path / "in.jsonl").write_text('{"problem": "x"}\n')
    h = _gen(tmp_path, cfg, "s", input_file=str(tmp_path / "in.jsonl"), output_dir=str(tmp_path / "o"),
             random_seeds=text)
    submit()
    spec = json.loads(next((tmp_path / "o" / "logs" / ".nsl").glob("*.json")).read_text())
    assert [u["seed"] for u in spec["units"]] == seeds and h.units_submitted == len(seeds)
    with pytest.raises(NslError, match=r"random_seeds='0-3' is not a list of ids; use '0..7'"):
        _gen(tmp_path, cfg, "s", input_file=str(tmp_path / "in.jsonl"), output_dir=str(tmp_path / "o"),
             random_seeds="0-3")


SCRIPT = """
import sys
from nemo_skills_lite.pipeline.cli import run_cmd, wrap_arguments
cfg, out = sys.argv[1], sys.argv[2]
run_cmd(ctx=wrap_arguments("true"), cluster=cfg, expname="first", log_dir=out + "/l1", dry_run=True)
if sys.argv[3] == "crash":
    raise RuntimeError("the recipe has a bug")
if sys.argv[3] == "exit1":
    sys.exit(1)
if sys.argv[3] == "exit0":
    sys.exit(0)
run_cmd(ctx=wrap_arguments("true"), cluster=cfg, expname="second", run_after="first", log_dir=out + "/l2", dry_run=True)
"""


@pytest.mark.parametrize("mode", ["ok", "crash", "exit1", "exit0"])
def test_the_script_end_submits_unless_it_crashed(tmp_path: Path, mode: str) -> None:
    cfg = _cfg(tmp_path)
    (tmp_path / "s.py").write_text(SCRIPT)
    p = subprocess.run([sys.executable, str(tmp_path / "s.py"), cfg, str(tmp_path), mode], capture_output=True,
                       text=True, cwd=ROOT, timeout=60)
    recorded = sorted(x.stem for x in (tmp_path / "reg" / "dry-run").glob("*.json"))
    if mode == "ok":
        assert p.returncode == 0, p.stderr
        assert recorded == ["first", "second"]
    elif mode == "exit0":  # a clean sys.exit(0) submits what was built (only "first")
        assert p.returncode == 0, p.stderr
        assert recorded == ["first"]
    elif mode == "exit1":
        assert p.returncode == 1 and "nothing was submitted" in p.stderr and recorded == []
    else:
        assert p.returncode == 1 and "RuntimeError: the recipe has a bug" in p.stderr
        assert "nothing was submitted" in p.stderr and recorded == []
