"""Final row shapes of prepare_data: SFT (`input`/`output` strings), chat `messages`, or RL prompts.

- prompt: the prompt config's system message and user template filled with the row's fields;
- SFT ``input``: the messages rendered with the tokenizer's chat template (generation prompt
  appended); ``output``: the generation + the template's end-of-turn token (e.g. ``<|im_end|>``);
- without a tokenizer (NeMo-Skills' behaviour without a prompt template): ``input`` is the filled
  user message (or the raw problem without a prompt config) and ``output`` the generation;
- ``chat_format=nemotron|llama`` (NeMo-Skills' NeMo SFT rows): ``conversations`` (user turn = the filled
  user message, assistant turn = the generation, no end-of-turn token), ``system`` and ``mask``.
"""

from __future__ import annotations

from typing import Any

from nemo_skills_lite.utils.errors import NslError

# chat_format -> (user speaker, assistant speaker); `mask` is the user speaker (its turns get no loss)
CHAT_SPEAKERS = {"nemotron": ("User", "Assistant"),
                 "llama": ("<|start_header_id|>user<|end_header_id|>", "<|start_header_id|>assistant<|end_header_id|>")}


def load_prompt(name: str, system_message: str | None = None):
    """The generation engine's prompt config (``generic/math`` or a YAML path), filled the same way."""
    from nemo_skills_lite.inference.prompts import Prompt, load_prompt_config

    return Prompt(load_prompt_config(name), system_message=system_message)


def end_of_turn_token(tokenizer) -> str:
    """The text the chat template puts after an assistant message (``<|im_end|>`` for ChatML).

    Found by rendering a marker message; falls back to the tokenizer's eos token."""
    marker = "\x00NSL_MARKER\x00"
    try:
        rendered = tokenizer.apply_chat_template(
            [{"role": "user", "content": "u"}, {"role": "assistant", "content": marker}], tokenize=False)
        tail = rendered.split(marker, 1)[1]
        eot = tail.split("\n", 1)[0].strip()
        if eot:
            return eot
    except Exception:  # templates that reject this conversation shape
        pass
    if tokenizer.eos_token:
        return tokenizer.eos_token
    raise NslError("tokenizer has neither a chat template that ends assistant turns nor an eos_token")


def load_tokenizer(path: str):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as e:
        raise NslError(f"tokenizer '{path}' could not be loaded: {str(e).splitlines()[0]}") from None


class Formatter:
    """Turns a kept row into the output row (SFT / messages / RL)."""

    def __init__(self, *, input_key: str, output_key: str, output_format: str, prompt=None,
                 tokenizer=None, system_message: str | None = None, exclude_optional_keys: bool = True,
                 metadata: dict[str, Any] | None = None, chat_format: str | None = None,
                 keep_keys: tuple[str, ...] = ()) -> None:
        self.input_key, self.output_key = input_key, output_key
        self.output_format = output_format
        self.prompt = prompt  # nemo_skills_lite.inference.prompts.Prompt or None
        self.tokenizer = tokenizer
        self.system = system_message or ""  # used only without a prompt config
        self.exclude_optional_keys = exclude_optional_keys
        self.metadata = dict(metadata or {})
        self.speakers = CHAT_SPEAKERS[chat_format.lower()] if chat_format else None
        self.keep_keys = tuple(keep_keys)  # copied even with exclude_optional_keys
        self.eot = end_of_turn_token(tokenizer) if tokenizer is not None else ""
        if tokenizer is not None and not getattr(tokenizer, "chat_template", None):
            raise NslError("tokenizer has no chat_template; SFT inputs are rendered with it")

    def messages(self, row: dict[str, Any]) -> list[dict[str, str]]:
        if self.prompt is not None:
            return self.prompt.messages(row)
        msgs = [{"role": "system", "content": self.system}] if self.system else []
        msgs.append({"role": "user", "content": str(row[self.input_key])})
        return msgs

    def render_input(self, row: dict[str, Any]) -> str:
        msgs = self.messages(row)
        if self.tokenizer is None:
            return msgs[-1]["content"]
        return self.tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {} if self.exclude_optional_keys else dict(row)
        out.update((k, row[k]) for k in self.keep_keys if k in row)
        if "expected_answer" in row:
            out["expected_answer"] = str(row["expected_answer"])
        if self.speakers is not None:
            msgs = self.messages(row)
            user, assistant = self.speakers
            out["conversations"] = [{"value": msgs[-1]["content"], "from": user, "canonical_form": ""},
                                    {"value": row[self.output_key], "from": assistant, "canonical_form": ""}]
            out["system"] = msgs[0]["content"] if len(msgs) > 1 else ""
            out["mask"] = user
        elif self.output_format == "messages":
            msgs = self.messages(row)
            msgs.append({"role": "assistant", "content": row[self.output_key]})
            out["messages"] = msgs
        elif self.output_format == "rl":
            out["input"] = self.render_input(row)
            out[self.input_key] = row[self.input_key]
        else:
            out["input"] = self.render_input(row)
            out["output"] = row[self.output_key] + self.eot
        out.update(self.metadata)
        return out

    def texts_for_lengths(self, out: dict[str, Any]) -> dict[str, str]:
        """The texts whose lengths the funnel histograms show."""
        if "messages" in out:
            return {"input": "".join(m["content"] for m in out["messages"][:-1]),
                    "output": out["messages"][-1]["content"]}
        if "conversations" in out:
            return {"input": out["system"] + out["conversations"][0]["value"],
                    "output": out["conversations"][1]["value"]}
        texts = {"input": out.get("input", "")}
        if "output" in out:
            texts["output"] = out["output"]
        return texts
