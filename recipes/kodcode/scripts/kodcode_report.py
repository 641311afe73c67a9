"""The KodCode recipe's funnel: seeds -> questions -> verified triplets -> converted -> SFT / RL rows.

    python recipes/kodcode/scripts/kodcode_report.py WORKDIR [--report-dir DIR]

Reads the stage summaries the recipe's scripts write under WORKDIR (``seeds/``, ``questions/``,
``trials/``, ``selected/``, ``converted/``, ``export/``) and the final ``export/kodcode-sft.jsonl`` and
``export/kodcode-rl.jsonl``; writes ``DIR/report.json`` and ``DIR/questions-funnel.{txt,json,png}``
(default DIR: WORKDIR/report) and prints the table.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kodcode_io import counts_line, read_summary

from nemo_skills_lite.data.funnel import Funnel
from nemo_skills_lite.utils.errors import NslError, run_main
from nemo_skills_lite.utils.io import atomic_write_text

STAGES = {"seeds": "seeds/seeds.jsonl", "questions": "questions/questions.jsonl", "trials": "trials/trials.jsonl",
          "select": "selected/selected.jsonl", "convert": "converted/converted.jsonl", "export": "export/export.jsonl"}
FINAL = {"sft_rows": "export/kodcode-sft.jsonl", "rl_rows": "export/kodcode-rl.jsonl"}


def count_lines(path: Path) -> int:
    if not path.is_file():
        raise NslError(f"final output not found: {path} (did prepare_data run?)")
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


def build_report(workdir: Path) -> tuple[dict, Funnel]:
    s = {name: read_summary(workdir / rel) for name, rel in STAGES.items()}
    final = {name: count_lines(workdir / rel) for name, rel in FINAL.items()}
    q, sel, ex = s["questions"], s["select"], s["export"]
    parse_drops = {k: v for k, v in q["drops"].items() if not k.startswith("duplicate_")}
    dup_drops = {k: v for k, v in q["drops"].items() if k.startswith("duplicate_")}
    funnel = Funnel(length_unit="chars")
    funnel.count("question_synthesis", q["generated"], parse_drops)
    funnel.count("dedup", q["generated"] - sum(parse_drops.values()), dup_drops)
    funnel.count("self_verification", sel["questions"], {"no_passing_trial": sel["failed"]})
    report = {"stages": s, "final": final,
              "headline": {"seeds": s["seeds"]["total"], "questions": q["kept"], "trials": s["trials"]["trials"],
                           "trials_parsed": s["trials"]["parsed"], "verified_questions": sel["kept"],
                           "difficulty": sel["difficulty"], "converted_kept": ex["converted_kept"],
                           "triplets": ex["triplets"], **final}}
    return report, funnel


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workdir", help="the recipe's --output-dir")
    ap.add_argument("--report-dir", default=None)
    args = ap.parse_args(argv)
    workdir = Path(args.workdir)
    out = Path(args.report_dir) if args.report_dir else workdir / "report"
    report, funnel = build_report(workdir)
    funnel.write(out, stem="questions-funnel")
    atomic_write_text(out / "report.json", json.dumps(report, indent=2, sort_keys=True) + "\n")
    h = report["headline"]
    print(funnel.table())
    print(f"\nseeds {h['seeds']} -> questions {h['questions']} -> trials {h['trials']} "
          f"(parsed {h['trials_parsed']}) -> verified questions {h['verified_questions']} "
          f"(difficulty: {counts_line(h['difficulty'])}) + converted {h['converted_kept']} "
          f"= triplets {h['triplets']} -> SFT rows {h['sft_rows']}, RL rows {h['rl_rows']}")
    print(f"[report] wrote {out}/report.json and {out}/questions-funnel.txt", file=sys.stderr)
    return 0


if __name__ == "__main__":
    run_main(main)
