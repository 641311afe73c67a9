"""Row converters of ``prepare``: one function per source layout (``source.format`` in a benchmark
YAML), each taking one upstream row (local file or HuggingFace row) to the prepared row.

Prepared keys: math ``problem``/``expected_answer``; code ``question`` plus the sandbox's test keys
(``tests`` stdin/stdout, ``test``/``entry_point`` asserts; ``plus_test`` for EvalPlus' extra inputs);
multichoice ``problem`` (question + lettered options)/``expected_answer`` (a letter); ifeval
``prompt``/``instruction_id_list``/``kwargs``; answer-judgement ``problem``/``predicted_answer``/
``expected_answer``/``expected_judgement``. Pure functions, stdlib only.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import pickle
import random
import zlib
from typing import Any, Callable

from nemo_skills_lite.utils.errors import NslError


def _number(value: Any) -> str:
    """27.0 -> '27', '1,000' -> '1000', other values unchanged as text."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text.replace(",", "") if text.replace(",", "").lstrip("-").isdigit() else text


def gsm8k(row: dict) -> dict:
    solution, _, answer = row["answer"].rpartition("####")
    return {"problem": row["question"], "expected_answer": _number(answer.strip()),
            "reference_solution": solution.strip()}


def math_rows(row: dict) -> dict:
    """MATH-style rows: ``problem`` or ``question``, ``answer`` (AIME/AMC/HMMT/Omni-MATH/Minerva)."""
    if not (row.get("problem") or row.get("question")) or row.get("answer") is None:
        raise NslError(f"math row without problem/question or answer (keys: {', '.join(sorted(row))})")
    out = {"problem": row.get("problem") or row["question"], "expected_answer": _number(row["answer"])}
    for key in ("solution", "subject", "level", "id", "unique_id", "url", "domain", "difficulty", "source",
                "problem_type"):
        if key in row:
            out["reference_solution" if key == "solution" else key] = row[key]
    return out


def human_eval(row: dict) -> dict:
    out = {"task_id": row["task_id"], "question": row["prompt"], "prompt": row["prompt"], "test": row["test"],
           "entry_point": row["entry_point"]}
    if row.get("canonical_solution"):
        out["reference_solution"] = row["prompt"] + row["canonical_solution"]
    return out


def mbpp(row: dict) -> dict:
    tests = list(row["test_list"])
    question = f"{row['text']}\nYour code should pass these tests:\n" + "\n".join(tests)
    out = {"task_id": row["task_id"], "question": question, "test": tests}
    if row.get("test_setup_code"):
        out["test_setup_code"] = row["test_setup_code"]
    if row.get("code"):
        out["reference_solution"] = row["code"]
    return out


def codecontests(row: dict) -> dict:
    """rllm copy: ``tests`` = "{'inputs': [...], 'outputs': [...]}"; the HF original
    (deepmind/code_contests): ``public_tests``/``private_tests``/``generated_tests`` = {input, output}."""
    if "tests" in row:
        tests = ast.literal_eval(row["tests"]) if isinstance(row["tests"], str) else row["tests"]
        pairs = list(zip(tests["inputs"], tests["outputs"]))
    else:
        pairs = [p for key in ("public_tests", "private_tests", "generated_tests")
                 for p in zip((row.get(key) or {}).get("input", []), (row.get(key) or {}).get("output", []))]
    if not pairs:
        raise NslError(f"codecontests row '{str(row.get('name') or row.get('problem'))[:60]}' has no tests")
    return {"question": row.get("problem") or row.get("description"),
            "tests": [{"input": i, "output": o} for i, o in pairs], "comparator": "codecontests"}


def _lcb_tests(value: Any) -> list[dict]:
    if isinstance(value, list):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        # LiveCodeBench stores private tests as base64(zlib(pickle(json string))); the pickle holds
        # only a str, so refuse anything else.
        obj = pickle.loads(zlib.decompress(base64.b64decode(value)))  # noqa: S301 - a str is checked below
        if not isinstance(obj, str):
            raise NslError("livecodebench private_test_cases: unexpected payload") from None
        return json.loads(obj)


def livecodebench(row: dict) -> dict:
    tests = _lcb_tests(row.get("public_test_cases", "[]")) + _lcb_tests(row.get("private_test_cases", "[]"))
    metadata = row.get("metadata") or {}
    if isinstance(metadata, str):
        metadata = json.loads(metadata or "{}")
    out = {"question": row["question_content"], "task_id": row.get("question_id"),
           "contest_date": str(row.get("contest_date", ""))[:10], "starter_code": row.get("starter_code", "")}
    if tests and tests[0].get("testtype") == "functional":
        fn = metadata.get("func_name")
        if not fn:
            raise NslError(f"livecodebench {out['task_id']}: functional tests without metadata.func_name")
        asserts = []
        for t in tests:
            args = ", ".join(repr(json.loads(a)) for a in t["input"].split("\n") if a.strip())
            asserts.append(f"assert Solution().{fn}({args}) == {json.loads(t['output'])!r}")
        out["test"] = asserts
    else:
        out["tests"] = [{"input": t["input"], "output": t["output"]} for t in tests]
        out["comparator"] = "livecodebench"  # its official grade_stdio rule (code_execution/compare.py)
    return out


