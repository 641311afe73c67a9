"""Verified triplets -> the inputs of prepare_data's SFT and RL exports.

    python recipes/kodcode/scripts/export_triplets.py SELECTED.jsonl OUTPUT_DIR [--converted VERIFIED_CONVERTED.jsonl]

SELECTED.jsonl: select_trials.py's triplets (function-call style, already verified). VERIFIED_CONVERTED.jsonl:
``nsl verify-code``'s output for parse_converted.py's rows; only rows the sandbox accepted are kept (a
conversion that fails its own tests, or could not be parsed, is dropped).

Writes to OUTPUT_DIR:
- ``sft-input.jsonl``: ``question`` -> ``response`` (the verified solution as a ```python block), with
  ``id``, ``subset``, ``style`` (``instruct`` or ``stdin``), ``difficulty``, ``pass_rate``;
- ``rl-input.jsonl``: ``question`` + the verifiable reward: ``test_code`` (pytest, imports ``solution``) for
  ``instruct`` rows or ``tests`` (``[{input, output}]``) for ``stdin`` rows, with ``id``, ``subset``, ``style``,
  ``difficulty``. A policy answer is scored by ``nsl verify-code`` on ``{code: <answer>, test_code|tests}``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from kodcode_io import counts_line, read_rows, require_keys, write_rows, write_summary

from nemo_skills_lite.utils.errors import NslError, run_main

META = ("id", "subset", "style", "difficulty", "pass_rate")


def _reward(row: dict[str, Any], where: str) -> dict[str, Any]:
    if row.get("style") == "stdin":
        if not isinstance(row.get("tests"), list):
            raise NslError(f"{where}: stdin row has no 'tests' list")
        return {"tests": row["tests"]}
    require_keys(row, ("test_code",), where)
    return {"test_code": row["test_code"]}


def export_rows(selected: list[dict], converted: list[dict] | None, where: str = "input") -> tuple[list, list, dict]:
    triplets: list[dict] = []
    for i, row in enumerate(selected, start=1):
        require_keys(row, ("question", "solution", "test_code"), f"{where}:{i}")
        triplets.append({**row, "style": row.get("style", "instruct"), "code": row["solution"]})
    dropped: Counter = Counter()
    for i, row in enumerate(converted or [], start=1):
        if "verdict" not in row:
            raise NslError(f"converted row {i}: no 'verdict': run nsl verify-code on the converted rows first")
        if row.get("parse_error"):
            dropped[f"malformed_{row['parse_error']}"] += 1
        elif row["verdict"] != "accepted" or not row.get("passed"):
            dropped[f"failed_{row['verdict']}"] += 1
        else:
            triplets.append(row)
    sft, rl = [], []
    for i, row in enumerate(triplets, start=1):
        meta = {k: row[k] for k in META if k in row}
        sft.append({**meta, "question": row["question"], "response": f"```python\n{row['code'].rstrip()}\n```"})
        rl.append({**meta, "question": row["question"], **_reward(row, f"triplet {i}")})
    styles = Counter(r.get("style", "instruct") for r in triplets)
    summary = {"selected": len(selected), "converted_rows": len(converted or []),
               "converted_kept": len(triplets) - len(selected), "converted_dropped": dict(dropped),
               "triplets": len(triplets), "styles": dict(styles)}
    return sft, rl, summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("selected", help="select_trials.py output")
    ap.add_argument("output_dir")
    ap.add_argument("--converted", default=None, help="verified style-converted rows (nsl verify-code output)")
    args = ap.parse_args(argv)
    selected = read_rows(args.selected, what="selected triplets")
    converted = read_rows(args.converted, what="verified converted rows") if args.converted else None
    sft, rl, summary = export_rows(selected, converted, where=args.selected)
    out = Path(args.output_dir)
    write_rows(out / "sft-input.jsonl", sft)
    write_rows(out / "rl-input.jsonl", rl)
    write_summary(out / "export.jsonl", summary)
    print(f"[export] {summary['triplets']} verified triplets ({counts_line(summary['styles'])}); converted kept "
          f"{summary['converted_kept']} of {summary['converted_rows']}; wrote {out}/sft-input.jsonl, rl-input.jsonl",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    run_main(main)
