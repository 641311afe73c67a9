# Sandbox service for untrusted code (nemo_skills_lite.code_execution.service).
#
#   docker build -f containers/sandbox.Dockerfile -t nsl-sandbox .
#   docker run --rm -p 18100:18100 --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
#       nsl-sandbox --port 18100 --host 0.0.0.0
#
# On this project's test machines (no registry) scripts/build_images.sh builds it with
# --build-arg BASE=nsl-base:bookworm (Debian 12 made locally with mmdebstrap); the default BASE is
# the same Debian release from Docker Hub.
#
# Isolation inside the container is the same as on a host: each worker drops to its own
# unprivileged uid (setpriv), gets rlimits and bubblewrap namespaces. bubblewrap needs user
# namespaces and a fresh /proc: with podman, --security-opt unmask=ALL is enough (measured; the
# local executor passes it); with docker, the flags above plus systempaths=unconfined (untested).
# No --privileged needed. With Slurm + enroot/pyxis the container runs as an ordinary process and
# needs nothing extra. The service must run as root inside the container so it can drop each
# worker to a separate uid.
#
# The service's python is the venv's: /opt/nsl/venv/bin comes first on PATH, so the in-job worker
# (`python3 -m nemo_skills_lite.runtime.worker ... --role sandbox`, which starts the service with
# its own interpreter) runs with fastapi/uvicorn. Sandboxed programs run with the separate,
# world-readable /opt/nsl/sandbox-venv (pytest for KodCode-style tests).
ARG BASE=debian:12-slim
FROM ${BASE}
# torch for sandboxed programs comes from this index (a CPU build); empty = no torch in the image
# (scripts/build_images.sh passes it empty: the index is not reachable from the test machines).
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv bubblewrap g++ util-linux ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# Service venv (the package + its sandbox extra) and a separate world-readable venv that the
# sandboxed programs run with: pytest and the packages generated tests import (docs/sandbox.md).
COPY pyproject.toml README.md containers/sandbox-requirements.txt containers/sandbox-requirements-torch.txt /src/
COPY nemo_skills_lite /src/nemo_skills_lite
RUN python3 -m venv /opt/nsl/venv \
 && /opt/nsl/venv/bin/pip install --no-cache-dir "/src[sandbox]" \
 && python3 -m venv /opt/nsl/sandbox-venv \
 && /opt/nsl/sandbox-venv/bin/pip install --no-cache-dir -r /src/sandbox-requirements.txt \
 && if [ -n "$TORCH_INDEX_URL" ]; then /opt/nsl/sandbox-venv/bin/pip install --no-cache-dir \
      --index-url "$TORCH_INDEX_URL" --extra-index-url https://pypi.org/simple -r /src/sandbox-requirements-torch.txt; fi \
 && chmod -R a+rX /opt/nsl && rm -rf /src

ENV PATH=/opt/nsl/venv/bin:$PATH PYTHONUNBUFFERED=1
WORKDIR /nemo_run/code
EXPOSE 18100
HEALTHCHECK --interval=10s --timeout=5s CMD python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:18100/health')"
ENTRYPOINT ["/opt/nsl/venv/bin/python", "-m", "nemo_skills_lite.code_execution.service"]
CMD ["--port", "18100", "--host", "0.0.0.0"]