def _strip_dollars(text: str) -> str:
    text = text.strip()
    return text[1:-1].strip() if len(text) > 1 and text[0] == text[-1] == "$" else text


def olympiadbench(row: dict) -> dict:
    """Hothan/OlympiadBench (OE_TO_*_en_COMP): ``question``, ``final_answer`` (list of "$...$")."""
    answers = [_strip_dollars(a) for a in row["final_answer"]]
    out = {"problem": row["question"], "expected_answer": ", ".join(answers)}
    for key in ("id", "subfield", "answer_type", "unit", "is_multiple_answer"):
        if row.get(key) is not None:
            out[key] = row[key]
    if row.get("solution"):
        out["reference_solution"] = "\n".join(row["solution"]) if isinstance(row["solution"], list) else row["solution"]
    return out


# ------------------------------------------------------------------ EvalPlus (+ tests)
_PLUS_CHECK = """import copy as _copy, math as _math

_REFERENCE_SOURCE = {ref!r}
_INPUTS = {inputs!r}
_ATOL = {atol!r}


def _same(got, want):
    if isinstance(want, float) or isinstance(got, float):
        try:
            return _math.isclose(got, want, rel_tol=1e-6, abs_tol=_ATOL or 1e-9) or (got != got and want != want)
        except TypeError:
            return False
    if isinstance(want, (list, tuple)) and isinstance(got, (list, tuple)):
        return len(got) == len(want) and all(_same(g, w) for g, w in zip(got, want))
    return got == want


def check(candidate):
    ns = {{}}
    exec(_REFERENCE_SOURCE, ns)
    reference = ns[{entry!r}]
    for i, args in enumerate(_INPUTS):
        want = reference(*_copy.deepcopy(args))
        got = candidate(*_copy.deepcopy(args))
        assert _same(got, want), f"input #{{i}}: expected {{want!r}}, got {{got!r}}"
"""


def plus_check(reference: str, entry_point: str, inputs: list, atol: float | None) -> str:
    """A HumanEval-style ``check(candidate)`` comparing the candidate with the reference solution on
    ``inputs`` (EvalPlus' diff testing; expected outputs come from running the reference)."""
    return _PLUS_CHECK.format(ref=reference, inputs=[list(a) for a in inputs], atol=atol or 0.0, entry=entry_point)


def _plus_inputs(row: dict, key: str) -> list:
    value = row.get(key) or []
    return json.loads(value) if isinstance(value, str) else value


def evalplus_humaneval(row: dict) -> dict:
    """EvalPlus HumanEvalPlus release rows: ``prompt``, ``canonical_solution`` (the body),
    ``entry_point``, ``base_input``, ``plus_input``, ``atol``. ``test`` runs the base inputs,
    ``plus_test`` the base and the plus inputs."""
    reference = row["prompt"] + row["canonical_solution"]
    base, plus = _plus_inputs(row, "base_input"), _plus_inputs(row, "plus_input")
    return {"task_id": row["task_id"], "question": row["prompt"], "prompt": row["prompt"],
            "entry_point": row["entry_point"], "test": plus_check(reference, row["entry_point"], base, row.get("atol")),
            "plus_test": plus_check(reference, row["entry_point"], base + plus, row.get("atol")),
            "reference_solution": reference}


def evalplus_mbpp(row: dict) -> dict:
    """EvalPlus MbppPlus release rows: ``prompt`` (docstring with one example assert),
    ``canonical_solution`` (a full program), ``entry_point``, ``base_input``, ``plus_input``, ``atol``."""
    prompt = row["prompt"].strip().strip('"').strip()
    base, plus = _plus_inputs(row, "base_input"), _plus_inputs(row, "plus_input")
    ref, entry = row["canonical_solution"], row["entry_point"]
    return {"task_id": row["task_id"], "question": prompt, "entry_point": entry,
            "test": plus_check(ref, entry, base, row.get("atol")),
            "plus_test": plus_check(ref, entry, base + plus, row.get("atol")), "reference_solution": ref}


# ------------------------------------------------------------------ multiple choice
LETTERS = "ABCDEFGHIJKLMNOP"


def mcq_problem(question: str, options: list[str]) -> str:
    return question.strip() + "\n\n" + "\n".join(f"{LETTERS[i]}) {str(o).strip()}" for i, o in enumerate(options))


def _shuffled(key: str, correct: str, wrong: list[str]) -> tuple[list[str], int]:
    """GPQA's options in a fixed random order per question (seeded by the question text)."""
    options = [correct, *wrong]
    random.Random(int(hashlib.sha256(key.encode()).hexdigest()[:16], 16)).shuffle(options)
    return options, options.index(correct)


