"""Final-answer extraction from a generation, path by path, each path behind a switch.

``extract_answer_path(text, ...)`` returns ``(answer, path)``; ``path`` names the rule that found
the answer (``EXTRACTION_PATHS``) or is ``"none"``. The defaults follow NeMo-Skills'
``extract_answer`` (``extract_from_boxed=True``: only the last ``\\boxed{}``; with
``extract_from_boxed=False`` the ``extract_regex`` instead). The other paths are fallbacks, off by
default, tried in this order only when the primary path found nothing:

  ``phrase``      (``extract_phrases``)      the last final-answer phrase: "The final answer is X",
                  "Final Answer: X", "The answer is X", "Answer: X", "**Answer:** X", GSM8K's "#### X"
                  (lm-eval minerva_math / gsm8k, Qwen2.5-Math's parser "the answer is")
  ``mcq_letter``  (``extract_mcq_letter``)   multiple choice: NeMo-Skills' ``eval_mcq`` rules -- an
                  extracted answer longer than one letter is reduced to its last standalone A-J
                  letter, and with nothing extracted the last "Answer: X" is used; only for rows whose
                  expected answer is a letter (``mcq=True``)
  ``last_number`` (``extract_last_number``)  the last number in the text (lm-eval gsm8k
                  "flexible-extract"); thousands separators dropped
"""

from __future__ import annotations

import re

DEFAULT_EXTRACT_REGEX = r"The final answer is (.+)$"  # NeMo-Skills' default
EXTRACTION_PATHS = ("boxed", "regex", "phrase", "mcq_letter", "last_number")
MCQ_LETTERS = "ABCDEFGHIJ"


def last_braced(text: str, command: str) -> tuple[int, str | None]:
    """Position and balanced-brace content of the last ``command{...}``; (-1, None) if absent."""
    idx = text.rfind(command + "{")
    if idx < 0:
        return -1, None
    start = idx + len(command)
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return idx, text[start + 1:i]
    return idx, None  # unbalanced: the generation was cut off inside the box


def _boxed(text: str) -> tuple[bool, str | None]:
    """(a box was opened, content of the last ``\\boxed{}`` / ``\\fbox{}``); the content is None when
    the generation was cut off inside the box."""
    idx, inner = max(last_braced(text, "\\boxed"), last_braced(text, "\\fbox"), key=lambda t: t[0])
    return idx >= 0, inner


def _clean(answer: str) -> str | None:
    """Strip what surrounds an answer written in prose: "I hope it is correct.", bold, ``$``, a final
    period; ``is $x$ meters`` -> ``x`` (the first inline math, like lm-eval's minerva normaliser)."""
    s = re.sub(r"\s*I hope it is correct\.?\s*$", "", answer.strip())
    s = s.strip().strip("*").strip()
    inline = re.search(r"\$+([^$]+)\$+|\\\((.+?)\\\)", s)
    if inline and not re.fullmatch(r"\\?\$?\s*[\d,.]+", s):
        s = inline.group(1) if inline.group(1) is not None else inline.group(2)
    s = re.sub(r"^\$+|\$+$", "", s.rstrip(". ")).strip()
    return s or None


def _regex(text: str, pattern: str) -> str | None:
    matches = list(re.finditer(pattern, text, re.MULTILINE))
    if not matches:
        return None
    return _clean(matches[-1].group(1))


_PHRASE_RE = re.compile(
    r"(?:the\s+final\s+answer\s+is|final\s+answer\s*[:：]|the\s+(?:correct\s+)?answer\s+is|"
    r"(?<![A-Za-z])answer\s*[:：]|\*\*answer\s*[:：]?\*\*\s*[:：]?)[ \t]*(.*)$|^#{4}[ \t]*(.+)$",
    re.IGNORECASE | re.MULTILINE)
_DISPLAY_RE = re.compile(r"\s*(?:\\\[(.+?)\\\]|\$\$(.+?)\$\$|([^\n]+))", re.DOTALL)


def _phrase(text: str) -> str | None:
    matches = [m for m in _PHRASE_RE.finditer(text)]
    if not matches:
        return None
    m = matches[-1]
    found = m.group(1) if m.group(1) is not None else m.group(2)
    # a phrase inside the captured line wins: "Final Answer: The final answer is 7." -> "7."
    while (inner := _PHRASE_RE.search(found)) is not None and inner.group(1) is not None:
        found = inner.group(1)
    found = re.sub(r"^[:：\s]+", "", found)
    if not found.strip():  # "Thus, the answer is:" then the answer on its own line or in \[ ... \]
        nxt = _DISPLAY_RE.match(text, m.end())
        if nxt is None:
            return None
        found = next(g for g in nxt.groups() if g is not None)
    return _clean(found)


_LETTER_RE = re.compile(r"\b([A-J])\b(?!.*\b[A-J]\b)", re.DOTALL)
_ANSWER_LETTER_RE = re.compile(r"(?i:[*_]{0,2}answer[*_]{0,2}\s*(?:is)?\s*[:：]?[\s*_]{0,2}\s*)\(?([A-J])\)?(?![A-Za-z0-9])")


def _mcq(text: str, extracted: str | None) -> str | None:
    if extracted is not None:
        if len(extracted.strip()) == 1:
            return None  # already a single letter: nothing to reduce
        found = _LETTER_RE.findall(extracted)
        return found[-1] if found else None
    found = _ANSWER_LETTER_RE.findall(text)
    return found[-1] if found else None


_NUMBER_RE = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])|(?<![\w.])-?\d+(?:\.\d+)?")


def _last_number(text: str) -> str | None:
    found = _NUMBER_RE.findall(text)
    return found[-1].replace(",", "") if found else None


def extract_answer_path(text: str | None, *, extract_from_boxed: bool = True,
                        extract_regex: str = DEFAULT_EXTRACT_REGEX, extract_phrases: bool = False,
                        extract_mcq_letter: bool = False, extract_last_number: bool = False,
                        mcq: bool = False) -> tuple[str | None, str]:
    """(answer, path); see the module docstring. ``mcq``: the row's expected answer is a letter."""
    if not text:
        return None, "none"
    answer, path = None, "none"
    if extract_from_boxed:
        opened, answer = _boxed(text)
        if opened and answer is None:
            return None, "none"  # cut off inside the box: a truncated generation, no fallback guesses
        path = "boxed" if answer is not None else "none"
    else:
        answer = _regex(text, extract_regex)
        path = "regex" if answer is not None else "none"
    if answer is None and extract_phrases:
        answer = _phrase(text)
        path = "phrase" if answer is not None else "none"
    if extract_mcq_letter and mcq:
        letter = _mcq(text, answer)
        if letter is not None:
            return letter, "mcq_letter"
    if answer is None and extract_last_number:
        answer = _last_number(text)
        path = "last_number" if answer is not None else "none"
    return answer, path


def extract_answer(text: str | None, **switches) -> str | None:  # type: ignore[no-untyped-def]
    """The answer alone; switches as :func:`extract_answer_path`."""
    return extract_answer_path(text, **switches)[0]
