"""``generation_type=check_contamination``: ask an LLM whether a row's problem is the same as any of its
retrieved ``similar_items`` (the output of the embedding retrieval step). One request per (row, item)
pair -- two with ``check_both_ways`` -- all sent concurrently; ``contaminated`` is True when any answer is
"True". An exact (case/space-insensitive) string match decides without the LLM.

    python -m nemo_skills_lite.inference.check_contamination ++input_file=retrieved.jsonl ++output_file=...
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from nemo_skills_lite.configs.generation import CheckContaminationConfig
from nemo_skills_lite.inference.generate import GenerationTask, main as generate_main
from nemo_skills_lite.utils.errors import NslError


def says_true(text: Any) -> bool:
    return isinstance(text, str) and text.strip().strip(".").lower() == "true"


class CheckContaminationTask(GenerationTask):
    cfg: CheckContaminationConfig

    def preprocess_data(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        key = self.cfg.retrieve_key
        for i, row in enumerate(rows):
            if key not in row or not isinstance(row.get("similar_items"), list):
                raise NslError(f"{self.cfg.input_file}: row {i} needs '{key}' and a 'similar_items' list "
                               f"(the retrieval step's output); it has keys {sorted(row)}")
        return rows

    def _items(self, row: dict[str, Any]) -> list[str]:
        items = row["similar_items"]
        return items if self.cfg.top_k is None else items[: self.cfg.top_k]

    def prefill_generation(self, row: dict[str, Any]) -> dict[str, Any] | None:
        filled = super().prefill_generation(row)
        if filled is not None:
            return filled
        query = str(row[self.cfg.retrieve_key]).strip().lower()
        if any(str(item).strip().lower() == query for item in self._items(row)):
            return {self.cfg.generation_key: True, "all_generations": []}
        if not self._items(row):
            return {self.cfg.generation_key: False, "all_generations": []}
        return None

    def fill_prompt(self, row: dict[str, Any], where: str = "row") -> list[dict[str, Any]] | str:
        if "similar_items" not in row:  # a (problem1, problem2) pair built below
            return super().fill_prompt(row, where)
        k = self.cfg.retrieve_key
        return super().fill_prompt({**row, f"{k}1": row[k], f"{k}2": (self._items(row) or [""])[0]}, where)

    async def process_single_datapoint(self, row: dict[str, Any], position: int) -> dict[str, Any]:
        k = self.cfg.retrieve_key
        pairs = []
        for item in self._items(row):
            pairs.append({f"{k}1": row[k], f"{k}2": item})
            if self.cfg.check_both_ways:
                pairs.append({f"{k}1": item, f"{k}2": row[k]})
        outs = await asyncio.gather(*(self.llm_call(super(CheckContaminationTask, self).fill_prompt(p, f"row {position}"))
                                      for p in pairs))
        gens = [o["generation"] for o in outs]
        fields: dict[str, Any] = {self.cfg.generation_key: any(says_true(g) for g in gens), "all_generations": gens}
        if self.cfg.add_generation_stats:
            fields["num_generated_tokens"] = sum(o.get("num_generated_tokens") or 0 for o in outs)
        return fields

    def postprocess(self) -> None:
        from nemo_skills_lite.utils.io import read_jsonl

        rows = list(read_jsonl(self.cfg.output_file))
        bad = sum(1 for r in rows if r.get(self.cfg.generation_key) is True)
        print(f"[check_contamination] contaminated: {bad}/{len(rows)} ({100 * bad / max(1, len(rows)):.2f}%)")


if __name__ == "__main__":
    sys.exit(generate_main(None, CheckContaminationTask, CheckContaminationConfig))
