#!/usr/bin/env bash
# Sandbox for untrusted code (issue 4): bubblewrap, g++, and a world-readable interpreter/venv
# for sandboxed programs. The pyenv python on PATH lives under root's mode-700 home and cannot be
# reached by the unprivileged sandbox uids, so the venv is built from /usr/bin/python3.
set -euo pipefail
SANDBOX_VENV=${NSL_SANDBOX_VENV:-/opt/nsl/sandbox-venv}
need=()
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
/usr/bin/python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi
if [ ! -x "$SANDBOX_VENV/bin/python" ]; then
  mkdir -p "$(dirname "$SANDBOX_VENV")"
  /usr/bin/python3 -m venv "$SANDBOX_VENV"
fi
"$SANDBOX_VENV/bin/python" -c 'import pytest' >/dev/null 2>&1 || "$SANDBOX_VENV/bin/pip" install -q "pytest>=8"
chmod -R a+rX "$SANDBOX_VENV"
chmod a+rx "$(dirname "$SANDBOX_VENV")"
