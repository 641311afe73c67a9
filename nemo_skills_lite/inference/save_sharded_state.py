"""Moved to ``nemo_skills_lite.conversion.save_sharded_state`` (the seed's path); this name keeps working:
``python -m nemo_skills_lite.inference.save_sharded_state ...`` runs the same program."""

from __future__ import annotations

from nemo_skills_lite.conversion.save_sharded_state import main
from nemo_skills_lite.utils.errors import run_main

__all__ = ["main"]

if __name__ == "__main__":
    run_main(main)
