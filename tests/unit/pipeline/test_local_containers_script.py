"""The local executor's container job script (pure rendering): mounts exactly as on Slurm, one
container per component, the sandbox's extra security options only on the sandbox."""

from __future__ import annotations

import shlex
import subprocess

import pytest

from nemo_skills_lite.cluster.containers import (
    Engine, find_engine, host_path, render_job_script, volume_flags, wait_block)
from nemo_skills_lite.runtime.spec import ServerSpec, StageSpec, UnitSpec
from nemo_skills_lite.utils.errors import NslError

ENGINE = Engine("podman", "/usr/bin/podman", ("--runtime", "runc"))


def stage(**kw) -> StageSpec:
    base = dict(expname="gen", stage_id="gen-ab12", kind="generate", cluster="c", executor="local",
                log_dir="/workspace/logs", units=(UnitSpec(0, "python -m x", "/workspace/out/output.jsonl"),),
                client_container="nsl-client:latest", mounts=("/data/ws:/workspace", "/opt/nsl/models:/models:ro"),
                env={"PYTHONPATH": "/nemo_run/code", "A": "b c"}, python="python3", host_log_dir="/data/ws/logs")
    return StageSpec(**{**base, **kw})


def run_lines(script: str) -> dict[str, list[str]]:
    """role -> argv of each `podman run` line (the role is the worker's last argument)."""
    out = {}
    for line in script.splitlines():
        if "/usr/bin/podman" not in line or " run " not in line:
            continue
        line = line.removeprefix("if ").split(";")[0].split(" >")[0].removesuffix(" &")
        argv = shlex.split(line)
        out[argv[-1]] = argv
    return out


def test_each_component_runs_in_its_own_container_with_exactly_the_slurm_mounts() -> None:
    s = stage(server=ServerSpec("vllm", "/models/tiny", container="nsl-vllm-cpu:latest"), with_sandbox=True,
              sandbox_container="nsl-sandbox:latest")
    script = render_job_script(s, 0, 1, engine=ENGINE, code_dir="/src/nsl", job_key="k1", host_log_dir="/data/ws/logs")
    assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0
    runs = run_lines(script)
    assert set(runs) == {"done", "server", "sandbox", "client"}
    images = {role: argv[argv.index("-m") - 1] for role, argv in runs.items()}  # entrypoint python3
    assert images == {"done": "nsl-client:latest", "client": "nsl-client:latest", "server": "nsl-vllm-cpu:latest",
                      "sandbox": "nsl-sandbox:latest"}
    for role, argv in runs.items():
        vols = [argv[i + 1] for i, a in enumerate(argv) if a == "-v"]
        if role == "sandbox":  # no user data beside untrusted code: only the job's spec/rendezvous folder
            assert vols == ["/data/ws/logs/.nsl:/workspace/logs/.nsl", "/src/nsl:/nemo_run/code"]
        else:
            assert vols == ["/data/ws:/workspace", "/opt/nsl/models:/models:ro", "/src/nsl:/nemo_run/code"], role
        assert argv[:3] == ["/usr/bin/podman", "--runtime", "runc"]
        assert ["--network", "host"] == argv[argv.index("--network"):argv.index("--network") + 2]
        assert "NSL_JOB_KEY=k1" in argv and "A=b c" in argv and "NSL_HOST_ADDR=127.0.0.1" in argv
        # the worker reads the spec through the mount, as on Slurm
        assert "/workspace/logs/.nsl/gen-ab12.json" in argv
        has_sandbox_opts = "unmask=ALL" in argv
        assert has_sandbox_opts == (role == "sandbox"), role
    # logs are written on the host side of the mount
    assert 'LOGS=/data/ws/logs/gen-ab12-L1-u0' in script and '>"$LOGS-server-0.log"' in script


def test_client_only_stage_has_no_server_or_sandbox() -> None:
    script = render_job_script(stage(), 3, 0, engine=ENGINE, code_dir="/c", job_key="k", host_log_dir="/h")
    assert set(run_lines(script)) == {"done", "client"}
    assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0


def test_paths_map_back_to_the_host_through_the_longest_mount() -> None:
    s = stage(mounts=("/data/ws:/workspace", "/fast/out:/workspace/out"))
    assert host_path(s, "/workspace/out/a.jsonl") == "/fast/out/a.jsonl"
    assert host_path(s, "/workspace/logs") == "/data/ws/logs"
    assert host_path(s, "/workspaces/x") == "/workspaces/x"
    assert volume_flags(("/a:/b:ro",), "/code") == ["-v", "/a:/b:ro", "-v", "/code:/nemo_run/code"]


def test_unknown_container_runtime_is_a_clear_error() -> None:
    with pytest.raises(NslError, match="container_runtime 'singularity' is not valid; valid: podman, docker"):
        find_engine("singularity", "c.yaml")


