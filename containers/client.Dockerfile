# Client image: runs the in-job worker, the generation client, run_cmd commands and verify_code's
# client side (no GPU, no torch; `transformers` for the text endpoint's chat templates, ++tokenizer=DIR).
# Build from the repository root:
#   docker build -f containers/client.Dockerfile -t nsl-client .
# On this project's test machines (no registry) scripts/build_images.sh builds it on a Debian base
# made locally: --build-arg BASE=nsl-base:bookworm. Any image with python3 >= 3.10 and its venv
# module works as BASE.
# Everything is installed in /opt/nsl/venv, which comes first on PATH: `python`/`python3` in a job
# is the venv's. At run time the job's code is mounted at /nemo_run/code and wins over the copy
# installed here (jobs run `python -m ...` from /nemo_run/code with PYTHONPATH=/nemo_run/code).
ARG BASE=python:3.11-slim
FROM ${BASE}
COPY pyproject.toml README.md /src/
COPY nemo_skills_lite /src/nemo_skills_lite
RUN python3 -m venv /opt/nsl/venv \
 && /opt/nsl/venv/bin/pip install --no-cache-dir "/src[eval]" "transformers>=4.44" "tokenizers>=0.19" \
 && rm -rf /src
ENV PATH=/opt/nsl/venv/bin:$PATH PYTHONUNBUFFERED=1
WORKDIR /nemo_run/code
ENTRYPOINT []
