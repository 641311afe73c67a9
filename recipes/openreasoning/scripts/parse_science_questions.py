"""Keep the generated science questions that are well-formed multiple-choice questions, exact-deduplicated.

    python recipes/openreasoning/scripts/parse_science_questions.py OUTPUT.jsonl [--input-dir DIR]
        [--origin generated|augmented] [--merge-with FILE] [--extra FILE] [--min-options 4]

--input-dir: a generation stage's folder (output-rs*.jsonl); each row's ``generation`` is parsed
(``science_mcq.parse_mcq``). A kept row keeps the input fields (topic, subtopic, difficulty, ...) and gets
``problem`` (stem + one ``X) option`` per line), ``options``, ``num_options``, ``origin`` and ``question_seed``
(``augmentation_seed`` and ``source_problem``, the question it was made from, for ``--origin augmented``).
--merge-with: already parsed rows (e.g. the originals when parsing augmentations) put first.
--extra: existing questions (rows with a ``problem`` text, e.g. OpenScience) validated the same way.
Writes OUTPUT.jsonl, OUTPUT-rejected.jsonl (every dropped row with ``drop_reason``) and OUTPUT-report/
(funnel.txt/json/png). First occurrence wins in the exact dedup (NFKC, case, whitespace).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from science_mcq import GENERATION_KEYS, parse_mcq, seed_files  # noqa: E402

from nemo_skills_lite.data.dedup import Duplicate, dedup_rows  # noqa: E402
from nemo_skills_lite.data.io import RowWriter, iter_rows  # noqa: E402
from nemo_skills_lite.data.funnel import Funnel  # noqa: E402
from nemo_skills_lite.utils.errors import NslError, run_main  # noqa: E402
from nemo_skills_lite.utils.progress import Progress  # noqa: E402

ORIGINS = ("generated", "augmented")


def question_row(row: dict[str, Any], text: Any, origin: str, min_options: int) -> tuple[dict[str, Any], str | None]:
    """The new row for a generated/augmented/provided question text, or the input row and a drop reason."""
    if origin != "provided" and row.get("finish_reason") == "length":
        return row, "truncated"
    mcq, reason = parse_mcq(text, min_options)
    if mcq is None:
        return row, reason
    out = {k: v for k, v in row.items() if k not in GENERATION_KEYS and not k.startswith("_")}
    if origin == "augmented":
        out["source_problem"] = row.get("problem")
    out.update(problem=mcq.problem(), options=list(mcq.options), num_options=len(mcq.options), origin=origin)
    return out, None


def parse_rows(rows: Iterator[tuple[dict[str, Any], Any, dict[str, Any]]], origin: str, min_options: int,
               funnel: Funnel, step: str, rejected: RowWriter) -> Iterator[dict[str, Any]]:
    """rows: (row, question text, extra fields); yields kept rows, records drops in the funnel and ``rejected``."""
    for row, text, extra in rows:
        out, reason = question_row(row, text, origin, min_options)
        funnel.count(step, 1, {reason: 1} if reason else None)
        if reason:
            rejected.write({**out, **extra, "drop_step": step, "drop_reason": reason})
        else:
            yield {**out, **extra}


def generated(folder: str, origin: str, progress: Progress) -> Iterator[tuple[dict[str, Any], Any, dict[str, Any]]]:
    seed_key = "question_seed" if origin == "generated" else "augmentation_seed"
    for path in seed_files(folder):
        seed = int(path.stem.split("-rs")[1])
        for i, row in enumerate(iter_rows(path)):
            if "generation" not in row:
                raise NslError(f"{path}: row {i + 1}: no 'generation' field (keys: {sorted(row)}); "
                               "--input-dir must be a generation stage's output folder")
            progress.update(1)
            yield row, row["generation"], {seed_key: seed}


def provided(path: str) -> Iterator[tuple[dict[str, Any], Any, dict[str, Any]]]:
    for i, row in enumerate(iter_rows(Path(path))):
        if not isinstance(row.get("problem"), str):
            raise NslError(f"{path}: row {i + 1}: no 'problem' text (keys: {sorted(row)}); --extra rows need one")
        yield row, row["problem"], {}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output", help="kept questions (.jsonl)")
    ap.add_argument("--input-dir", help="generation stage folder with output-rs*.jsonl")
    ap.add_argument("--origin", choices=ORIGINS, default="generated")
    ap.add_argument("--merge-with", help="parsed questions to put first (kept as they are, deduplicated)")
    ap.add_argument("--extra", help="jsonl of existing questions ('problem' text) to validate and add")
    ap.add_argument("--min-options", type=int, default=4, choices=range(2, 11), metavar="2..10",
                    help="fewest options a question may have (at most 10: A..J)")
    args = ap.parse_args(argv)
    if not (args.input_dir or args.merge_with or args.extra):
        raise NslError("nothing to read: give --input-dir, --merge-with and/or --extra")
    out = Path(args.output)
    funnel = Funnel(length_unit="chars")
    for step, used in (("read", True), ("merge_with", args.merge_with), ("extra", args.extra),
                       (f"parse_{args.origin}", args.input_dir), ("dedup", True)):
        if used:
            funnel.step(step)  # table order; "read" is counted at the end
    progress = Progress("parse-questions", unit="rows")
    dups: list[Duplicate] = []
    lengths: list[int] = []
    with RowWriter(out) as kept, RowWriter(out.with_name(out.stem + "-rejected.jsonl")) as rejected:

        def pool() -> Iterator[dict[str, Any]]:
            if args.merge_with:
                for row in iter_rows(Path(args.merge_with)):
                    funnel.count("merge_with", 1)
                    yield row
            if args.extra:
                yield from parse_rows(provided(args.extra), "provided", args.min_options, funnel, "extra", rejected)
            if args.input_dir:
                rows = generated(args.input_dir, args.origin, progress)
                yield from parse_rows(rows, args.origin, args.min_options, funnel, f"parse_{args.origin}", rejected)

        def fed() -> Iterator[dict[str, Any]]:
            """Feeds dedup; a row dedup dropped shows up as a new entry in ``dups`` when the next one is asked for."""
            prev = None
            for row in pool():
                note_dropped(prev)
                prev = row
                yield row
                funnel.count("dedup", 1)
            note_dropped(prev)

        def note_dropped(row: dict[str, Any] | None) -> None:
            if row is not None and dups and dups[-1].index == funnel.step("dedup").rows_in - 1:
                rejected.write({**row, "drop_step": "dedup", "drop_reason": "duplicate", "duplicate_of": dups[-1].of})
                funnel.count("dedup", 0, {"duplicate": 1})

        for row in dedup_rows(fed(), "problem", near=False, duplicates=dups):
            kept.write(row)
            lengths.append(len(row["problem"]))
    funnel.count("read", sum(s.rows_in for name, s in funnel.steps.items() if name not in ("read", "dedup")))
    funnel.add_lengths("problem", lengths)
    funnel.write(out.with_name(out.stem + "-report"))
    print(funnel.table())
    progress.close(f"kept {kept.count} questions in {out}, dropped {rejected.count} "
                   f"(see {out.stem}-rejected.jsonl)")
    return 0


if __name__ == "__main__":
    run_main(main)
