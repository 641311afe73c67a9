"""Pure planning pieces: array slicing at MaxArraySize, unit fan-out, ssh wrapping."""

from __future__ import annotations

from pathlib import Path

from nemo_skills_lite.cluster.backends import plan_slices
from nemo_skills_lite.cluster.config import SshTunnel, parse_config
from nemo_skills_lite.cluster.slurm import Slurm
from nemo_skills_lite.pipeline.options import GenerateArgs
from nemo_skills_lite.pipeline.planner import Env, plan_generate


def test_slices_keep_task_ids_below_max_array_size() -> None:
    levels = plan_slices(list(range(2500)), dependent_jobs=2, max_array=1001, throttle=8)
    assert len(levels) == 3 and all(len(level) == 3 for level in levels)
    for sl in levels[0]:
        assert max(u - sl.offset for u in sl.units) < 1001 and sl.throttle == 8
    assert sorted(u for sl in levels[0] for u in sl.units) == list(range(2500))
    assert len(plan_slices(list(range(1024)), 2, 4001, None)[0]) == 1  # one array per level: 3 sbatch calls


def test_generate_fans_out_seeds_by_chunks_with_nemo_skills_names(tmp_path: Path) -> None:
    cfg = parse_config({"executor": "local"}, name="l", source="l.yaml")
    a = GenerateArgs(input_file="/d/in.jsonl", output_dir="/d/out", expname="e", random_seeds=[3, 7], num_chunks=3,
                     chunk_ids=[0, 2], server_address="http://h:1", model="m")
    stage = plan_generate(a, ["++prompt_config=generic/math"], cfg, Env("/py", "/code", "e-1"))
    assert [(u.seed, u.chunk) for u in stage.units] == [(3, 0), (3, 2), (7, 0), (7, 2)]
    u = stage.units[1]
    assert u.marker == "/d/out/output-rs3_chunk_2.jsonl" and u.merge.output == "/d/out/output-rs3.jsonl"
    assert u.merge.chunk_outputs == tuple(f"/d/out/output-rs3_chunk_{k}.jsonl" for k in range(3))
    assert "++inference.random_seed=3" in u.command and "++chunk_id=2" in u.command
    judge = plan_generate(GenerateArgs(input_dir="/d/out", output_dir="/d/j", num_random_seeds=2,
                                       generation_type="math_judge", server_address="http://h:1"),
                          [], cfg, Env("/py", "/code", "j-1"))
    assert [u.inputs for u in judge.units] == [("/d/out/output-rs0.jsonl",), ("/d/out/output-rs1.jsonl",)]
    assert "nemo_skills_lite.inference.math_judge" in judge.units[0].command


def test_ssh_tunnel_wraps_scheduler_commands() -> None:
    s = Slurm(SshTunnel(host="login", user="me", identity="/k"))
    argv = s.command_argv(["squeue", "-j", "1,2", "-o", "%i|%T"])
    assert argv[:6] == ["ssh", "-o", "BatchMode=yes", "-i", "/k", "me@login"]
    assert argv[-1] == "squeue -j 1,2 -o '%i|%T'"
