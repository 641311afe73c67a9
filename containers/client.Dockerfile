# Client image: runs the in-job worker and the generation client (no GPU, no torch).
#   docker build -f containers/client.Dockerfile -t nsl-client .
# `nemo_skills_lite.inference.generate` needs only the core dependencies (aiohttp, omegaconf, pyyaml);
# `transformers` is added for the text endpoint's chat templates (++tokenizer=DIR).
FROM python:3.11-slim
WORKDIR /nemo_run/code
COPY pyproject.toml README.md ./
COPY nemo_skills_lite ./nemo_skills_lite
RUN pip install --no-cache-dir -e . \
 && pip install --no-cache-dir "transformers>=4.44" "tokenizers>=0.19" "math-verify>=0.7"
ENV PYTHONUNBUFFERED=1
ENTRYPOINT []
