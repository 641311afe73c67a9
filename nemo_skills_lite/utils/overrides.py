"""``++key=value`` overrides into typed dataclass configs (NeMo-Skills / Hydra style).

``parse_overrides(GenerationConfig, ["++inference.temperature=0.6", "++max_samples=10"])`` returns a
``GenerationConfig`` instance. Unknown keys and values of the wrong type raise ``NslError`` naming
the key and listing the valid ones. Values are parsed like Hydra does (YAML scalars), so
``++filters.x=false`` is a bool and ``++n=3`` an int.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence, TypeVar

from omegaconf import OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, ValidationError

from nemo_skills_lite.utils.errors import NslError, unknown_key_error

T = TypeVar("T")


def valid_keys(cls: type, prefix: str = "") -> list[str]:
    """Dotted names of every leaf option of a (nested) dataclass config."""
    keys: list[str] = []
    for f in dataclasses.fields(cls):
        typ = f.type if not isinstance(f.type, str) else None
        sub = None
        if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            val = f.default_factory()  # type: ignore[misc]
            if dataclasses.is_dataclass(val):
                sub = type(val)
        elif dataclasses.is_dataclass(typ):
            sub = typ
        if sub is not None:
            keys.extend(valid_keys(sub, prefix + f.name + "."))
        else:
            keys.append(prefix + f.name)
    return keys


def split_override(arg: str) -> tuple[str, str]:
    """'++a.b=c' -> ('a.b', 'c'). Accepts ++, + or no prefix."""
    body = arg.lstrip("+")
    if "=" not in body:
        raise NslError(f"override '{arg}' must look like ++key=value")
    key, value = body.split("=", 1)
    if not key:
        raise NslError(f"override '{arg}' has an empty key")
    return key.strip(), value


def parse_overrides(cls: type[T], args: Sequence[str], *, where: str = "overrides",
                    base: dict[str, Any] | None = None) -> T:
    """Build ``cls`` from defaults, then ``base`` (a dict), then ``args`` (``++k=v`` strings)."""
    conf = OmegaConf.structured(cls)
    valid = valid_keys(cls)
    try:
        if base:
            conf = OmegaConf.merge(conf, base)
        dotlist = []
        for arg in args:
            key, value = split_override(arg)
            check_key(cls, valid, key, where)
            dotlist.append(f"{key}={value}")
        conf = OmegaConf.merge(conf, OmegaConf.from_dotlist(dotlist))
        obj = OmegaConf.to_object(conf)
    except (ConfigAttributeError, ConfigKeyError) as e:
        key = getattr(e, "full_key", None) or str(e)
        raise unknown_key_error(str(key), valid, where) from None
    except ValidationError as e:
        raise NslError(f"{where}: bad value for '{e.full_key}': {str(e.msg).splitlines()[0]}") from None
    post = getattr(obj, "validate", None)
    if callable(post):
        post()
    return obj  # type: ignore[return-value]


def check_key(cls: type, valid: list[str], key: str, where: str) -> None:
    """Raise the standard unknown-key error unless ``key`` is an option (or inside a dict option)."""
    if key in valid or any(v.startswith(key + ".") for v in valid):
        return
    if any(key.startswith(v + ".") and _is_dict_field(cls, v) for v in valid):  # e.g. inference.extra_body.x
        return
    raise unknown_key_error(key, valid, where)


def _is_dict_field(cls: type, dotted: str) -> bool:
    cur: Any = cls
    for part in dotted.split("."):
        fields = {f.name: f for f in dataclasses.fields(cur)}
        f = fields[part]
        if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            val = f.default_factory()  # type: ignore[misc]
            if isinstance(val, dict):
                return True
            cur = type(val) if dataclasses.is_dataclass(val) else None
        else:
            return False
        if cur is None:
            return False
    return False
