"""The local executor with ``containers``: every component of a job in its own real container, each test
under podman and under docker (images built from containers/ on a Debian base made here), mounts enforced
exactly as on Slurm.

Seed-shaped pipeline: generate with a vLLM-CPU server (tiny model) -> a run_cmd after it, plus a
verify_code stage with the sandbox beside it. The vllm-cpu image runs the host's vLLM-CPU venv,
mounted read-only by the config (containers/vllm-cpu.Dockerfile says why)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from nemo_skills_lite.pipeline.cli import generate, run_cmd, submit, wrap_arguments
from nemo_skills_lite.utils.errors import NslError
from tests.fixtures.common import require
from tests.fixtures.vllm import VLLM_PYTHON
from tests.integration.pipeline.helpers import poll, rows, wait_stage

# the first test to use `container_images` builds any missing image (minutes on a fresh machine): the
# cheap tests come first, and the module gets room for that one build
pytestmark = [pytest.mark.vllm, pytest.mark.sandbox, pytest.mark.slow, pytest.mark.timeout(1800)]

SERVER_ARGS = "--dtype float32 --max-model-len 512 --enforce-eager"
ADD = "a, b = map(int, input().split())\nprint(a + b)\n"
TESTS = [{"input": "1 2\n", "output": "3\n"}, {"input": "5 5\n", "output": "10\n"}]
VLLM_VENV = str(Path(VLLM_PYTHON).parent.parent)


def config(tmp_path: Path, images: dict[str, str], model_dir: Path, name: str = "containers", *,
           runtime: str = "podman", **drop) -> str:
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    containers = {"nemo-skills": images["client"], "sandbox": images["sandbox"], "vllm": images["vllm-cpu"]}
    cfg = {"executor": "local", "registry_dir": str(tmp_path / "registry"), "local_cpus": 3,
           "container_runtime": runtime,
           "containers": {k: v for k, v in containers.items() if k not in drop},
           "mounts": [f"{ws}:/workspace", f"{model_dir}:/models/tiny", f"{VLLM_VENV}:{VLLM_VENV}"],
           "env_vars": ["VLLM_CPU_KVCACHE_SPACE=1", "HF_HUB_OFFLINE=1", "PROBE_VAR=from-config"]}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def leftover_containers(engine) -> str:
    return subprocess.run(engine.argv("ps", "-a", "--filter", "label=nsl.job", "--format", "{{.Names}}"),
                          capture_output=True, text=True).stdout.strip()


def _logs(ws: Path) -> str:
    out = []
    for p in sorted((ws / "logs").rglob("*.log")) + sorted((ws / "logs").rglob("*.out")):
        out.append(f"--- {p}\n" + "".join(p.read_text(errors="replace").splitlines(True)[-30:]))
    return "\n".join(out)


def test_missing_container_key_or_image_fails_before_submitting(tmp_path: Path, container_engine,
                                                                 container_images) -> None:
    model = tmp_path / "model"
    model.mkdir()
    cfg = config(tmp_path, container_images, model, runtime=container_engine.name, sandbox=True)
    (tmp_path / "ws" / "in.jsonl").write_text('{"id": 0, "generation": "x", "tests": []}\n')
    with pytest.raises(NslError, match="containers has no 'sandbox' entry, needed for the sandbox"):
        generate(cluster=cfg, generation_type="verify_code", input_file="/workspace/in.jsonl",
                 output_dir="/workspace/v", expname="v", with_sandbox=True, log_dir="/workspace/logs")
    # one graph: a fine stage, then one whose client image was never built -> neither is submitted
    run_cmd(ctx=wrap_arguments("echo hi > /workspace/hi"),
            cluster=cfg_ok(tmp_path, container_images, model, container_engine.name),
            expname="fine", log_dir="/workspace/logs/fine")
    images = {**container_images, "client": "localhost/nsl-never-built:latest"}
    run_cmd(ctx=wrap_arguments("echo hi > /workspace/hi"),
            cluster=config(tmp_path, images, model, name="bad", runtime=container_engine.name),
            expname="c", run_after="fine", log_dir="/workspace/logs/c")
    with pytest.raises(NslError, match=rf"image\(s\) not found in {container_engine.name}'s local storage: "
                                       r"'localhost/nsl-never-built:latest' for the client.*build_images.sh"):
        submit()
    assert not (tmp_path / "registry").exists() or not any((tmp_path / "registry").rglob("*.json"))  # nothing submitted
    assert not list((tmp_path / "ws").rglob("*.state.json")) and not list((tmp_path / "ws").rglob("*runner.log"))
    assert not (tmp_path / "ws" / "hi").exists()


def cfg_ok(tmp_path: Path, images: dict[str, str], model: Path, runtime: str) -> str:
    return config(tmp_path, images, model, name="ok", runtime=runtime)


def test_image_that_fails_to_build_is_one_error_and_nothing_is_tagged(tmp_path: Path, container_engine,
                                                                      container_images) -> None:
    from nemo_skills_lite.cluster.containers import image_exists
    from nemo_skills_lite.cluster.images import build_images

    (tmp_path / "it-ok.Dockerfile").write_text("ARG BASE\nFROM ${BASE}\nRUN echo fine > /fine\n")
    (tmp_path / "it-bad.Dockerfile").write_text("ARG BASE\nFROM ${BASE}\nRUN echo about to fail && exit 3\n")
    before = _all_containers(container_engine)
    with pytest.raises(NslError) as e:
        build_images(container_engine, ["it-ok", "it-bad"], containers_dir=tmp_path, log_dir=str(tmp_path / "logs"))
    assert _all_containers(container_engine) == before  # no build container left (docker keeps it without --force-rm)
    msg = str(e.value)
    assert "image 'it-bad' failed to build from" in msg and "it-bad.Dockerfile" in msg
    assert "RUN echo about to fail && exit 3" in msg and "no image of this build was tagged" in msg
    assert re.search(r"failed to build from \S+ at (STEP|Step) \d+/\d+ ?: RUN echo about to fail", msg), msg
    assert not image_exists(container_engine, "nsl-it-ok:latest")  # the one that built is not tagged either
    with pytest.raises(NslError, match="no image 'it-typo'.*valid: it-bad, it-ok"):
        build_images(container_engine, ["it-ok", "it-typo"], containers_dir=tmp_path)


def _all_containers(engine) -> set[str]:
    return set(subprocess.run(engine.argv("ps", "-aq"), capture_output=True, text=True, check=True).stdout.split())


def _running(engine, suffix: str) -> list[str]:
    out = subprocess.run(engine.argv("ps", "--filter", "label=nsl.job", "--format", "{{.Names}}"),
                         capture_output=True, text=True).stdout.split()
    return [n for n in out if n.endswith(suffix)]


def test_sandbox_death_fails_the_job_and_cancel_stops_it_containers_removed(tmp_path: Path, container_engine,
                                                                             container_images) -> None:
    from nemo_skills_lite.pipeline.status import cancel

    model = tmp_path / "model"
    model.mkdir()
    cfg = config(tmp_path, container_images, model, runtime=container_engine.name)
    ws = tmp_path / "ws"
    # sandbox death: the client's command is running when the sandbox container is killed
    run_cmd(ctx=wrap_arguments("touch /workspace/started && sleep 300"), cluster=cfg, expname="dies",
            with_sandbox=True, log_dir="/workspace/logs/dies")
    submit()
    poll(lambda: (ws / "started").exists(), 180, "the command to start beside the sandbox")
    sandbox = _running(container_engine, "-sandbox")
    assert len(sandbox) == 1
    subprocess.run(container_engine.argv("kill", sandbox[0]), check=True, capture_output=True)
    assert wait_stage(cfg, "dies", timeout=120) == "failed"
    out = next((ws / "logs" / "dies").glob("*-L0-u0.out")).read_text()
    assert "a server/sandbox container exited" in out and "sandbox service on http://" in out
    poll(lambda: not leftover_containers(container_engine), 30, "the job's containers to be removed")

    # cancel: the runner stops the job; its containers go with it
    run_cmd(ctx=wrap_arguments("touch /workspace/started2 && sleep 300"), cluster=cfg, expname="cancelme",
            log_dir="/workspace/logs/cancelme")
    submit()
    poll(lambda: (ws / "started2").exists(), 120, "the cancelled command to start")
    assert cancel("cancelme", cfg, None) == 0
    assert wait_stage(cfg, "cancelme", timeout=60) == "failed"
    poll(lambda: not leftover_containers(container_engine), 30, "the cancelled job's containers to be removed")


def test_time_limit_warns_only_the_client_and_the_chain_resumes(tmp_path: Path, container_engine,
                                                                container_images) -> None:
    """SIGUSR1 before the time limit reaches the client's command (which stops), not the sandbox beside
    it; the next chained attempt resumes the rows."""
    model = tmp_path / "model"
    model.mkdir()
    cfg_path = Path(config(tmp_path, container_images, model, runtime=container_engine.name))
    cfg = yaml.safe_load(cfg_path.read_text())
    cfg.update(timeouts={"default": "00:00:30"}, signal_before_timeout_s=12)
    cfg_path.write_text(yaml.safe_dump(cfg))
    ws = tmp_path / "ws"
    (ws / "in.jsonl").write_text("".join(json.dumps({"idx": i}) + "\n" for i in range(40)))
    (ws / "out").mkdir()  # the test task writes its trace there first
    generate(ctx=wrap_arguments("++delay=1"), cluster=str(cfg_path), input_file="/workspace/in.jsonl",
             output_dir="/workspace/out", expname="chain", generation_module="tests.integration.pipeline.slow_task",
             with_sandbox=True, dependent_jobs=3, log_dir="/workspace/logs")
    assert wait_stage(str(cfg_path), "chain", timeout=400) == "finished", _logs(ws)
    assert [r["idx"] for r in rows(ws / "out" / "output.jsonl")] == list(range(40))
    starts = [r for r in rows(ws / "out" / "output.jsonl.trace") if r["event"] == "start"]
    assert len(starts) >= 2
    first = (next((ws / "logs").glob("*-L0-u0.out"))).read_text()
    assert "container exited" not in first, first  # the sandbox was not hit by the warning
    poll(lambda: not leftover_containers(container_engine), 30, "the jobs' containers to be removed")


def test_seed_shaped_pipeline_in_containers(tmp_path: Path, container_images, container_engine,
                                            tiny_model_dir: Path) -> None:
    require(Path(VLLM_PYTHON).exists(), f"vLLM-CPU venv at {VLLM_PYTHON}")
    cfg = config(tmp_path, container_images, tiny_model_dir, runtime=container_engine.name)
    ws = tmp_path / "ws"
    (ws / "in.jsonl").write_text("".join(json.dumps({"problem": f"What is {i} + {i}?"}) + "\n" for i in range(6)))
    # KodCode-style rows ('code'): the sandbox service does not extract code from 'generation' rows
    (ws / "solutions.jsonl").write_text("".join(json.dumps({"id": i, "code": ADD if i % 2 == 0 else "print(0)\n",
                                                            "tests": TESTS}) + "\n" for i in range(4)))
    secret = tmp_path / "outside-the-mounts.txt"  # on the host, next to the mounted folder
    secret.write_text("not for jobs")

    generate(ctx=wrap_arguments("++prompt_config=generic/math ++inference.tokens_to_generate=8"), cluster=cfg,
             input_file="/workspace/in.jsonl", output_dir="/workspace/gen", expname="gen",
             model="/models/tiny", server_type="vllm", server_gpus=0, server_args=SERVER_ARGS,
             log_dir="/workspace/logs/gen")
    probe = (f"python -m tests.integration.containers.probe /workspace/probe.json /workspace/gen/output.jsonl "
             f"{secret} {tmp_path} /opt/nsl/sandbox-venv /opt/nsl/models /workspace/in.jsonl")
    run_cmd(ctx=wrap_arguments(probe), cluster=cfg, expname="probe", run_after="gen", log_dir="/workspace/logs/probe")
    generate(cluster=cfg, generation_type="verify_code", input_file="/workspace/solutions.jsonl",
             output_dir="/workspace/verified", expname="verify", with_sandbox=True, ctx="++workers=2",
             log_dir="/workspace/logs/verify")

    assert wait_stage(cfg, "probe", timeout=600) == "finished", _logs(ws)
    assert wait_stage(cfg, "verify", timeout=300) == "finished", _logs(ws)

    gen = rows(ws / "gen" / "output.jsonl")
    assert len(gen) == 6 and all(isinstance(r["generation"], str) for r in gen)
    seen = json.loads((ws / "probe.json").read_text())
    assert seen["python"] == "/opt/nsl/venv/bin/python"  # the client image's venv, not the host's
    assert seen["cwd"] == "/nemo_run/code" and seen["code_mounted"]
    assert seen["rows"] == 6 and seen["generations"] == 6
    # only the mounts are visible: not the host file beside the mounted folder, nor host folders that
    # exist on every test machine (the sandbox venv, the models folder: only its tiny model is mounted)
    assert seen["visible"] == {str(secret): False, str(tmp_path): False, "/opt/nsl/sandbox-venv": False,
                               "/opt/nsl/models": False, "/workspace/in.jsonl": True}
    assert seen["env"]["PROBE_VAR"] == "from-config" and seen["env"]["NSL_SERVER_URL"] is None
    verified = rows(ws / "verified" / "output.jsonl")
    assert [r["is_correct"] for r in verified] == [True, False, True, False]
    assert verified[0]["verdict"] == "accepted" and verified[1]["verdict"] == "wrong_answer"
    # the components really ran in containers (one script per job, each component its own `podman run`)
    scripts = sorted((ws / "logs").rglob(".nsl/scripts/*.sh"))
    assert len(scripts) == 3
    gen_script = next(s.read_text() for s in scripts if "-server-0.log" in s.read_text())
    assert container_images["vllm-cpu"] in gen_script and container_images["client"] in gen_script
    # every container removed when its job ended (podman's --rm cleanup finishes a moment after `run` returns)
    poll(lambda: not leftover_containers(container_engine), 30, "the jobs' containers to be removed")


def test_images_carry_their_recipe_and_a_changed_recipe_warns_at_submission(tmp_path: Path, container_engine,
                                                                            container_images, capsys) -> None:
    from nemo_skills_lite.cluster.containers import check_stage
    from nemo_skills_lite.cluster.images import build_images, image_tag, stale_images
    from nemo_skills_lite.runtime.spec import StageSpec, UnitSpec

    recipe = tmp_path / "it-label.Dockerfile"
    recipe.write_text("ARG BASE\nFROM ${BASE}\nCOPY pyproject.toml /src/\nRUN echo one > /one\n")
    build_images(container_engine, ["it-label"], containers_dir=tmp_path, log_dir=str(tmp_path / "logs"))
    tag = image_tag("it-label")
    stage = StageSpec(expname="s", stage_id="s-1", kind="run_cmd", cluster="c", executor="local",
                      log_dir="/workspace/logs", units=(UnitSpec(0, "true", "/workspace/x"),), client_container=tag)
    try:
        assert stale_images(container_engine, [tag, container_images["client"]]) == {}
        check_stage(container_engine, stage, "c.yaml")
        assert "warning" not in capsys.readouterr().err
        recipe.write_text(recipe.read_text() + "RUN echo two > /two\n")  # the recipe changed, the image did not
        assert stale_images(container_engine, [tag]) == {tag: str(recipe.resolve())}
        check_stage(container_engine, stage, "c.yaml")  # a warning, not an error: the jobs can still run
        err = capsys.readouterr().err
        assert f"c.yaml: image '{tag}' was built from an older {recipe.resolve()}" in err
        assert f"bash scripts/build_images.sh --engine {container_engine.name} it-label" in err
    finally:
        subprocess.run(container_engine.argv("rmi", tag), capture_output=True)
