#!/usr/bin/env python3
"""Build a tiny random Qwen2 chat model offline, for tests that need a real tokenizer and a real server.

The tokenizer is a byte-level BPE trained on the standard library's own ``.py`` files (always present
offline, deterministic), wrapped as a ``PreTrainedTokenizerFast`` with a ChatML chat template. The model
is ``Qwen2ForCausalLM`` (2 layers, hidden 128, head_dim 64 -- every vLLM CPU attention backend supports
64 -- one KV head, tied embeddings) with seeded random weights. About 2-3 MB, built in seconds; its
output is gibberish, so tests assert on structure, counts, usage and determinism.

    python scripts/build_tiny_model.py /opt/nsl/models/tiny-qwen2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import sysconfig
from pathlib import Path

VOCAB_SIZE = 2048
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
# Bump when the recipe changes so cached folders are rebuilt.
RECIPE_VERSION = "1"


def _corpus_files(limit_bytes: int = 4_000_000) -> list[str]:
    """Sorted stdlib .py files up to ``limit_bytes`` (sorted -> same corpus, same tokenizer, every run)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files, total = [], 0
    for p in sorted(stdlib.glob("*.py")):
        size = p.stat().st_size
        if total + size > limit_bytes:
            continue
        files.append(str(p))
        total += size
    if not files:
        raise RuntimeError(f"no .py files found under {stdlib} to train the tiny tokenizer on")
    return files


def _train_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train(_corpus_files(), trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   bos_token=None, unk_token=None)
    fast.chat_template = CHATML_TEMPLATE
    return fast


def build_tiny_model(out_dir: Path) -> Path:
    """Build (or reuse, if already built with this recipe) the tiny model in ``out_dir``; returns it."""
    out_dir = Path(out_dir)
    stamp = out_dir / "nsl_tiny_model.json"
    if stamp.exists() and json.loads(stamp.read_text()).get("recipe") == RECIPE_VERSION:
        return out_dir

    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tokenizer = _train_tokenizer()
    vocab = len(tokenizer)
    config = Qwen2Config(
        vocab_size=vocab, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=1, head_dim=64, max_position_embeddings=2048,
        tie_word_embeddings=True, dtype="float32",
        bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
    )
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(config).to(torch.float32).eval()
    tmp = out_dir.with_name(out_dir.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    # generation_config: vLLM reads default sampling params from it; keep it neutral.
    (tmp / "generation_config.json").write_text(json.dumps(
        {"eos_token_id": config.eos_token_id, "pad_token_id": config.pad_token_id}) + "\n")
    (tmp / "nsl_tiny_model.json").write_text(json.dumps({"recipe": RECIPE_VERSION, "vocab": vocab}) + "\n")
    if out_dir.exists():
        import shutil
        shutil.rmtree(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, out_dir)
    for p in [out_dir, *out_dir.iterdir()]:  # readable by job/sandbox uids
        p.chmod(0o755 if p.is_dir() else 0o644)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", type=Path, help="folder to write the HF model + tokenizer into")
    args = ap.parse_args(argv)
    path = build_tiny_model(args.out_dir)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
