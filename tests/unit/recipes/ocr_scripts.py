"""Import the OpenCodeReasoning recipe scripts (plain files under recipes/opencodereasoning/scripts/) under
names that cannot clash with other recipes' scripts of the same file name."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]
SCRIPTS = ROOT / "recipes" / "opencodereasoning" / "scripts"
DATA = ROOT / "tests" / "data" / "recipes" / "ocr"


def load(name: str) -> ModuleType:
    key = f"ocr_recipe_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, SCRIPTS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]
