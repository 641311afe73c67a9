#!/usr/bin/env bash
# Docker for the local executor's `containers` (the container tests run under podman and docker): Debian's
# docker.io, its daemon started by hand (this machine kind has no systemd), without iptables rules or a
# bridge: jobs' containers use the host network. ~10 s to install, ~3 s to start (docs/containers.md).
set -euo pipefail
if ! command -v dockerd >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io
fi
if ! docker info >/dev/null 2>&1; then
  nohup dockerd --iptables=false --ip6tables=false --bridge=none </dev/null >/var/log/nsl-dockerd.log 2>&1 &
  for _ in $(seq 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
fi
docker info --format 'docker {{.ServerVersion}}: storage {{.Driver}}, cgroup {{.CgroupDriver}} v{{.CgroupVersion}}' \
  || { echo "dockerd did not start; its log:" >&2; tail -n 30 /var/log/nsl-dockerd.log >&2; exit 1; }
