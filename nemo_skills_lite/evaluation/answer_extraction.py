"""Final-answer extraction from a generation, path by path, each path behind a switch.

``extract_answer_path(text, ...)`` returns ``(answer, path)``; ``path`` names the rule that found
the answer (``EXTRACTION_PATHS``) or is ``"none"``. The defaults follow NeMo-Skills'
``extract_answer`` (``extract_from_boxed=True``: only the last ``\\boxed{}``; with
``extract_from_boxed=False`` the ``extract_regex`` instead). ``join_boxes`` (off by default) makes
the boxed path take the last box together with the boxes right before it that only commas, "and",
"or" and math delimiters separate (``\\boxed{1} and \\boxed{-2}`` -> ``1, -2``, path ``boxes``),
as Math-Verify's extraction does. The other paths are fallbacks, off by default, tried in this
order only when the primary path found nothing:

  ``phrase``      (``extract_phrases``)      the last final-answer phrase: "The final answer is X",
                  "Final Answer: X", "The answer is X", "Answer: X", "**Answer:** X", GSM8K's "#### X"
                  (lm-eval minerva_math / gsm8k, Qwen2.5-Math's parser "the answer is")
  ``mcq_letter``  (``extract_mcq_letter``)   multiple choice: NeMo-Skills' ``eval_mcq`` rules -- an
                  extracted answer longer than one letter is reduced to its last standalone A-J
                  letter, and with nothing extracted the last "Answer: X" is used; only for rows whose
                  expected answer is a letter (``mcq=True``)
  ``last_math``   (``extract_last_math``)    the last math environment (``$...$``, ``$$...$$``,
                  ``\\(...\\)``, ``\\[...\\]``) of the text (Math-Verify's LaTeX extraction)
  ``last_number`` (``extract_last_number``)  the last number in the text (lm-eval gsm8k
                  "flexible-extract"); thousands separators dropped
Text after a chat template's end/start tokens (``<|im_end|>``, ``<|im_start|>``, ``<|eot_id|>``,
``<|endoftext|>``, ``</s>``) is never searched: a generation that ran on past its turn is cut there.
"""

from __future__ import annotations

import re

DEFAULT_EXTRACT_REGEX = r"The final answer is (.+)$"  # NeMo-Skills' default
EXTRACTION_PATHS = ("boxed", "boxes", "regex", "phrase", "mcq_letter", "last_math", "last_number")
MCQ_LETTERS = "ABCDEFGHIJ"


