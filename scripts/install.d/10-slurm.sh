#!/usr/bin/env bash
# Slurm + munge from Debian packages, for the local test cluster (scripts/slurm_cluster.sh).
# Idempotent; starts no daemon (scripts/test.sh runs `scripts/slurm_cluster.sh start` later).
# Slurm 22.05 on Debian 12: ~8 packages, ~13 MB. The package creates /etc/munge/munge.key and the
# slurm/munge users; it ships no slurm.conf (slurm_cluster.sh writes its own).
set -euo pipefail
PKGS=(slurmctld slurmd slurm-client munge)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
# The key is normally made by munge's postinst; make sure it exists and has the modes munged wants.
if [ ! -s /etc/munge/munge.key ]; then
  if command -v mungekey >/dev/null; then mungekey --create --force; else
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; fi
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null \
  && command -v munged >/dev/null
echo "10-slurm: slurm $(dpkg-query -W -f='${Version}' slurmctld) and munge installed"