def test_keep_mounts_for_sandbox_gives_the_sandbox_the_config_mounts() -> None:
    s = stage(with_sandbox=True, sandbox_container="nsl-sandbox:latest", sandbox_mounts=True)
    argv = run_lines(render_job_script(s, 0, 0, engine=ENGINE, code_dir="/c", job_key="k", host_log_dir="/h"))["sandbox"]
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "-v"] == [
        "/data/ws:/workspace", "/opt/nsl/models:/models:ro", "/c:/nemo_run/code"]


def test_slurm_sandbox_container_also_gets_the_jobs_nsl_folder() -> None:
    """Without keep_mounts_for_sandbox the sandbox's container has no config mounts; its worker still
    reads the spec and publishes its address under <log_dir>/.nsl (same rule as the local executor)."""
    from nemo_skills_lite.cluster.config import parse_config
    from nemo_skills_lite.cluster.sbatch import ArraySlice, render_sbatch

    cfg = parse_config({"executor": "slurm", "containers": {"nemo-skills": "c", "sandbox": "s"}}, name="x", source="x")
    s = stage(executor="slurm", with_sandbox=True, sandbox_container="nsl-sandbox:latest")
    text = render_sbatch(s, cfg, ArraySlice(0, (0,)), dependency=None, code_dir="/c")
    line = next(x for x in text.splitlines() if "--role sandbox" in x)
    assert "--container-mounts=/data/ws/logs/.nsl:/workspace/logs/.nsl,/c:/nemo_run/code" in line
    client = next(x for x in text.splitlines() if "--role client" in x)
    assert "--container-mounts=/data/ws:/workspace,/opt/nsl/models:/models:ro,/c:/nemo_run/code" in client


def test_wait_block_fails_the_job_with_the_dead_servers_log_tail(tmp_path):
    # the block as both job scripts run it: the server ends first, the client is told to stop, the job fails
    # with the server log's last lines, its access-log lines left out and counted
    logs = tmp_path / "job"
    requests = [f'INFO:     127.0.0.1:{40000 + i} - "POST /v1/chat/completions HTTP/1.1" 200 OK' for i in range(50)]
    (tmp_path / "job-server-0.log").write_text("\n".join(["(APIServer pid=9) INFO loading", "engine died: fake",
                                                           *requests]) + "\n")
    script = "\n".join([f"LOGS={shlex.quote(str(logs))}", "PIDS=()", "(sleep 0.2; exit 3) &", 'PIDS+=("$!")',
                        "sleep 30 &", "CLIENT=$!", wait_block("step")])
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=20)
    assert r.returncode == 1
    assert "a server/sandbox step exited (code 3) before the client finished" in r.stderr
    tail = r.stderr.split("<==\n", 1)[1].splitlines()
    assert tail == ["(APIServer pid=9) INFO loading", "engine died: fake", "(50 request lines left out)"]
    # the client ends first: its code is the job's, nothing printed. (It must still be running when the block
    # starts waiting: bash's `wait -n` does not see a child that ended before it was called; real clients
    # start a Python process, far slower than the microseconds between `CLIENT=$!` and the wait.)
    ok = "\n".join(["LOGS=/nonexistent", "PIDS=()", "sleep 30 &", 'PIDS+=("$!")', "(sleep 0.3; exit 0) &", "CLIENT=$!",
                    wait_block("container")])
    r = subprocess.run(["bash", "-c", ok], capture_output=True, text=True, timeout=20)
    assert (r.returncode, r.stderr) == (0, "")


def test_recipe_label_follows_the_dockerfile_and_the_files_it_copies(tmp_path, monkeypatch):
    from nemo_skills_lite.cluster import images

    monkeypatch.setattr(images, "ROOT", tmp_path)  # COPY sources are relative to the repository (build context)
    (tmp_path / "containers").mkdir()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "req.txt").write_text("numpy==2.2.6\n")
    recipe = tmp_path / "containers" / "x.Dockerfile"
    recipe.write_text("ARG BASE\nFROM ${BASE}\nCOPY --chown=0:0 req.txt pkg /src/\nRUN pip install -r /src/req.txt\n")
    first = images.recipe_label(recipe)
    assert first.startswith("containers/x.Dockerfile@") and len(first.rpartition("@")[2]) == 12
    (tmp_path / "pkg" / "code.py").write_text("x = 1\n")  # the package's code: jobs run the mounted copy
    assert images.recipe_label(recipe) == first
    (tmp_path / "req.txt").write_text("numpy==2.3.0\n")  # a dependency changed
    second = images.recipe_label(recipe)
    assert second != first
    recipe.write_text(recipe.read_text() + "RUN true\n")
    assert images.recipe_label(recipe) not in (first, second)
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere.Dockerfile"
    outside.write_text("FROM x\n")
    assert images.recipe_label(outside).startswith(str(outside.resolve()) + "@")
