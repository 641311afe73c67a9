#!/usr/bin/env python3
"""Math grader agreement with labelled sets nobody on the project wrote, each with its own grader's policy.

    python benchmarks/math_agreement.py [--tolerance 1e-4]

Sets (tests/data/math, provenance in tests/data/PROVENANCE_evaluation.md):
  - NeMo-Skills math_equal table: 30 pairs x both orders, labels from NeMo-Skills' tests (exact grader)
  - NeMo-Skills MATH generations: 150 graded rows (3 seeds x 50); extraction (predicted_answer) and
    verdict (symbolic_correct) against NeMo-Skills' own output (boxed extraction, exact grader)
  - hendrycks/math is_equiv table: 16 rows (exact string grader, lists compared in order)
  - Math-Verify table: 270 rows; its grader rounds floats to the row's ``precision`` (default 6), so
    rows with precision p < 6 are graded here with numeric_tolerance=10^-p. Math-Verify extracts the
    answer from both sides before it grades, so both sides go through our extraction first, with the
    switches that match its extraction (answer rows: join_boxes, extract_last_math; prose rows: also
    extract_phrases, and extract_last_number where the row's match_types has "expr"). Rows whose
    label is set by a grader flag at the value we don't implement (``strict=False``: f(x) = f(y);
    ``allow_set_relation_comp=False``: the same pair labelled the other way) are listed, not counted.
Each set is graded with its grader's policy (exact, or the Math-Verify row's precision) and again with
``--tolerance`` on every row that has no tolerance of its own (to show what the tolerance flips). Extraction paths: how often each fired on the 150 generations with all
fallback switches on, and how many of those answers were right.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nemo_skills_lite.evaluation.answer_extraction import extract_answer_path  # noqa: E402
from nemo_skills_lite.evaluation.math_grader import judge  # noqa: E402

DATA = ROOT / "tests" / "data" / "math"
ALL_ON = {"join_boxes": True, "extract_phrases": True, "extract_mcq_letter": True, "extract_last_math": True,
          "extract_last_number": True}
OUR_FLAGS = {"strict": True, "allow_set_relation_comp": True}  # math_grader's policy for these verify() flags


def _equal(gold: object, pred: object, tol: float | None) -> bool:
    return judge(gold, pred, numeric_tolerance=tol, guard="signal", timeout=10).equal


def _is_bare(s: object) -> bool:
    """No prose: once math ($...$, \\[...\\], \\boxed{...}) and \\text{...} are removed, no word of 3+ letters."""
    s = re.sub(r"\$\$.*?\$\$|\$.*?\$|\\\[.*?\\\]|\\\(.*?\\\)|\\text\{[^}]*\}", " ", str(s), flags=re.DOTALL)
    return not re.search(r"(?<!\\)\b[A-Za-z]{3,}\b", s.replace("\\boxed", ""))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    peer = json.loads((DATA / "peer_grader_tests.json").read_text())
    fixtures = [json.loads(x) for s in range(3)
                for x in (DATA / f"nemo_skills_math_output_rs{s}.jsonl").read_text().splitlines()]
    table = []  # (set, n, agree under the set's policy, agree with --tolerance added, note)
    disagree: dict[str, list] = {}

    def add(name: str, rows: list[tuple[object, object, bool, float | None]], note: str = "") -> None:
        bad = [(g, p, e) for g, p, e, t in rows if _equal(g, p, t) != e]
        tol = sum(_equal(g, p, t if t is not None else args.tolerance) == e for g, p, e, t in rows)
        table.append((name, len(rows), len(rows) - len(bad), tol, note))
        disagree[name] = bad

    ns = [r for r in peer if r["source"] == "NVIDIA/NeMo-Skills"]
    add("NeMo-Skills math_equal table", [(r["gold"], r["prediction"], r["expected"], None) for r in ns])
    add("NeMo-Skills MATH generations (verdict)",
        [(r["expected_answer"], r["predicted_answer"], r["symbolic_correct"], None) for r in fixtures],
        "ours says equal: '1320' vs '1320 km', '81' vs '(x+y)^2=81'")
    hd = [r for r in peer if r["source"] == "hendrycks/math"]
    add("hendrycks/math is_equiv table", [(r["gold"], r["prediction"], r["expected"], None) for r in hd],
        "2 lists in another order: we compare as sets (like math-verify, NeMo-Skills)")
    mv_all = [r for r in peer if r["source"] == "huggingface/Math-Verify" and r["kind"] == "equivalence"]
    mv = [r for r in mv_all if all(r["grader_config"].get(k, v) == v for k, v in OUR_FLAGS.items())]
    flagged = [r for r in mv_all if r not in mv]

    def mv_tol(r: dict) -> float | None:
        p = r["grader_config"].get("precision", 6)
        return 10.0 ** -p if p < 6 else None

    def mv_side(text: str, prose: bool, expr: bool) -> str:
        switches = {"join_boxes": True, "extract_last_math": True}
        if prose:
            switches.update(extract_phrases=True, extract_last_number=expr)
        answer = extract_answer_path(text, **switches)[0]
        return text if answer is None else answer

    def mv_rows(rows: list[dict], prose: bool) -> list:
        out = []
        for r in rows:
            expr = "expr" in r["grader_config"].get("match_types", ["latex", "expr"])
            out.append((mv_side(r["gold"], prose, expr), mv_side(r["prediction"], prose, expr), r["expected"], mv_tol(r)))
        return out

    bare = [r for r in mv if _is_bare(r["gold"]) and _is_bare(r["prediction"])]
    add("Math-Verify table, answer vs answer", mv_rows(bare, False), "row precision < 6 -> tolerance 10^-p")
    prose = [r for r in mv if r not in bare]
    add("Math-Verify table, prose rows", mv_rows(prose, True), "extracted as Math-Verify's parser does, then graded")

    extracted = sum(extract_answer_path(r["generation"])[0] == r["predicted_answer"] for r in fixtures)
    print(f"NeMo-Skills MATH generations: default extraction = NeMo-Skills' predicted_answer on "
          f"{extracted}/{len(fixtures)} rows (the other: \\fbox{{958}}, which NeMo-Skills skips)\n")
    print(f"{'set':<40} | {'rows':>4} | {'agree, its policy':>17} | {'agree, tol ' + format(args.tolerance, 'g'):>17} | note")
    print("-" * 110)
    for name, n, own, tol, note in table:
        print(f"{name:<40} | {n:4d} | {own:8d} ({100 * own / n:5.1f}%) | {tol:8d} ({100 * tol / n:5.1f}%) | {note}")

    print("\ndisagreements under each set's policy (gold | prediction | label):")
    for name, bad in disagree.items():
        if bad:
            print(f"  {name}:")
            for g, p, e in bad:
                print(f"    {str(g)[:60]!r} | {str(p)[:60]!r} | {e}")
    print(f"\nMath-Verify rows labelled under a flag value we don't implement (ours: {OUR_FLAGS}), not counted:")
    for r in flagged:
        flags = {k: r["grader_config"][k] for k in OUR_FLAGS if k in r["grader_config"]}
        ours = _equal(mv_side(r["gold"], False, True), mv_side(r["prediction"], False, True), mv_tol(r))
        print(f"    {r['gold'][:40]!r} | {r['prediction'][:40]!r} | label {r['expected']} under {flags}; ours {ours}")

    fired: Counter = Counter()
    right: Counter = Counter()
    for r in fixtures:
        answer, path = extract_answer_path(r["generation"], **ALL_ON)
        fired[path] += 1
        right[path] += bool(answer is not None and _equal(r["expected_answer"], answer, None))
    print("\nextraction paths on the 150 generations, every fallback on (fired / answer right):")
    print(", ".join(f"{p}={fired[p]}/{right[p]}" for p in ("boxed", "boxes", "phrase", "mcq_letter", "last_math",
                                                          "last_number", "none")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
