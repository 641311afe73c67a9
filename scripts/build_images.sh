#!/usr/bin/env bash
# Build the project's container images without a registry: a Debian base from Debian packages
# (mmdebstrap | podman import -> nsl-base:bookworm), then containers/<name>.Dockerfile on top of it
# (--build-arg BASE=nsl-base:bookworm), tagged nsl-<name>:latest only when every image built.
#   bash scripts/build_images.sh                  # client sandbox vllm-cpu
#   bash scripts/build_images.sh client sandbox   # some of them
#   bash scripts/build_images.sh --upstream vllm  # keep the Dockerfile's FROM (needs a registry)
# Needs podman, runc, catatonit and mmdebstrap (scripts/install.d/40-containers.sh); docs/containers.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${NSL_PYTHON:-/opt/nsl/venv/bin/python}
[ -x "$PY" ] || PY=python3
cd "$ROOT" && exec "$PY" -m nemo_skills_lite.cluster.images "$@"
