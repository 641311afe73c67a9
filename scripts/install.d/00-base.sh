#!/usr/bin/env bash
# Base: the project venv in a world-readable path (sandboxed uids and Slurm jobs use it too).
# /usr/bin/python3 is used on purpose: the pyenv python on PATH lives under root's mode-700 home.
set -euo pipefail
VENV=${NSL_VENV:-/opt/nsl/venv}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if ! /usr/bin/python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  apt-get install -y -qq --no-install-recommends python3-venv
fi
if [ ! -x "$VENV/bin/python" ]; then
  mkdir -p "$(dirname "$VENV")"
  /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
# torch first: the local CPU wheel; anything needing torch installed before it pulls CUDA builds.
"$VENV/bin/pip" install -q torch==2.13.0
"$VENV/bin/pip" install -q -e "$ROOT[test]"
chmod -R a+rX "$(dirname "$VENV")"
