#!/usr/bin/env bash
# Container engine for the local executor's `containers` (issue 11): podman from Debian packages,
# runc (crun 1.8 refuses this machine kind's hybrid cgroups), catatonit (`--init`), mmdebstrap (the
# Debian base image; no registry is reachable). ~10 s on a fresh machine. The images themselves are
# built by scripts/build_images.sh, or once per machine by the tests' `container_images` fixture
# (several minutes: docs/containers.md).
set -euo pipefail
need=()
for tool in podman:podman runc:runc catatonit:catatonit mmdebstrap:mmdebstrap; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi
podman --version
