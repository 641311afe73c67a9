"""Helpers shared by the KodCode recipe's stage scripts: reading stage outputs, marked sections, summaries.

The scripts run as ``python recipes/kodcode/scripts/<name>.py`` (so this folder is on ``sys.path``);
tests import them the same way.
"""

from __future__ import annotations

import glob
import json
import re
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from nemo_skills_lite.data.code_blocks import answer_part, iter_code_blocks
from nemo_skills_lite.data.io import iter_rows
from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.io import atomic_write_jsonl, atomic_write_text, read_jsonl
from nemo_skills_lite.utils.progress import Progress

# question sources (KodCode's subsets, grouped by how the question is made) -> fields a seed row needs
SUBSET_FIELDS: dict[str, tuple[str, ...]] = {
    "zero_shot": ("topic", "subtopic"),
    "questions": ("seed_question",),
    "snippets": ("snippet",),
    "docs": ("package", "doc"),
}


def read_rows(path: str | Path, *, what: str = "input") -> list[dict[str, Any]]:
    """All rows of one JSONL file; a missing file or bad line is an NslError naming it."""
    path = Path(path)
    if not path.is_file():
        raise NslError(f"{what} file not found: {path}")
    return list(read_jsonl(path))


def stream_rows(path: str | Path, *, what: str = "input") -> Iterator[dict[str, Any]]:
    """Rows of one JSONL file, one at a time (nemo_skills_lite.data.io); a missing file is an NslError now."""
    path = Path(path)
    if not path.is_file():
        raise NslError(f"{what} file not found: {path}")
    return iter_rows(path)


def glob_paths(pattern: str, *, what: str) -> list[Path]:
    """The files matching ``pattern``, sorted; no match is an NslError naming the pattern."""
    paths = sorted(Path(p) for p in glob.glob(pattern))
    if not paths:
        raise NslError(f"{what}: no file matches {pattern}")
    return paths


def require_keys(row: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    missing = [k for k in keys if not isinstance(row.get(k), str)]
    if missing:
        raise NslError(f"{where}: row has no string key {', '.join(repr(k) for k in missing)}; "
                       f"keys present: {', '.join(sorted(row)) or 'none'}")


def marked_section(text: str, name: str) -> str | None:
    """The text between ``<|{name} Begin|>`` and ``<|{name} End|>`` in the answer part (after ``</think>``).

    The last complete section wins (a model that restates the format first is fine); None without one."""
    pat = re.compile(rf"<\|{name} Begin\|>(.*?)<\|{name} End\|>", re.DOTALL)
    hits = pat.findall(answer_part(text))
    return hits[-1].strip() if hits else None


def python_blocks(text: str) -> list[str]:
    """The code of every fenced ```python block in ``text``, in order."""
    return [b.code for b in iter_code_blocks(text) if b.language == "python"]


def section_code(text: str, name: str) -> str | None:
    """The code inside a marked section: its last ```python block, or the bare section text; None if absent."""
    sec = marked_section(text, name)
    if sec is None:
        return None
    blocks = python_blocks(sec + "\n")
    return blocks[-1] if blocks else sec.strip("`\n ")


def generation_of(row: dict[str, Any], where: str) -> str:
    gen = row.get("generation")
    if gen is None:
        return ""  # a failed request: counted as malformed, not fatal
    if not isinstance(gen, str):
        raise NslError(f"{where}: 'generation' must be a string, got {type(gen).__name__}")
    return gen


def write_rows(path: str | Path, rows: Iterable[dict[str, Any]]) -> int:
    return atomic_write_jsonl(path, rows)


def summary_path(output: str | Path) -> Path:
    output = Path(output)
    return output.with_name(output.stem + ".summary.json")


def write_summary(output: str | Path, summary: dict[str, Any]) -> Path:
    """``<output stem>.summary.json`` next to a stage's output: what the final report reads."""
    path = summary_path(output)
    atomic_write_text(path, json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return path


def read_summary(output: str | Path) -> dict[str, Any]:
    path = summary_path(output)
    if not path.is_file():
        raise NslError(f"stage summary not found: {path} (did the stage that writes {Path(output).name} run?)")
    return json.loads(path.read_text(encoding="utf-8"))


def finish(output: str | Path, rows: Iterable[dict[str, Any]], summary: dict[str, Any], line: str | Callable[[], str],
           progress: Progress | None = None) -> int:
    """A stage's end: rows to ``output`` (a generator may fill ``summary`` as it goes), the summary next to
    it, one readable line on stderr (``line`` may be a function, called after the rows are written; with
    ``progress``, its closing line with the count, time and rate)."""
    write_rows(output, rows)
    write_summary(output, summary)
    text = f"{line() if callable(line) else line}; wrote {output}"
    if progress is not None:
        progress.close(text)
    else:
        print(text, file=sys.stderr)
    return 0


def counts_line(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])) or "none"
