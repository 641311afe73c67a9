# Sandbox service for untrusted code (nemo_skills_lite.code_execution.service).
#
#   docker build -f containers/sandbox.Dockerfile -t nsl-sandbox .
#   docker run --rm -p 18100:18100 --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
#       nsl-sandbox --port 18100 --host 0.0.0.0
#
# Isolation inside the container is the same as on a host: each worker drops to its own
# unprivileged uid (setpriv), gets rlimits and bubblewrap namespaces. bubblewrap needs
# unprivileged user namespaces, which Docker's default seccomp/AppArmor profiles block; the two
# --security-opt flags above allow them (no --privileged needed). With Slurm + enroot/pyxis the
# container runs as an ordinary process and needs nothing extra. The service must run as root
# inside the container so it can drop each worker to a separate uid.
FROM debian:12-slim

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv bubblewrap g++ util-linux ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# Service venv (the package + its sandbox extra) and a separate world-readable venv that the
# sandboxed programs run with: pytest and the packages generated tests import (docs/sandbox.md).
COPY pyproject.toml README.md containers/sandbox-requirements.txt /src/
COPY nemo_skills_lite /src/nemo_skills_lite
RUN python3 -m venv /opt/nsl/venv \
 && /opt/nsl/venv/bin/pip install --no-cache-dir "/src[sandbox]" \
 && python3 -m venv /opt/nsl/sandbox-venv \
 && /opt/nsl/sandbox-venv/bin/pip install --no-cache-dir -r /src/sandbox-requirements.txt \
 && chmod -R a+rX /opt/nsl

EXPOSE 18100
HEALTHCHECK --interval=10s --timeout=5s CMD python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:18100/health')"
ENTRYPOINT ["/opt/nsl/venv/bin/python", "-m", "nemo_skills_lite.code_execution.service"]
CMD ["--port", "18100", "--host", "0.0.0.0"]