def multichoice(row: dict) -> dict:
    """One converter for the MCQ layouts: GPQA (``Question``, ``Correct Answer``, ``Incorrect Answer
    1..3``), MMLU (``question``, ``choices``, ``answer`` index), MMLU-Pro (``options``, ``answer``
    letter), SuperGPQA (``options``, ``answer_letter``), ARC (``choices: {text, label}``, ``answerKey``)."""
    meta = {k: row[k] for k in ("subject", "category", "discipline", "field", "subfield", "difficulty", "id",
                                "question_id", "uuid", "src") if row.get(k) is not None}
    if "Question" in row:
        wrong = [row[f"Incorrect Answer {i}"].strip() for i in (1, 2, 3)]
        options, idx = _shuffled(row["Question"], row["Correct Answer"].strip(), wrong)
        question = row["Question"]
        meta.update({k.lower().replace(" ", "_").replace("-", "_"): row[k] for k in ("Subdomain", "High-level domain") if k in row})
    elif isinstance(row.get("choices"), dict):  # ARC
        labels, options = list(row["choices"]["label"]), list(row["choices"]["text"])
        question, idx = row["question"], labels.index(str(row["answerKey"]))
    else:
        question = row["question"]
        options = list(row.get("options") or row.get("choices") or [])
        answer = row.get("answer_letter", row.get("answer"))
        if isinstance(answer, int) or (isinstance(answer, str) and answer.isdigit()):
            idx = int(answer)
        elif isinstance(answer, str) and len(answer.strip()) == 1 and answer.strip().upper() in LETTERS:
            idx = LETTERS.index(answer.strip().upper())
        elif isinstance(answer, str) and answer in options:
            idx = options.index(answer)
        else:
            raise NslError(f"multichoice row: cannot tell the correct option from answer={answer!r}")
    if not options or not 0 <= idx < len(options) or len(options) > len(LETTERS):
        raise NslError(f"multichoice row: {len(options)} options and correct index {idx} do not fit "
                       f"(question {str(question)[:60]!r})")
    out = {"problem": mcq_problem(question, options), "expected_answer": LETTERS[idx], "num_options": len(options),
           **meta}
    subset = row.get("category") or row.get("discipline")  # MMLU-Pro / SuperGPQA report per category too
    if subset:
        out["subset_for_metrics"] = subset
    return out


# ------------------------------------------------------------------ instruction following, judges
def ifeval(row: dict) -> dict:
    """google/IFEval and allenai/IFBench_test rows: ``key``, ``prompt``, ``instruction_id_list``,
    ``kwargs`` (a list of dicts; the hub's Arrow files fill absent arguments with null)."""
    kwargs = row["kwargs"]
    if len(kwargs) != len(row["instruction_id_list"]):
        raise NslError(f"ifeval row {row.get('key')}: {len(row['instruction_id_list'])} instructions but "
                       f"{len(kwargs)} kwargs")
    return {"key": row.get("key"), "prompt": row["prompt"], "instruction_id_list": list(row["instruction_id_list"]),
            "kwargs": [{k: v for k, v in (kw or {}).items() if v is not None} for kw in kwargs]}


def answer_judgement(row: dict) -> dict | None:
    """Rows to test an LLM judge: a (gold, predicted) answer pair and whether they are equivalent.
    Accepts the prepared layout (``expected_judgement``) and the graders' equivalence-table layout
    (``gold``, ``prediction``, ``expected`` bool, ``source``). Extraction cases (no ``expected``) and
    hendrycks/math's rows (it compares lists in order, against the other graders' labels) are skipped."""
    if "expected_judgement" in row:
        return {k: row[k] for k in ("problem", "predicted_answer", "expected_answer", "expected_judgement", "source")
                if k in row}
    if row.get("kind", "equivalence") != "equivalence" or row.get("expected") is None \
            or str(row.get("source", "")).startswith("hendrycks"):
        return None
    return {"problem": row.get("problem") or "(not given: compare the two answers as mathematical expressions)",
            "predicted_answer": str(row["prediction"]), "expected_answer": str(row["gold"]),
            "expected_judgement": "Judgement: " + ("Yes" if row["expected"] else "No"),
            "source": row.get("source", "")}


FORMATS: dict[str, Callable[[dict], dict | None]] = {  # None: skip the row
    "gsm8k": gsm8k, "math": math_rows, "human-eval": human_eval, "mbpp": mbpp,
    "codecontests": codecontests, "livecodebench": livecodebench, "olympiadbench": olympiadbench,
    "evalplus-humaneval": evalplus_humaneval, "evalplus-mbpp": evalplus_mbpp, "multichoice": multichoice,
    "ifeval": ifeval, "answer-judgement": answer_judgement,
}
