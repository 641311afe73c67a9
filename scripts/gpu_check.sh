#!/usr/bin/env bash
# GPU check for maintainers (NOT run in CI; needs one NVIDIA GPU): for vLLM and SGLang in turn,
#   1. shard a small model at TP=1 with nemo_skills_lite/conversion/save_sharded_state.py (the seed's script),
#   2. generate 50 rows through a `generate` stage on the local executor from the plain model,
#   3. the same 50 rows from the shards (--load-format sharded_state),
# and print a table (shard time, stage wall time plain vs sharded, weight-load time from the server log, rows).
# Under 5 minutes with a 0.5B model on one GPU.
#
#   MODEL=/models/Qwen2.5-0.5B-Instruct VLLM_PYTHON=/venvs/vllm/bin/python SGLANG_PYTHON=/venvs/sglang/bin/python \
#       bash scripts/gpu_check.sh
#
# An engine whose python is unset or cannot import it is skipped (reported as such in the table).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODEL=${MODEL:?set MODEL to a small local HF model folder, e.g. Qwen2.5-0.5B-Instruct}
ROWS=${ROWS:-50}
WORK=${WORK:-$(mktemp -d /tmp/nsl-gpu-check.XXXXXX)}
PY=${PY:-python3}  # the project's interpreter (submits the stages)
cd "$ROOT"
mkdir -p "$WORK"
echo "gpu_check: work folder $WORK"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || { echo "gpu_check: no GPU (nvidia-smi failed)"; exit 1; }

"$PY" - "$WORK" "$ROWS" >/dev/null <<'EOF'
import json, sys
work, n = sys.argv[1], int(sys.argv[2])
with open(f"{work}/problems.jsonl", "w") as f:
    for i in range(n):
        f.write(json.dumps({"problem": f"What is {i} + {2 * i}? Answer with a number.", "expected_answer": str(3 * i)}) + "\n")
EOF

declare -A RESULT
for engine in vllm sglang; do
  var=$(echo "${engine}_PYTHON" | tr a-z A-Z)
  epy=${!var:-}
  if [ -z "$epy" ] || ! "$epy" -c "import $engine" 2>/dev/null; then
    RESULT[$engine]="| $engine | skipped: set $var to a python that imports $engine | | | | | |"
    continue
  fi
  shards="$WORK/$engine-tp1"
  t0=$SECONDS
  "$epy" nemo_skills_lite/conversion/save_sharded_state.py --model-path="$MODEL" --output="$shards" \
      --tensor-parallel-size=1 --context-len=4096 --engine "$engine" 2>&1 | tail -n 3
  shard_s=$((SECONDS - t0))
  cat >"$WORK/$engine.yaml" <<EOF
executor: local
registry_dir: $WORK/registry-$engine
env_vars: ["NSL_VLLM_PYTHON=${VLLM_PYTHON:-}", "NSL_SGLANG_PYTHON=${SGLANG_PYTHON:-}"]
EOF
  row="| $engine | $shard_s"
  for kind in plain sharded; do
    model=$MODEL; args=""
    if [ "$kind" = sharded ]; then model=$shards; args="--load-format sharded_state"; fi
    out="$WORK/$engine-$kind"
    t0=$SECONDS
    "$PY" - "$WORK/$engine.yaml" "$WORK/problems.jsonl" "$out" "$model" "$engine" "$args" <<'EOF'
import sys
from nemo_skills_lite.pipeline.cli import generate, wait, wrap_arguments
cfg, inp, out, model, engine, args = sys.argv[1:]
generate(ctx=wrap_arguments("++prompt_config=generic/math ++inference.tokens_to_generate=256"), cluster=cfg,
         input_file=inp, output_dir=out, expname=f"gpu-check-{engine}", model=model, server_type=engine,
         server_gpus=1, server_args=args)
state = wait(f"gpu-check-{engine}", cfg, timeout=600)
print(f"gpu_check: {engine} {'sharded' if args else 'plain'}: {state}")
sys.exit(0 if state == "finished" else 1)
EOF
    wall=$((SECONDS - t0))
    n=$(wc -l <"$out/output.jsonl" 2>/dev/null || echo 0)
    load=$(grep -ohE "Loading weights took [0-9.]+|Load weight end\. .*elapsed=[0-9.]+|load weight end.*" "$out"/logs/*server*.log 2>/dev/null | tail -n 1 | grep -oE "[0-9.]+$" || echo "?")
    row="$row | $wall s, $n rows | $load"
  done
  RESULT[$engine]="$row |"
done

echo
echo "| engine | shard TP=1 (s) | plain: stage wall, rows | plain: weight load (s) | sharded: stage wall, rows | sharded: weight load (s) |"
echo "|---|---|---|---|---|---|"
for engine in vllm sglang; do echo "${RESULT[$engine]}"; done
