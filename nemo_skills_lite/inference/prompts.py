"""Prompt configs: YAML files with a system message, a user template with ``{field}`` slots and optional
few-shot examples; resolvable by name (``generic/math`` -> nemo_skills_lite/prompts/generic/math.yaml) or
by path. NeMo-Skills' layout::

    system: "You are ..."            # optional
    user: |-
      Solve the problem. {examples}Problem: {problem}
    few_shot_examples:               # optional; used when ++examples_type=NAME is given
      prefix: "Here are some examples.\\n\\n"
      template: "Problem: {problem}\\nSolution: {solution}\\n\\n"
      suffix: "Now solve this one.\\n\\n"

Examples live in ``prompts/examples/NAME.yaml`` (a list of dicts) or a YAML path. Literal braces in a
template are written ``{{`` ``}}`` (Python format syntax). For the text endpoint the messages go through
a local tokenizer's chat template (``++tokenizer=DIR``).
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from nemo_skills_lite.utils.errors import NslError

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
_KEYS = {"system", "user", "few_shot_examples", "assistant_prefix", "defaults"}
_FEW_SHOT_KEYS = {"prefix", "template", "suffix"}


@dataclass
class PromptConfig:
    user: str
    system: str = ""
    few_shot: dict[str, str] = field(default_factory=dict)
    assistant_prefix: str = ""  # text endpoint only: appended after the generation prompt
    defaults: dict[str, str] = field(default_factory=dict)  # values for fields a row may leave out
    source: str = ""


def resolve_prompt_path(name_or_path: str, subdir: str = "") -> Path:
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") and p.exists():
        return p
    cand = PROMPTS_DIR / subdir / f"{name_or_path}.yaml"
    if cand.exists():
        return cand
    avail = sorted(str(q.relative_to(PROMPTS_DIR / subdir).with_suffix(""))
                   for q in (PROMPTS_DIR / subdir).rglob("*.yaml") if "examples" not in q.parts or subdir)
    raise NslError(f"prompt config '{name_or_path}' not found (not a YAML path, not a name under "
                   f"{PROMPTS_DIR / subdir}). Available: {', '.join(avail)}")


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise NslError(f"{path}: not valid YAML: {e}") from None


@lru_cache(maxsize=64)
def load_prompt_config(name_or_path: str) -> PromptConfig:
    path = resolve_prompt_path(name_or_path)
    data = _load_yaml(path)
    if not isinstance(data, dict) or "user" not in data:
        raise NslError(f"{path}: a prompt config is a mapping with at least a 'user' template")
    unknown = set(data) - _KEYS
    if unknown:
        raise NslError(f"{path}: unknown key(s) {sorted(unknown)}; valid keys: {sorted(_KEYS)}")
    few = data.get("few_shot_examples") or {}
    if set(few) - _FEW_SHOT_KEYS:
        raise NslError(f"{path}: few_shot_examples has unknown key(s) {sorted(set(few) - _FEW_SHOT_KEYS)}; "
                       f"valid: {sorted(_FEW_SHOT_KEYS)}")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise NslError(f"{path}: defaults must be a mapping field -> text")
    cfg = PromptConfig(user=str(data["user"]), system=str(data.get("system") or ""), few_shot=dict(few),
                       assistant_prefix=str(data.get("assistant_prefix") or ""),
                       defaults={str(k): str(v) for k, v in defaults.items()}, source=str(path))
    for what, text in (("user", cfg.user), ("system", cfg.system)):
        _check_template(text, f"{path}: {what}")
    return cfg


@lru_cache(maxsize=16)
def load_examples(examples_type: str) -> list[dict[str, Any]]:
    path = resolve_prompt_path(examples_type, "examples")
    data = _load_yaml(path)
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise NslError(f"{path}: few-shot examples must be a YAML list of mappings")
    return data


def template_fields(text: str) -> set[str]:
    return {f.split(".")[0].split("[")[0] for _, f, _, _ in string.Formatter().parse(text) if f}


def _check_template(text: str, where: str) -> None:
    try:
        list(string.Formatter().parse(text))
    except ValueError as e:
        raise NslError(f"{where}: bad template ({e}); write literal braces as {{{{ and }}}}") from None


def _format(text: str, values: dict[str, Any], where: str) -> str:
    missing = template_fields(text) - set(values)
    if missing:
        raise NslError(f"{where}: the template needs field(s) {sorted(missing)} that the row does not have "
                       f"(row keys: {sorted(values)})")
    return text.format_map(values)


class Prompt:
    """A loaded prompt config plus the run's overrides; ``messages(row)`` / ``text(row)`` fill it."""

    def __init__(self, config: PromptConfig, *, system_message: str | None = None,
                 examples_type: str | None = None, tokenizer: str | None = None,
                 chat_template_kwargs: dict[str, Any] | None = None) -> None:
        self.config = config
        self.system = config.system if system_message is None else system_message
        self.examples = load_examples(examples_type) if examples_type else []
        if examples_type and not config.few_shot.get("template"):
            raise NslError(f"{config.source}: ++examples_type={examples_type} given but the prompt config has "
                           "no few_shot_examples.template")
        self.tokenizer_path = tokenizer
        self.chat_template_kwargs = chat_template_kwargs or {}
        self._tokenizer = None

    def examples_text(self) -> str:
        if not self.examples:
            return ""
        fs = self.config.few_shot
        body = "".join(_format(fs["template"], ex, f"{self.config.source}: few_shot_examples.template (example {i})")
                       for i, ex in enumerate(self.examples))
        return fs.get("prefix", "") + body + fs.get("suffix", "")

    def messages(self, row: dict[str, Any], where: str = "row") -> list[dict[str, str]]:
        values = {**self.config.defaults, **row, "examples": self.examples_text()}
        user = _format(self.config.user, values, f"{self.config.source}: user template, {where}")
        msgs = []
        if self.system:
            msgs.append({"role": "system", "content": _format(self.system, values, f"{self.config.source}: system, {where}")})
        msgs.append({"role": "user", "content": user})
        return msgs

    def text(self, row: dict[str, Any], where: str = "row") -> str:
        """Prompt string for the text endpoint via the tokenizer's chat template."""
        return self.apply_chat_template(self.messages(row, where)) + self.config.assistant_prefix

    def apply_chat_template(self, messages: list[dict[str, str]]) -> str:
        if self._tokenizer is None:
            if not self.tokenizer_path:
                raise NslError("inference.endpoint_type=text needs ++tokenizer=DIR (a local tokenizer folder whose "
                               "chat template formats the prompt)")
            from transformers import AutoTokenizer  # heavy: only for the text endpoint

            try:
                self._tokenizer = AutoTokenizer.from_pretrained(self.tokenizer_path)
            except (OSError, ValueError) as e:
                raise NslError(f"++tokenizer={self.tokenizer_path}: cannot load a tokenizer there ({e})") from None
        return self._tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True,
                                                   **self.chat_template_kwargs)
