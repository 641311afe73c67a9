"""OpenReasoning code data: the OpenCodeReasoning pipeline, run as it is.

The seed (../shared/reference/002_452423e86d401082.txt, "Code data") says the code data "was created with
exactly the same pipeline as used for OpenCodeReasoning dataset, except the solutions are generated with
DeepSeek-R1-0528". So this script has no stages of its own: it runs recipes/opencodereasoning/ocr.py with
every argument it was given (see that recipe's --help and docs/recipes/opencodereasoning.md). For the
OpenReasoning variant point its solution model at R1-0528, e.g.

    python recipes/openreasoning/code.py --cluster slurm --workspace /workspace \\
        --model /workspace/DeepSeek-R1-0528-tp16 --dry-run
"""

import runpy
import sys
from pathlib import Path

OCR_RECIPE = Path(__file__).resolve().parents[1] / "opencodereasoning" / "ocr.py"


def main() -> None:
    if not OCR_RECIPE.exists():
        sys.exit(f"error: {OCR_RECIPE} not found; the code data is OpenCodeReasoning's pipeline and this "
                 "script only forwards its arguments to it")
    if sys.argv[1:2] in (["-h"], ["--help"]):
        print(__doc__)
    # Forward argv unchanged: the OCR recipe parses it exactly as if it had been run directly.
    sys.argv = [str(OCR_RECIPE), *sys.argv[1:]]
    runpy.run_path(str(OCR_RECIPE), run_name="__main__")


if __name__ == "__main__":
    main()
