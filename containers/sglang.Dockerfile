# SGLang server image for generation jobs (GPU; the seed recipes serve DeepSeek-R1 with it on 2x8 H100).
#   docker build -f containers/sglang.Dockerfile -t nsl-sglang .
# Multi-node launch flags (--tp, --nnodes, --node-rank, --dist-init-addr) come from
# nemo_skills_lite.inference.servers.server_launch.
ARG BASE=lmsysorg/sglang:v0.5.3-cu126
FROM ${BASE}
WORKDIR /nemo_run/code
COPY pyproject.toml README.md ./
COPY nemo_skills_lite ./nemo_skills_lite
RUN pip install --no-cache-dir --no-deps -e . \
 && pip install --no-cache-dir "omegaconf>=2.3" "pyyaml>=6" "aiohttp>=3.9"
ENV HF_HUB_OFFLINE=1
ENTRYPOINT []
