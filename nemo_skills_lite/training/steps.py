"""The per-row part of prepare_data: read-stage selection, the filter chain, formatting.

``Chain(cfg).process_batch(items)`` takes raw input lines and returns the kept output rows (already
serialised, with their dedup and group keys and whether they hold code for ``filters.code_text_filter``),
per-step drop and modified-row counts, kept-length histograms and, if asked, the rejected rows with
``drop_step``/``drop_reason``. It holds no state across batches,
so batches can run in worker processes in any number.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

from nemo_skills_lite.configs.prepare_data import PrepareDataConfig
from nemo_skills_lite.data import filters as F
from nemo_skills_lite.data import ocr
from nemo_skills_lite.training.formatting import Formatter, load_prompt, load_tokenizer

_JUDGEMENT_RE = re.compile(r"\*{0,2}Judgement\*{0,2}\s*:", re.IGNORECASE)


def is_correct_judgement(judgement: Any) -> bool | None:
    """NeMo-Skills' reading of an LLM judge's text: 'Judgement: Yes' -> True, 'Judgement: No' -> False,
    anything else -> None (unparseable; NeMo-Skills then counts it as incorrect)."""
    if isinstance(judgement, bool):
        return judgement
    if not isinstance(judgement, str):
        return None
    m = _JUDGEMENT_RE.search(judgement)
    if m:
        verdict = judgement[m.end():].strip().lstrip("*").strip().lower()
        if verdict.startswith("yes"):
            return True
        if verdict.startswith("no"):
            return False
    return None


def correctness(row: dict[str, Any], use_judgement: bool) -> bool | None:
    """True/False when the row is labeled, None when unlabeled."""
    if use_judgement:
        if "judgement" not in row or row["judgement"] is None:
            return None
        return bool(is_correct_judgement(row["judgement"]))
    for key in ("symbolic_correct", "is_correct"):
        if key in row and row[key] is not None:
            return bool(row[key])
    return None


@dataclass
class BatchResult:
    kept: list[tuple[int, int, str, bool]]  # (dedup hash, group hash, output json line, solution has code)
    counts: dict[str, Any]
    rejected: list[str]
    lengths: dict[str, list[int]]  # per kept row, in `kept` order: lengths of input / output


def _h64(*parts: str) -> int:
    h = hashlib.blake2b(digest_size=8)
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return int.from_bytes(h.digest(), "little", signed=True)


class Chain:
    def __init__(self, cfg: PrepareDataConfig, *, log: Callable[[str], None] | None = None) -> None:
        self.cfg = cfg
        log = log or (lambda m: print(m, file=sys.stderr))
        self.rl = cfg.output_format == "rl"
        self.tokenizer = load_tokenizer(cfg.tokenizer_path) if cfg.tokenizer_path else None
        self.steps: list[tuple[str, F.RowFilter]] = self._build(log)
        # filters.code_text_filter works on whole problems (prepare_data.run); rows only carry the flag
        self.code_begin = (F.code_begin_token(cfg.code_tags) if cfg.filters.code_text_filter and not self.rl
                           else None)
        if cfg.filters.code_text_filter and self.rl:
            log("prepare_data: filters.code_text_filter works on generations; skipped for output_format=rl")
        prompt = load_prompt(cfg.prompt_config, cfg.system_message) if cfg.prompt_config else None
        keep = (F.CODE_EXECUTIONS_KEY,) if cfg.add_code_execution_counts else ()
        self.formatter = Formatter(input_key=cfg.input_key, output_key=cfg.output_key,
                                   output_format=cfg.output_format, prompt=prompt, tokenizer=self.tokenizer,
                                   system_message=cfg.system_message, exclude_optional_keys=cfg.exclude_optional_keys,
                                   metadata=cfg.metadata, chat_format=cfg.chat_format, keep_keys=keep)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def _build(self, log: Callable[[str], None]) -> list[tuple[str, F.RowFilter]]:
        cfg, f, out, inp = self.cfg, self.cfg.filters, self.cfg.output_key, self.cfg.input_key
        steps: list[tuple[str, F.RowFilter]] = []
        on_output: list[tuple[bool, str, Callable[[], F.RowFilter]]] = [
            (f.drop_truncated, "drop_truncated", ocr.drop_truncated),
            (f.validate_think_tags, "validate_think_tags", lambda: ocr.validate_think_tags(out)),
            (f.remove_no_think_tags, "remove_no_think_tags", lambda: F.remove_no_think_tags(out)),
            (f.drop_code_in_reasoning, "drop_code_in_reasoning", lambda: ocr.drop_code_in_reasoning(out)),
            (f.extract_code_block, "extract_code_block", lambda: ocr.extract_final_code(out, cfg.code_language)),
            (f.check_code_syntax, "check_code_syntax", ocr.check_code_syntax),
            (f.drop_multi_boxed, "drop_multi_boxed", lambda: F.drop_multi_boxed(out)),
            (f.trim_prefix, "trim_prefix", lambda: F.trim_prefix(out)),
            (f.remove_code_errors, "remove_code_errors",
             lambda: F.drop_if_contains(out, F.CODE_ERROR_PATTERNS, "code_error")),
            (f.remove_matplotlib, "remove_matplotlib",
             lambda: F.drop_if_contains(out, F.MATPLOTLIB_PATTERNS, "matplotlib")),
            (f.remove_no_code, "remove_no_code", lambda: F.remove_no_code(out)),
            (f.remove_verification_code, "remove_verification_code",
             lambda: F.drop_if_contains(out, F.VERIFICATION_CODE_PATTERNS, "verification_code")),
            (f.drop_incorrect_code_blocks, "drop_incorrect_code_blocks", lambda: F.drop_incorrect_code_blocks(out)),
            (f.trim_solutions, "trim_solutions", lambda: F.trim_solutions(out)),
            (f.drop_incorrect_arithmetic, "drop_incorrect_arithmetic", lambda: F.drop_incorrect_arithmetic(out)),
            (f.split_arithmetic, "split_arithmetic", lambda: F.split_arithmetic(out)),
            (f.remove_len_outlier_solutions, "remove_len_outlier_solutions",
             lambda: F.remove_len_outliers(out, self.count_tokens, cfg.min_solution_length, cfg.max_solution_length,
                                           cfg.use_chars_for_min_length, "solution")),
            (cfg.add_code_execution_counts, "add_code_execution_counts", lambda: F.add_code_execution_counts(out)),
        ]
        if f.remove_contaminated:
            if cfg.contamination_file:
                steps.append(("remove_contaminated",
                              F.remove_contaminated(inp, F.load_contaminated(cfg.contamination_file, inp))))
            else:
                log("prepare_data: filters.remove_contaminated=true but no ++contamination_file; step skipped")
        if f.majority_filter:
            steps.append(("majority_filter", F.majority_filter(cfg.majority_filter.min_majority_votes,
                                                               cfg.majority_filter.min_majority_percentage)))
        if f.remove_len_outlier_problems:
            steps.append(("remove_len_outlier_problems",
                          F.remove_len_outliers(inp, self.count_tokens, cfg.min_problem_length,
                                                cfg.max_problem_length, False, "problem")))
        for enabled, name, make in on_output:
            if not enabled:
                continue
            if self.rl:
                key = name if name == "add_code_execution_counts" else f"filters.{name}"
                log(f"prepare_data: {key} works on generations; skipped for output_format=rl")
                continue
            steps.append((name, make()))
        return steps

    def select(self, row: dict[str, Any], preprocessed: bool) -> str | None:
        """Read stage: required keys and add_correct/add_incorrect/add_unlabeled."""
        cfg = self.cfg
        if not row:
            return "empty_row"
        if not isinstance(row.get(cfg.input_key), str):
            return f"missing_{cfg.input_key}"
        if self.rl:
            return None
        if not isinstance(row.get(cfg.output_key), str):
            return f"missing_{cfg.output_key}"
        if preprocessed:
            return None
        label = correctness(row, cfg.use_judgement)
        if label is None:
            return None if cfg.add_unlabeled else "unlabeled"
        if label and not cfg.add_correct:
            return "correct"
        if not label and not cfg.add_incorrect:
            return "incorrect"
        return None

    def process_batch(self, items: list[tuple[bytes | dict, bool]], want_rejected: bool) -> BatchResult:
        cfg, out_key = self.cfg, self.cfg.output_key
        names = ["read"] + [n for n, _ in self.steps] + ["format"]
        rows_in, modified = Counter(), Counter()
        drops: dict[str, Counter] = {n: Counter() for n in names}
        kept: list[tuple[int, int, str, bool]] = []
        rejected: list[str] = []
        texts: dict[str, list[str]] = {}
        for raw, preprocessed in items:
            row = raw if isinstance(raw, dict) else json.loads(raw)
            rows_in["read"] += 1
            reason, step = self.select(row, preprocessed), "read"
            if reason is None:
                for name, fn in self.steps:
                    rows_in[name] += 1
                    before, n_keys = row.get(out_key), len(row)
                    reason = fn(row)
                    if reason is not None:
                        step = name
                        break
                    after = row.get(out_key)
                    if len(row) != n_keys or (after is not before and after != before):
                        modified[name] += 1
            if reason is None:
                rows_in["format"] += 1
                out = self.formatter(row)
                key = _h64(row[cfg.input_key]) if self.rl else _h64(row[cfg.input_key], row[cfg.output_key])
                has_code = self.code_begin is not None and self.code_begin in row[out_key]
                kept.append((key, _h64(row[cfg.input_key]), json.dumps(out, ensure_ascii=False), has_code))
                for k, text in self.formatter.texts_for_lengths(out).items():
                    texts.setdefault(k, []).append(text)
                continue
            drops[step][reason] += 1
            if want_rejected:
                row["drop_step"], row["drop_reason"] = step, reason
                rejected.append(json.dumps(row, ensure_ascii=False))
        counts: dict[str, Any] = {n: {"in": rows_in[n], "drops": dict(drops[n]), "modified": modified[n]}
                                  for n in names}
        lengths = {k: self._lengths(t) for k, t in texts.items()}
        return BatchResult(kept, counts, rejected, lengths)

    def _lengths(self, texts: list[str]) -> list[int]:
        if self.tokenizer is None:
            return [len(t) for t in texts]
        return [len(ids) for ids in self.tokenizer(texts, add_special_tokens=False)["input_ids"]]


# --- worker-process plumbing ---------------------------------------------------------------

_WORKER: Chain | None = None


def init_worker(cfg: PrepareDataConfig) -> None:
    global _WORKER
    _WORKER = Chain(cfg, log=lambda m: None)


def run_worker_batch(items: list[tuple[bytes | dict, bool]], want_rejected: bool) -> BatchResult:
    assert _WORKER is not None, "init_worker was not called"
    return _WORKER.process_batch(items, want_rejected)
