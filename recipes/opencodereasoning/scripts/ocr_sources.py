"""The four OpenCodeReasoning problem sources and how each maps to one row shape.

    {"id", "source", "problem", "tests"?: [{"input", "output"}], "difficulty"?: easy|medium|hard,
     "difficulty_raw"?: the source's own value as text}
    call-based TACO/APPS problems instead of "tests": {"fn_name", "test": [assert, ...], "test_setup_code",
     "starter_code"?} (call_based.py)

| source        | HF dataset             | text                                         | tests                                   | difficulty |
|---------------|------------------------|----------------------------------------------|-----------------------------------------|------------|
| taco          | BAAI/TACO              | question                                     | input_output (JSON: stdin, or call-based with fn_name) | difficulty (EASY..VERY_HARD) |
| apps          | codeparrot/apps        | question                                     | input_output (JSON: stdin, or call-based with fn_name) | difficulty (introductory/interview/competition) |
| code_contests | deepmind/code_contests | description                                  | public/private/generated_tests          | cf_rating, else difficulty enum |
| codeforces    | open-r1/codeforces     | title + description + input/output format + examples + note | official_tests, else examples | rating |

Interactive problems (CodeForces ``interaction_format``) get no ``tests``: the sandbox cannot run them.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from call_based import call_rows

from nemo_skills_lite.utils.errors import NslError

# ratings (Codeforces scale) -> level: below 1400 easy, below 2000 medium, else hard
EASY_BELOW, MEDIUM_BELOW = 1400, 2000
TACO_LEVELS = {"EASY": "easy", "MEDIUM": "medium", "MEDIUM_HARD": "medium", "HARD": "hard", "VERY_HARD": "hard"}
APPS_LEVELS = {"introductory": "easy", "interview": "medium", "competition": "hard"}
# deepmind/code_contests ClassLabel: 0 UNKNOWN, 1 EASY, 2 MEDIUM, 3 HARD, 4 HARDER, 5 HARDEST, 6 EXTERNAL, 7.. A, B, ...
CC_NAMES = ["UNKNOWN_DIFFICULTY", "EASY", "MEDIUM", "HARD", "HARDER", "HARDEST", "EXTERNAL"] + [
    chr(ord("A") + i) for i in range(26)]
CC_LEVELS = {"EASY": "easy", "MEDIUM": "medium", "HARD": "hard", "HARDER": "hard", "HARDEST": "hard",
             "A": "easy", "B": "easy", "C": "medium", "D": "medium"}


def need(row: dict[str, Any], key: str, where: str) -> Any:
    if key not in row:
        raise NslError(f"{where}: missing key '{key}'; keys present: {sorted(row)}")
    return row[key]


def rating_level(rating: Any) -> str | None:
    try:
        r = float(rating)
    except (TypeError, ValueError):
        return None
    if r <= 0:
        return None
    return "easy" if r < EASY_BELOW else "medium" if r < MEDIUM_BELOW else "hard"


def _text(value: Any) -> str:
    """A test input/output: strings as they are, lists of lines joined (some APPS/TACO rows)."""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value) + "\n"
    return str(value)


def io_tests(raw: Any, where: str, starter_code: Any = None) -> dict[str, Any]:
    """TACO/APPS ``input_output``, a JSON string {"inputs": [...], "outputs": [...], "fn_name"?}: stdin pairs as
    ``{"tests"}``, call-based ones as ``{"fn_name", "test", "test_setup_code", "starter_code"?}``; {} if none."""
    if raw in (None, ""):
        return {}
    try:
        io = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as e:
        raise NslError(f"{where}: 'input_output' is not valid JSON ({e.msg})") from None
    if not isinstance(io, dict):
        return {}
    if io.get("fn_name"):
        rows = call_rows(io, where)
        return {**rows, "starter_code": starter_code or None} if rows else {}
    ins, outs = io.get("inputs") or [], io.get("outputs") or []
    pairs = [{"input": _text(i), "output": _text(o)} for i, o in zip(ins, outs)]
    return {"tests": pairs} if pairs else {}


def struct_tests(*parts: Any) -> list[dict[str, str]] | None:
    """CodeContests {input: [...], output: [...]} structs, concatenated."""
    pairs = [{"input": i, "output": o} for p in parts if isinstance(p, dict)
             for i, o in zip(p.get("input") or [], p.get("output") or [])]
    return pairs or None


def taco(row: dict[str, Any], i: int, where: str) -> dict[str, Any]:
    diff = row.get("difficulty")
    return {"id": f"taco-{i}", "problem": need(row, "question", where),
            **io_tests(need(row, "input_output", where), where, row.get("starter_code")),
            "difficulty": TACO_LEVELS.get(str(diff).upper()), "difficulty_raw": diff,
            "origin": row.get("source")}


def apps(row: dict[str, Any], i: int, where: str) -> dict[str, Any]:
    diff = row.get("difficulty")
    return {"id": f"apps-{row.get('problem_id', i)}", "problem": need(row, "question", where),
            **io_tests(need(row, "input_output", where), where, row.get("starter_code")),
            "difficulty": APPS_LEVELS.get(str(diff).lower()), "difficulty_raw": diff}


def code_contests(row: dict[str, Any], i: int, where: str) -> dict[str, Any]:
    diff = row.get("difficulty")
    name = CC_NAMES[diff] if isinstance(diff, int) and 0 <= diff < len(CC_NAMES) else str(diff)
    tests = struct_tests(need(row, "public_tests", where), row.get("private_tests"), row.get("generated_tests"))
    return {"id": f"code_contests-{row.get('name') or i}", "problem": need(row, "description", where),
            "tests": tests, "difficulty": rating_level(row.get("cf_rating")) or CC_LEVELS.get(name),
            "difficulty_raw": row.get("cf_rating") or name}


def codeforces(row: dict[str, Any], i: int, where: str) -> dict[str, Any]:
    parts = [need(row, "title", where), need(row, "description", where)]
    for head, key in (("Input", "input_format"), ("Output", "output_format"), ("Interaction", "interaction_format")):
        if row.get(key):
            parts.append(f"{head}\n{row[key]}")
    for n, ex in enumerate(row.get("examples") or [], 1):
        parts.append(f"Example {n}\nInput\n{ex.get('input', '')}\nOutput\n{ex.get('output', '')}")
    if row.get("note"):
        parts.append(f"Note\n{row['note']}")
    tests = None
    if not row.get("interaction_format"):
        pairs = row.get("official_tests") or row.get("examples") or []
        tests = [{"input": t["input"], "output": t["output"]} for t in pairs] or None
    out = {"id": f"codeforces-{row.get('id') or i}", "problem": "\n\n".join(str(p).strip() for p in parts),
           "tests": tests, "difficulty": rating_level(row.get("rating")), "difficulty_raw": row.get("rating")}
    if tests and row.get("generated_checker"):  # several right answers: its testlib checker judges them
        out["checker"] = {"language": "cpp", "source": row["generated_checker"], "style": "testlib"}
    return out


MAPPERS: dict[str, Callable[[dict[str, Any], int, str], dict[str, Any]]] = {
    "taco": taco, "apps": apps, "code_contests": code_contests, "codeforces": codeforces}
HF_IDS = {"taco": "BAAI/TACO", "apps": "codeparrot/apps", "code_contests": "deepmind/code_contests",
          "codeforces": "open-r1/codeforces"}


def to_row(source: str, row: dict[str, Any], i: int, where: str) -> dict[str, Any]:
    if source not in MAPPERS:
        raise NslError(f"unknown source '{source}'; valid: {', '.join(MAPPERS)}")
    out = MAPPERS[source](row, i, where)
    if not isinstance(out["problem"], str):
        raise NslError(f"{where}: problem text is {type(out['problem']).__name__}, expected a string")
    if out.get("difficulty_raw") is not None:  # str, so parquet gets one type whatever the source
        out["difficulty_raw"] = str(out["difficulty_raw"])
    return {"id": str(out.pop("id")), "source": source,
            **{k: v for k, v in out.items() if v not in (None, "")}}