def braced_at(text: str, start: int) -> str | None:
    """Balanced-brace content of the group opening at ``text[start] == "{"``; None if unclosed."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
    return None  # unbalanced: the generation was cut off inside the group


def last_braced(text: str, command: str) -> tuple[int, str | None]:
    """Position and balanced-brace content of the last ``command{...}``; (-1, None) if absent."""
    idx = text.rfind(command + "{")
    if idx < 0:
        return -1, None
    return idx, braced_at(text, idx + len(command))


def _boxed(text: str) -> tuple[bool, str | None]:
    """(a box was opened, content of the last ``\\boxed{}`` / ``\\fbox{}``); the content is None when
    the generation was cut off inside the box."""
    idx, inner = max(last_braced(text, "\\boxed"), last_braced(text, "\\fbox"), key=lambda t: t[0])
    return idx >= 0, inner


# between two parts of one answer: spacing (also ``\\quad``, ``~``), math delimiters, and at most one
# of "," "and" "or" "\\text{and}" (Math-Verify's "latex envs connected by ,?and|,?or|,")
_SPACING = r"(?:\s|\$|\\[\[\]()]|\\(?:quad|qquad|[,;:!])(?![A-Za-z])|~)"
_GLUE_RE = re.compile(rf"{_SPACING}*(?:,?{_SPACING}*(?:and\b|or\b|\\text\{{\s*(?:and|or)\s*\}})|,)?{_SPACING}*\Z")


def _join_last(text: str, spans: list[tuple[int, int, str]]) -> tuple[str | None, int]:
    """The content of the last span and of the spans right before it that only glue separates,
    joined by ", "; and how many spans that is. ``spans``: (start, end, content) in text order."""
    if not spans:
        return None, 0
    i = len(spans) - 1
    while i > 0 and _GLUE_RE.match(text, spans[i - 1][1], spans[i][0]):
        i -= 1
    return ", ".join(c.strip() for _, _, c in spans[i:]), len(spans) - i


def _box_spans(text: str) -> list[tuple[int, int, str]]:
    spans = []
    for m in re.finditer(r"\\(?:boxed|fbox)\{", text):
        inner = braced_at(text, m.end() - 1)
        if inner is not None:
            spans.append((m.start(), m.end() + len(inner) + 1, inner))
    return spans


_CHAT_END_RE = re.compile(r"<\|im_end\|>|<\|im_start\|>|<\|eot_id\|>|<\|endoftext\|>|</s>")
_IS_VALUE_RE = re.compile(r"^\S.*?\bis\s+(?=[-$\\\d(])(.+)$", re.DOTALL)


def _clean(answer: str, value_after_is: bool = False) -> str | None:
    """Strip what surrounds an answer written in prose: "I hope it is correct." (and what follows it),
    bold, ``$``, a final period; with ``value_after_is``, ``The largest $n$ is 34`` -> ``34``;
    ``$x$ meters`` -> ``x`` (the first inline math, like lm-eval's minerva normaliser)."""
    s = re.sub(r"\s*I hope it is correct\b.*$", "", answer.strip(), flags=re.DOTALL)
    m = _IS_VALUE_RE.match(s) if value_after_is else None
    if m:
        s = m.group(1)
    s = s.strip().strip("*").strip()
    inline = re.search(r"\$+([^$]+)\$+|\\\((.+?)\\\)", s)
    if inline and not re.fullmatch(r"\\?\$?\s*[\d,.]+", s):
        s = inline.group(1) if inline.group(1) is not None else inline.group(2)
    if value_after_is and not re.search(r"[$\\]", s) and re.search(r"[A-Za-z]{3,}", s):
        numbers = _NUMBER_RE.findall(s)  # "Jane started growing it 3 hours ago" -> 3
        if len(numbers) == 1:
            s = numbers[0].replace(",", "")
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
    return _clean(found, value_after_is=True)


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


_MATH_ENV_RE = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$([^$]+?)\$|\\\[(.+?)\\\]|\\\((.+?)\\\)", re.DOTALL)


def _last_math(text: str) -> str | None:
    """The last math environment, joined with the ones right before it that only glue separates
    (``$1$, $2$ and $3$`` -> ``1, 2, 3``)."""
    spans = [(m.start(), m.end(), next(g for g in m.groups() if g is not None))
             for m in _MATH_ENV_RE.finditer(text)]
    return _join_last(text, [sp for sp in spans if sp[2].strip()])[0]


def _last_number(text: str) -> str | None:
    found = _NUMBER_RE.findall(text)
    return found[-1].replace(",", "") if found else None


def extract_answer_path(text: str | None, *, extract_from_boxed: bool = True,
                        extract_regex: str = DEFAULT_EXTRACT_REGEX, join_boxes: bool = False,
                        extract_phrases: bool = False, extract_mcq_letter: bool = False,
                        extract_last_math: bool = False, extract_last_number: bool = False,
                        mcq: bool = False) -> tuple[str | None, str]:
    """(answer, path); see the module docstring. ``mcq``: the row's expected answer is a letter."""
    if not text:
        return None, "none"
    if join_boxes or extract_phrases or extract_mcq_letter or extract_last_math or extract_last_number:
        cut = _CHAT_END_RE.search(text)
        text = text[:cut.start()] if cut else text
    answer, path = None, "none"
    if extract_from_boxed:
        opened, answer = _boxed(text)
        if opened and answer is None:
            return None, "none"  # cut off inside the box: a truncated generation, no fallback guesses
        path = "boxed" if answer is not None else "none"
        if answer is not None and join_boxes:
            joined, count = _join_last(text, _box_spans(text))
            if count > 1:
                answer, path = joined, "boxes"
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
    if answer is None and extract_last_math:
        answer = _last_math(text)
        path = "last_math" if answer is not None else "none"
    if answer is None and extract_last_number:
        answer = _last_number(text)
        path = "last_number" if answer is not None else "none"
    return answer, path


def extract_answer(text: str | None, **switches) -> str | None:  # type: ignore[no-untyped-def]
    """The answer alone; switches as :func:`extract_answer_path`."""
    return extract_answer_path(text, **switches)[0]
