"""Parsing and counting for the OCR reasoning-pattern analysis (pure functions, no I/O).

The segmentation prompts (prompts/opencodereasoning/reasoning-patterns-{initial,final}.yaml) ask for

    <segment>
    <content>exact text</content>
    <reason>why</reason>            (final stage only)
    <pattern>one pattern name</pattern>
    </segment>

LLMs bend that format: a think block first, missing ``</segment>`` or ``</content>``, tags in another case,
markdown around names, plural or hyphenated names ("Sub-goal generation", "**Verification**"). ``parse_segments``
takes each ``<content>`` as the start of a segment, so missing wrappers and closing tags do not lose segments,
and ``normalize_pattern`` maps names onto the six patterns (unknown -> None, counted as ``unrecognized``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

PATTERNS = ("problem rephrasing", "new idea", "self-evaluation", "verification", "backtracking",
            "subgoal generation")
_ALIASES = {
    "problem rephrasing": "problem rephrasing", "rephrasing": "problem rephrasing",
    "problem restatement": "problem rephrasing", "restatement": "problem rephrasing",
    "rephrase": "problem rephrasing", "new idea": "new idea", "new ideas": "new idea", "idea": "new idea",
    "new idea generation": "new idea", "self evaluation": "self-evaluation", "selfevaluation": "self-evaluation",
    "evaluation": "self-evaluation", "verification": "verification", "verify": "verification",
    "backtracking": "backtracking", "backtrack": "backtracking", "subgoal generation": "subgoal generation",
    "sub goal generation": "subgoal generation", "subgoal": "subgoal generation", "subgoals": "subgoal generation",
    "sub goal": "subgoal generation",
}
_CONTENT = re.compile(r"<\s*content\s*>", re.I)
_FIELD_END = r"(?=<\s*/?\s*(?:content|reason|pattern|segment)\s*>|\Z)"
_REASON = re.compile(r"<\s*reason\s*>(.*?)" + _FIELD_END, re.I | re.S)
_PATTERN = re.compile(r"<\s*pattern\s*>(.*?)" + _FIELD_END, re.I | re.S)
_CLOSE_CONTENT = re.compile(r"<\s*/\s*content\s*>|<\s*(?:reason|pattern)\s*>|<\s*/?\s*segment\s*>", re.I)
UNANNOTATED_OPEN, UNANNOTATED_CLOSE = "<unannotated>", "</unannotated>"


@dataclass(frozen=True)
class Segment:
    content: str
    pattern: str | None  # one of PATTERNS, or None when the name was not recognised
    raw_pattern: str
    reason: str = ""


def normalize_pattern(name: str) -> str | None:
    text = re.sub(r"[*_`#\"'.:;()\[\]]", " ", name.split("\n")[0]).lower()
    text = re.sub(r"^\s*(pattern\s*)?\d*\s*[-:]?\s*", "", text)
    text = re.sub(r"[\s-]+", " ", text).strip()
    if text in _ALIASES:
        return _ALIASES[text]
    for alias in sorted(_ALIASES, key=len, reverse=True):  # "backtracking to the dp idea"
        if re.search(rf"\b{re.escape(alias)}\b", text):
            return _ALIASES[alias]
    return None


def strip_thinking(text: str) -> str:
    """Drop a leading think block of the segmenting model (R1-style)."""
    end = text.rfind("</think>")
    return text[end + len("</think>"):] if end >= 0 else text


def parse_segments(text: str | None) -> list[Segment]:
    if not isinstance(text, str):
        return []
    text = strip_thinking(text)
    starts = [m.end() for m in _CONTENT.finditer(text)]
    out = []
    for i, start in enumerate(starts):
        chunk = text[start: starts[i + 1] if i + 1 < len(starts) else len(text)]
        close = _CLOSE_CONTENT.search(chunk)
        content = (chunk[: close.start()] if close else chunk).strip("\n")
        rest = chunk[close.start():] if close else ""
        pat, reason = _PATTERN.search(rest), _REASON.search(rest)
        raw = pat.group(1).strip() if pat else ""
        out.append(Segment(content, normalize_pattern(raw) if raw else None, raw,
                           reason.group(1).strip() if reason else ""))
    return out


def locate(haystack: str, needle: str, start: int) -> tuple[int, int] | None:
    """Span of ``needle`` in ``haystack`` at or after ``start``; whitespace differences are tolerated."""
    needle = needle.strip()
    if not needle:
        return None
    i = haystack.find(needle, start)
    if i >= 0:
        return i, i + len(needle)
    words = needle.split()
    m = re.compile(r"\s+".join(re.escape(w) for w in words)).search(haystack, start)
    return (m.start(), m.end()) if m else None


def coverage(reasoning: str, segments: list[Segment], min_chars: int = 20) -> tuple[list[Segment], list[tuple[int, int]]]:
    """(segments found in order in the reasoning, spans of text no segment covers with >= min_chars non-space)."""
    found, gaps, cursor = [], [], 0
    for seg in segments:
        span = locate(reasoning, seg.content, cursor)
        if span is None:
            continue
        if len(reasoning[cursor: span[0]].strip()) >= min_chars:
            gaps.append((cursor, span[0]))
        found.append(seg)
        cursor = span[1]
    if len(reasoning[cursor:].strip()) >= min_chars:
        gaps.append((cursor, len(reasoning)))
    return found, gaps


def mark_unannotated(reasoning: str, gaps: list[tuple[int, int]]) -> str:
    parts, cursor = [], 0
    for s, e in gaps:
        parts += [reasoning[cursor:s], UNANNOTATED_OPEN, reasoning[s:e], UNANNOTATED_CLOSE]
        cursor = e
    parts.append(reasoning[cursor:])
    return "".join(parts)


def pattern_counts(patterns: list[str | None]) -> Counter:
    c = Counter(p if p is not None else "unrecognized" for p in patterns)
    return c


def summarize(rows: list[dict]) -> dict:
    """rows: {correctness, difficulty, patterns: [...]} -> per group: solutions, mean count and share of
    solutions with each pattern. Groups: 'all' and each difficulty, split by correctness."""
    groups: dict[str, dict[str, list[Counter]]] = {}
    for r in rows:
        c = pattern_counts(r["patterns"])
        for diff in ("all", r.get("difficulty") or "unknown"):
            groups.setdefault(diff, {}).setdefault(r["correctness"], []).append(c)
    out: dict = {}
    order = ["all", "easy", "medium", "hard"]
    for diff, by_corr in sorted(groups.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else 4, kv[0])):
        out[diff] = {}
        for corr, counters in sorted(by_corr.items()):
            n = len(counters)
            names = list(PATTERNS) + (["unrecognized"] if any(c["unrecognized"] for c in counters) else [])
            out[diff][corr] = {"solutions": n, "patterns": {
                p: {"mean_count": round(sum(c[p] for c in counters) / n, 4),
                    "share_with": round(sum(c[p] > 0 for c in counters) / n, 4)} for p in names}}
    return out
