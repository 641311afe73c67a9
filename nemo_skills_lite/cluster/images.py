"""Build the project's container images where no registry is reachable (``scripts/build_images.sh``).

1. A base image from Debian packages: ``mmdebstrap`` writes a minimal Debian root (python3, its venv
   module, CA certificates plus the host's extra CAs, so TLS through an inspecting proxy works) and
   the engine imports it as ``nsl-base:<suite>``. Skipped when that image exists.
2. Each requested image of ``containers/`` is built ``--build-arg BASE=<base>`` on top of it; the
   Dockerfiles keep their upstream ``FROM`` as the default of that argument for real clusters.

All or nothing: every image is built under a temporary tag and only tagged with its real name once
all of them built; a failure removes the temporary tags and raises one NslError naming the
Dockerfile, the failing step and the end of its log.

    python -m nemo_skills_lite.cluster.images [--engine podman] [--base nsl-base:bookworm] [NAME ...]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from nemo_skills_lite.cluster.containers import Engine, find_engine, image_exists, image_labels, ulimit_flags
from nemo_skills_lite.utils.errors import NslError

ROOT = Path(__file__).resolve().parents[2]
CONTAINERS_DIR = ROOT / "containers"
DEFAULT_BASE = "nsl-base:bookworm"
# Build arguments of the local base's builds (no registry, no index but PyPI): the sandbox image gets
# no torch, whose CPU build comes from PyTorch's own index (docs/sandbox.md).
LOCAL_BUILD_ARGS = {"sandbox": {"TORCH_INDEX_URL": ""}}
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
LOCAL_IMAGES = ("client", "sandbox", "vllm-cpu")  # what builds on the Debian base here (vllm/sglang need GPUs)
EXTRA_CA_DIR = "/usr/local/share/ca-certificates"
RECIPE_LABEL = "nsl.recipe"  # <Dockerfile>@<hash of it and the files it copies>: see stale_images


def image_tag(name: str) -> str:
    return f"nsl-{name}:latest"


def dockerfile(name: str, containers_dir: Path = CONTAINERS_DIR) -> Path:
    path = containers_dir / f"{name}.Dockerfile"
    if not path.exists():
        valid = sorted(p.name.removesuffix(".Dockerfile") for p in containers_dir.glob("*.Dockerfile"))
        raise NslError(f"no image '{name}': {path} does not exist; valid: {', '.join(valid)}")
    return path


def recipe_label(path: Path) -> str:
    """``<Dockerfile>@<hash>``: the sha256 (12 hex digits) of the Dockerfile and of the files its COPY lines
    take from the repository (directories aside: the package's code is not what an image is for, jobs run
    the mounted code). The Dockerfile is named relative to the repository when it lies inside it."""
    h = hashlib.sha256(path.read_bytes())
    for line in path.read_text().splitlines():
        words = line.split()
        if words[:1] == ["COPY"]:
            for src in (w for w in words[1:-1] if not w.startswith("--")):
                f = ROOT / src
                if f.is_file():
                    h.update(src.encode() + b"\0" + f.read_bytes())
    where = path.resolve()
    name = str(where.relative_to(ROOT)) if where.is_relative_to(ROOT) else str(where)
    return f"{name}@{h.hexdigest()[:12]}"


def stale_recipe(labels: dict[str, str]) -> str | None:
    """The Dockerfile an image was built from (by ``build_images``), when it or the files it COPYs
    (requirements, pyproject.toml) changed since; None otherwise. Images without the label (built
    elsewhere, pulled) and Dockerfiles no longer present are not judged."""
    name, _, _ = labels.get(RECIPE_LABEL, "").rpartition("@")
    path = Path(name) if Path(name).is_absolute() else ROOT / name
    return name if name and path.is_file() and recipe_label(path) != labels[RECIPE_LABEL] else None


def stale_images(engine: Engine, images: list[str]) -> dict[str, str]:
    """Image -> its Dockerfile, for the images of ``images`` that ``stale_recipe`` finds stale."""
    found = {image: image_labels(engine, image) for image in images}
    return {image: recipe for image, labels in found.items() if labels and (recipe := stale_recipe(labels))}


def build_base(engine: Engine, tag: str = DEFAULT_BASE, *, force: bool = False) -> float:
    """mmdebstrap | <engine> import. Returns seconds spent (0 when the image already existed)."""
    if not force and image_exists(engine, tag):
        return 0.0
    if not shutil.which("mmdebstrap"):
        raise NslError("building the base image needs mmdebstrap (apt-get install mmdebstrap); "
                       "see docs/containers.md")
    suite = tag.partition(":")[2] or "bookworm"
    hook = (f'if ls {EXTRA_CA_DIR}/*.crt >/dev/null 2>&1; then cp {EXTRA_CA_DIR}/*.crt "$1{EXTRA_CA_DIR}/"; '
            f'chroot "$1" update-ca-certificates; fi')
    mm = ["mmdebstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
          f"--customize-hook={hook}", suite, "-"]
    t0 = time.monotonic()
    with subprocess.Popen(mm, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as deb:
        imp = subprocess.run(engine.argv("import", "--change", 'CMD ["/bin/bash"]', "-", tag), stdin=deb.stdout,
                             capture_output=True, text=True)
        err = deb.stderr.read().decode(errors="replace") if deb.stderr else ""
        deb.wait()
    if deb.returncode != 0 or imp.returncode != 0:
        raise NslError(f"building the base image {tag} failed: mmdebstrap exit {deb.returncode}, "
                       f"{engine.name} import exit {imp.returncode}:\n{_tail(err + imp.stderr)}")
    return time.monotonic() - t0


def _tail(text: str, n: int = 25) -> str:
    return "\n".join(text.splitlines()[-n:])


def _failed_step(log: str) -> str:
    steps = [line for line in log.splitlines() if line.startswith(("STEP ", "Step "))]  # podman, docker
    return steps[-1] if steps else "(before the first step)"


def build_images(engine: Engine, names: list[str], *, base: str | None = DEFAULT_BASE,
                 log_dir: str | None = None, containers_dir: Path = CONTAINERS_DIR) -> dict[str, float]:
    """Build ``names`` (all or nothing) from ``containers_dir``/<name>.Dockerfile with the repository
    as context. ``base=None`` keeps each Dockerfile's upstream FROM. Returns seconds per image."""
    files = {n: dockerfile(n, containers_dir) for n in names}  # every name is valid before anything is built
    if base is not None:
        build_base(engine, base)
    temp = {n: f"nsl-{n}:nsl-build-{os.getpid()}" for n in names}
    times: dict[str, float] = {}
    logs = Path(log_dir or "/tmp/nsl-image-builds")
    logs.mkdir(parents=True, exist_ok=True)
    try:
        for n, f in files.items():
            argv = engine.argv("build", "--force-rm", "--network", "host", *ulimit_flags(engine), "-f", str(f),
                               "-t", temp[n], "--label", f"{RECIPE_LABEL}={recipe_label(f)}")
            if base is not None:
                argv += ["--build-arg", f"BASE={base}"]
                for key, value in LOCAL_BUILD_ARGS.get(n, {}).items():
                    argv += ["--build-arg", f"{key}={value}"]
            t0 = time.monotonic()
            proc = subprocess.run([*argv, str(ROOT)], capture_output=True, text=True)
            times[n] = time.monotonic() - t0
            (logs / f"{n}.log").write_text(proc.stdout + proc.stderr)
            if proc.returncode != 0:
                out = proc.stdout + proc.stderr
                raise NslError(f"image '{n}' failed to build from {f} at {_failed_step(out)} (log "
                               f"{logs / (n + '.log')}); no image of this build was tagged:\n{_tail(out)}")
        for n in names:
            subprocess.run(engine.argv("tag", temp[n], image_tag(n)), check=True, capture_output=True)
    finally:
        for t in temp.values():
            subprocess.run(engine.argv("rmi", t), capture_output=True)  # untag (the image stays if tagged)
    return times


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="nemo_skills_lite.cluster.images", description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", default=list(LOCAL_IMAGES), help=f"images (default: {' '.join(LOCAL_IMAGES)})")
    ap.add_argument("--engine", choices=["podman", "docker"], default=None)
    ap.add_argument("--base", default=DEFAULT_BASE, help="base image (built with mmdebstrap when missing)")
    ap.add_argument("--upstream", action="store_true", help="keep the Dockerfiles' upstream FROM (needs a registry)")
    a = ap.parse_args(argv)
    try:
        for n in a.names:  # every name is valid before the base is built
            dockerfile(n)
        engine = find_engine(a.engine, "build_images")
        t0 = time.monotonic()
        base_s = 0.0 if a.upstream else build_base(engine, a.base)
        print(f"base {a.base}: {'built in %.0f s' % base_s if base_s else 'present'}", flush=True)
        times = build_images(engine, a.names, base=None if a.upstream else a.base)
    except NslError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for n, s in times.items():
        print(f"{image_tag(n)}: {s:.0f} s")
    print(f"total {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
