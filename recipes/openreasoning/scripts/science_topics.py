"""Question-generation inputs: one row per (topic, subtopic, difficulty).

    python recipes/openreasoning/scripts/science_topics.py TOPICS OUTPUT.jsonl --difficulties hard,brutal
        [--subtopics-per-topic K] [--max-topics N] [--seed 0]

TOPICS: a YAML mapping ``topic: [subtopic, ...]`` (recipes/openreasoning/data/science_topics.yaml) or a
JSONL of ``{"topic": ..., "subtopic": ...}`` rows. --max-topics keeps the first N topics,
--subtopics-per-topic draws K subtopics of each topic at random (fixed by --seed; all when not given).
Each row has ``id`` (topic/subtopic/difficulty), ``topic``, ``subtopic``, ``difficulty``: the fields the
science/question-generation prompt fills. The same arguments always give the same file.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import yaml

from nemo_skills_lite.utils.errors import NslError, run_main
from nemo_skills_lite.utils.io import atomic_write_jsonl, read_jsonl


def load_topics(path: str | Path) -> dict[str, list[str]]:
    """{topic: [subtopics]} in file order, each subtopic once."""
    path = Path(path)
    if not path.exists():
        raise NslError(f"topics file not found: {path} (a YAML 'topic: [subtopics]' mapping or a JSONL of "
                       "{topic, subtopic} rows)")
    topics: dict[str, list[str]] = {}
    if path.suffix in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise NslError(f"{path}: not valid YAML: {e}") from None
        if not isinstance(data, dict):
            raise NslError(f"{path}: expected a mapping 'topic: [subtopic, ...]', got {type(data).__name__}")
        for topic, subs in data.items():
            if not isinstance(subs, list) or not subs or not all(isinstance(s, str) and s.strip() for s in subs):
                raise NslError(f"{path}: topic '{topic}' needs a non-empty list of subtopic names")
            topics[str(topic)] = list(dict.fromkeys(s.strip() for s in subs))
    else:
        for i, row in enumerate(read_jsonl(path)):
            for key in ("topic", "subtopic"):
                if not isinstance(row.get(key), str) or not row[key].strip():
                    raise NslError(f"{path}:{i + 1}: key '{key}' missing or empty (keys: {sorted(row)})")
            subs = topics.setdefault(row["topic"].strip(), [])
            if row["subtopic"].strip() not in subs:
                subs.append(row["subtopic"].strip())
    if not topics:
        raise NslError(f"{path}: no topics")
    return topics


def make_rows(topics: dict[str, list[str]], difficulties: list[str], *, subtopics_per_topic: int | None = None,
              max_topics: int | None = None, seed: int = 0) -> list[dict[str, str]]:
    if not difficulties or not all(d.strip() for d in difficulties):
        raise NslError(f"difficulties {difficulties!r}: give at least one non-empty level, e.g. hard,brutal")
    for name, value in (("subtopics_per_topic", subtopics_per_topic), ("max_topics", max_topics)):
        if value is not None and value < 1:
            raise NslError(f"{name}={value} must be >= 1")
    rng = random.Random(seed)
    rows = []
    for topic in list(topics)[:max_topics]:
        subs = topics[topic]
        if subtopics_per_topic is not None and subtopics_per_topic < len(subs):
            subs = sorted(rng.sample(subs, subtopics_per_topic), key=subs.index)
        for sub in subs:
            for diff in difficulties:
                rows.append({"id": f"{topic}/{sub}/{diff.strip()}", "topic": topic, "subtopic": sub,
                             "difficulty": diff.strip()})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("topics", help="YAML mapping topic: [subtopics] or JSONL of {topic, subtopic}")
    ap.add_argument("output", help="question-generation input (.jsonl)")
    ap.add_argument("--difficulties", required=True, help="comma-separated levels, e.g. 'hard,brutal'")
    ap.add_argument("--subtopics-per-topic", type=int, default=None)
    ap.add_argument("--max-topics", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    topics = load_topics(args.topics)
    rows = make_rows(topics, args.difficulties.split(","), subtopics_per_topic=args.subtopics_per_topic,
                     max_topics=args.max_topics, seed=args.seed)
    n = atomic_write_jsonl(args.output, rows)
    used = len({r["topic"] for r in rows})
    print(f"[science-topics] wrote {n} rows to {args.output}: {used} topics, "
          f"{len({(r['topic'], r['subtopic']) for r in rows})} subtopics, "
          f"{len(set(args.difficulties.split(',')))} difficulties")
    return 0


if __name__ == "__main__":
    run_main(main)
