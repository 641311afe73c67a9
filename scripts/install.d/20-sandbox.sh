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
# The packages sandboxed programs may import (pinned; docs/sandbox.md lists them). Installed again only
# when the requirements file changed: its hash is stamped into the venv after a successful install.
# torch (containers/sandbox-requirements-torch.txt) too, unless NSL_SANDBOX_TORCH=0: pip takes the CPU
# wheel in /opt/wheels on this project's machines; elsewhere point pip at a CPU index first
# (PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu) or PyPI's CUDA build comes (several GB).
DIR="$(cd "$(dirname "$0")/../.." && pwd)/containers"
REQS=(-r "$DIR/sandbox-requirements.txt")
[ "${NSL_SANDBOX_TORCH:-1}" = 0 ] || REQS+=(-r "$DIR/sandbox-requirements-torch.txt")
STAMP="$SANDBOX_VENV/.nsl-requirements.sha256"
want=$(printf '%s\n' "${REQS[@]}" | grep -v '^-r$' | xargs cat | sha256sum | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  "$SANDBOX_VENV/bin/pip" install -q --disable-pip-version-check "${REQS[@]}"
  "$SANDBOX_VENV/bin/python" -c 'import pytest, numpy, scipy, pandas, sympy, sortedcontainers, networkx, sklearn, cv2, xgboost'
  [ "${NSL_SANDBOX_TORCH:-1}" = 0 ] || "$SANDBOX_VENV/bin/python" -c 'import torch'
  echo "$want" > "$STAMP"
fi
chmod -R a+rX "$SANDBOX_VENV"
chmod a+rx "$(dirname "$SANDBOX_VENV")"
