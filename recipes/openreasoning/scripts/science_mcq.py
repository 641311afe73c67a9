"""Multiple-choice helpers shared by the science recipe's scripts (imported, not run).

- ``parse_mcq(text)``: a generated question -> (``Mcq``, None) or (None, drop reason). A well-formed
  question is a stem followed by options labelled A), B), ... consecutively (``A)``, ``A.``, ``(A)``,
  ``A:``; one per line or inline), at least ``min_options`` and at most ten (A..J), none empty, no two
  the same. Text after the last option's line (an explanation, a revealed answer) is cut off.
- ``extract_choice(generation, num_options)``: the option letter a solution picked: the last
  ``\\boxed{X}`` (or "The final answer is X") after the reasoning, else the last "Answer: X"; None
  when there is none, when the reasoning never ended (``<think>`` without ``</think>``) or when X is
  not one of the question's options.
- ``seed_files(folder)``: the ``output-rs{S}.jsonl`` files of a generation stage, in seed order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nemo_skills_lite.data.dedup import normalize_text
from nemo_skills_lite.evaluation.math_grader import MCQ_LETTERS, extract_answer, mcq_letter
from nemo_skills_lite.utils.errors import NslError

# fields a generation stage adds to a row; dropped when a parsed question becomes a new row
GENERATION_KEYS = ("generation", "num_generated_tokens", "num_input_tokens", "finish_reason", "generation_time",
                   "reasoning_content", "reasoning_parse_failed")
_MARKER = re.compile(r"(?<![A-Za-z0-9])(\(([A-J])\)|([A-J])[).:])[ \t]+")
_LABEL = re.compile(r"^\s*(?:\*\*)?(?:new\s+)?question\s*(?:\*\*)?\s*:?\s*(?:\*\*)?\s*", re.IGNORECASE)
_ANSWER = r"\b(?i:answer)\b(?:\s+(?i:is))?\s*[:：]?\s*\**\s*\(?([A-J])\b"
_SEED_FILE = re.compile(r"output-rs(\d+)\.jsonl$")
MIN_STEM_CHARS = 15


@dataclass(frozen=True)
class Mcq:
    stem: str
    options: tuple[str, ...]  # option texts; option i has letter MCQ_LETTERS[i]

    def problem(self) -> str:
        """The canonical text given to solvers: the stem, a blank line, one ``X) option`` per line."""
        return self.stem + "\n\n" + "\n".join(f"{MCQ_LETTERS[i]}) {o}" for i, o in enumerate(self.options))


def strip_reasoning(text: str) -> str | None:
    """The part after ``</think>``; the whole text without think tags; None if the reasoning never ended."""
    if "</think>" in text:
        return text.rsplit("</think>", 1)[1]
    return None if "<think>" in text else text


def _option_chain(text: str) -> list[re.Match]:
    """The longest run of markers A, B, C, ... in order (ties: the run starting last, nearest the options)."""
    markers = list(_MARKER.finditer(text))
    best: list[re.Match] = []
    for i, m in enumerate(markers):
        if (m.group(2) or m.group(3)) != "A":
            continue
        chain = [m]
        for n in markers[i + 1:]:
            if len(chain) == len(MCQ_LETTERS):
                break
            if (n.group(2) or n.group(3)) == MCQ_LETTERS[len(chain)]:
                chain.append(n)
        if len(chain) >= len(best):
            best = chain
    return best


def parse_mcq(text: Any, min_options: int = 4) -> tuple[Mcq | None, str | None]:
    if not isinstance(text, str) or not text.strip():
        return None, "empty_generation"
    body = strip_reasoning(text)
    if body is None:
        return None, "unfinished_reasoning"
    chain = _option_chain(body)
    if len(chain) < 2:
        return None, "no_options"
    if len(chain) < min_options:
        return None, "too_few_options"
    stem = _LABEL.sub("", body[:chain[0].start()], count=1).strip()
    if len(stem) < MIN_STEM_CHARS:
        return None, "no_question_text"
    options = []
    for k, m in enumerate(chain):
        end = chain[k + 1].start() if k + 1 < len(chain) else len(body)
        opt = body[m.end():end]
        if k + 1 == len(chain):
            opt = opt.split("\n", 1)[0]  # whatever follows the last option's line is not part of the question
        options.append(" ".join(opt.split()))
    if any(not o for o in options):
        return None, "empty_option"
    if len({normalize_text(o) for o in options}) < len(options):
        return None, "duplicate_options"
    return Mcq(stem, tuple(options)), None


def extract_choice(generation: Any, num_options: int = len(MCQ_LETTERS)) -> str | None:
    if not isinstance(generation, str):
        return None
    body = strip_reasoning(generation)
    if not body:
        return None
    # last \boxed{} / \fbox{}, else "The final answer is X" (extract_answer alone is NeMo-Skills': boxed only)
    final = extract_answer(body) or extract_answer(body, extract_from_boxed=False)
    letter = mcq_letter(final) if final is not None else None
    if letter is None:
        found = re.findall(_ANSWER, body)
        letter = found[-1] if found else None
    if letter is None or MCQ_LETTERS.index(letter) >= num_options:
        return None
    return letter


def seed_files(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise NslError(f"{folder}: folder not found (expected the output-rs*.jsonl files of a generation stage)")
    found = sorted((int(m.group(1)), p) for p in folder.iterdir() if (m := _SEED_FILE.match(p.name)))
    if not found:
        raise NslError(f"{folder}: no output-rs<seed>.jsonl files")
    return [p for _, p in found]
