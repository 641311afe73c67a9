#!/usr/bin/env bash
# OpenSSH server + client, for the ssh_tunnel integration test (tests/fixtures/ssh.py starts its own
# private sshd on 127.0.0.1 with its own config and keys; the system sshd is neither configured nor used).
# Idempotent; starts no daemon.
set -euo pipefail
PKGS=(openssh-server openssh-client)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v ssh >/dev/null && command -v ssh-keygen >/dev/null && test -x /usr/sbin/sshd
echo "15-ssh: openssh $(dpkg-query -W -f='${Version}' openssh-server) installed"
