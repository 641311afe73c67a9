"""The science recipe's own script stages (topics, parse, augmentation parse, majority, prepare_data), taken
from its --dry-run specs and run for real on hand-written generation outputs: which questions survive,
why the others are dropped, which majority each question gets, and exactly which solutions become SFT rows."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from tests.unit.recipes.test_openreasoning_science_recipe import RECIPE, ROOT, _specs

THERMO = ("An ideal monatomic gas expands reversibly and adiabatically from volume V to 8V. By what factor does its "
          "absolute temperature change?\nA) 1/2  B) 1/4  C) 1/8  D) 2  E) 4  F) 1/16  G) 1/3  H) 1/√8  I) 8  J) 1")
LENS = ("A thin converging lens of focal length 20 cm forms a real image of an object 30 cm from the lens. How far "
        "from the lens is the image?\nA) 12 cm\nB) 40 cm\nC) 60 cm\nD) 50 cm")
CROSS = ("In a cross of two heterozygous pea plants (Aa x Aa) with A completely dominant, what fraction of the "
         "offspring shows the recessive phenotype?\n(A) 1/2\n(B) 3/4\n(C) 1/4\n(D) 0")
CARNOT = ("A Carnot engine works between reservoirs at 600 K and 300 K and absorbs 1200 J per cycle. How much work "
          "does it do per cycle?\nA. 300 J\nB. 600 J\nC. 900 J\nD. 1200 J\nE. 400 J")
ABERRATION = ("<think>Something on lens defects.</think>\n**Question:** Which aberration arises because the "
              "refractive index of glass depends on wavelength?\nA) spherical aberration\nB) chromatic aberration\n"
              "C) coma\nD) astigmatism\n\nAnswer: B")
HELICASE = ("Which enzyme unwinds the DNA double helix at the replication fork?\nA) DNA ligase\nB) Primase\n"
            "C) Helicase\nD) Topoisomerase I")
GAS_AUG = ("A diatomic ideal gas (gamma = 7/5) is compressed reversibly and adiabatically to 1/32 of its volume. "
           "By what factor does its absolute temperature change?\nA) 2  B) 4  C) 8  D) 1/4  E) 32  F) 16  G) 1/2  "
           "H) 1  I) 3  J) 6")


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _run_stage(specs: dict, expname: str) -> str:
    cmd = specs[expname]["units"][0]["command"].replace(specs[expname]["code_dir"], str(ROOT))  # no snapshot: dry run
    argv = [a for a in shlex.split(cmd) if not a.startswith("++tokenizer=")]  # no tokenizer download in tests
    argv[0] = sys.executable  # "python" of the job
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert p.returncode == 0, f"{expname}: {p.stderr[-2000:]}"
    return p.stdout + p.stderr


def _sol(letter: str | None, think: bool = True, text: str = "") -> dict:
    body = text or (f"So the correct option is \\boxed{{{letter}}}." if letter else "I cannot decide.")
    return {"generation": (f"<think>Work through the options one by one.</think>\n{body}" if think else body),
            "finish_reason": "stop"}


def _distinct(sols: list[dict]) -> list[dict]:
    """The same answers reached in different words, so prepare_data's dedup keeps them apart."""
    return [{**s, "generation": s["generation"].replace("one by one", f"one by one (attempt {k})")}
            for k, s in enumerate(sols)]


def test_replay_script_stages_on_hand_written_generations(tmp_path: Path):
    ws, sci = tmp_path / "ws", tmp_path / "ws" / "open-reasoning" / "sdg" / "science"
    topics = tmp_path / "topics.yaml"
    topics.write_text("physics: [thermodynamics, optics]\nbiology: [genetics]\n")
    extra = tmp_path / "extra.jsonl"
    _write(extra, [{"problem": HELICASE, "topic": "biology", "subtopic": "molecular genetics"},
                   {"problem": "Which enzyme seals nicks in DNA?"}])
    env = dict(os.environ, PYTHONPATH=str(ROOT), NSL_REGISTRY_DIR=str(tmp_path / "registry"))
    p = subprocess.run([sys.executable, str(RECIPE), "--dry-run", "--cluster", "local", "--workspace", str(ws),
                        "--server-address", "http://127.0.0.1:9", "--topics", str(topics), "--difficulties",
                        "hard,brutal", "--extra-questions", str(extra), "--min-majority-share", "0.6"],
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    specs = _specs(ws)

    _run_stage(specs, "science-topics")
    rows = _read(sci / "topics.jsonl")
    assert [(r["topic"], r["subtopic"], r["difficulty"]) for r in rows] == [
        ("physics", "thermodynamics", "hard"), ("physics", "thermodynamics", "brutal"), ("physics", "optics", "hard"),
        ("physics", "optics", "brutal"), ("biology", "genetics", "hard"), ("biology", "genetics", "brutal")]

    seed0 = [THERMO, CARNOT, LENS, "Light passes two polarizers 60 degrees apart. What fraction gets through?",
             CROSS, CROSS]
    seed1 = [THERMO.upper().replace("  ", " "), "<think>A hard optics one", ABERRATION,
             "Which lens is thinnest?\nA) a\nB) b\nC) c", "Which allele is dominant?\nA) A\nB) a\nC) A\nD) Aa", ""]
    for seed, gens in enumerate((seed0, seed1)):
        _write(sci / "questions-raw" / f"output-rs{seed}.jsonl",
               [{**r, "generation": g, "finish_reason": "length" if (seed, i) == (0, 5) else "stop"}
                for i, (r, g) in enumerate(zip(rows, gens))])
    _run_stage(specs, "science-questions-parse")
    questions = _read(sci / "questions.jsonl")
    words = ["replication fork", "adiabatically", "Carnot", "converging lens", "heterozygous", "wavelength"]
    assert len(questions) == len(words) and all(w in q["problem"] for w, q in zip(words, questions))
    assert [q["origin"] for q in questions] == ["provided"] + ["generated"] * 5
    assert [q["num_options"] for q in questions] == [4, 10, 5, 4, 4, 4]
    assert questions[5]["question_seed"] == 1 and questions[5]["subtopic"] == "optics"
    assert "Answer" not in questions[5]["problem"]  # the revealed answer after the options is cut off
    rejected = {(r.get("question_seed"), r.get("difficulty"), r["drop_reason"])
                for r in _read(sci / "questions-rejected.jsonl")}
    assert rejected == {(None, None, "no_options"), (0, "brutal", "no_options"), (0, "brutal", "truncated"),
                        (1, "hard", "duplicate"), (1, "brutal", "unfinished_reasoning"),
                        (1, "brutal", "too_few_options"), (1, "hard", "duplicate_options"),
                        (1, "brutal", "empty_generation")}
    assert (sci / "questions-report" / "funnel.txt").read_text().count("\n") > 4

    augmented = [GAS_AUG, "\n\n" + LENS.replace("\n", "\n\n"), "Make it harder.", "", "", ""]
    _write(sci / "augmented-raw" / "output-rs0.jsonl",
           [{**q, "generation": g, "finish_reason": "stop"} for q, g in zip(questions, augmented)])
    _run_stage(specs, "science-augmentation-parse")
    pool = _read(sci / "all-questions.jsonl")
    assert [q["problem"] for q in pool[:6]] == [q["problem"] for q in questions]
    assert len(pool) == 7 and pool[6]["origin"] == "augmented" and pool[6]["source_problem"] == questions[0]["problem"]
    assert pool[6]["augmentation_seed"] == 0 and pool[6]["topic"] == "biology" and "diatomic" in pool[6]["problem"]
    reasons = sorted(r["drop_reason"] for r in _read(sci / "all-questions-rejected.jsonl"))
    assert reasons == ["duplicate", "empty_generation", "empty_generation", "empty_generation", "no_options"]

    letters = [  # four solutions per question (seed 0..3)
        _distinct([_sol("C"), _sol("C"), _sol("C"), _sol("A")]),                # helicase: C 3/4
        _distinct([_sol("B"), _sol("B"), _sol("B"), _sol("B", think=False)]),   # thermo: B 4/4, one without <think>
        _distinct([_sol("B"), _sol("C"), _sol("B"), _sol("C")]),                # carnot: a tie, no majority
        _distinct([_sol("C"), _sol("C"), _sol("A"), {"generation": "<think>C? or"}]),  # lens: C 2/4 < 0.6
        _distinct([_sol("C"), _sol("C", text="Answer: C"), _sol("C"), _sol("E")]),  # cross: C 3/4, no option E
        _distinct([_sol(None)] * 4),                                            # aberration: no answers
        [_sol("C")] * 4,                                                        # augmented: C, 4 identical texts
    ]
    for seed in range(4):
        _write(sci / "solutions" / f"output-rs{seed}.jsonl", [{**q, **letters[i][seed]} for i, q in enumerate(pool)])
    _run_stage(specs, "science-majority")
    voted = [_read(sci / "solutions-majority" / f"output-rs{s}.jsonl") for s in range(4)]
    assert [r["expected_answer"] for r in voted[0]] == ["C", "B", None, "C", "C", None, "C"]
    assert [r["majority_votes"] for r in voted[0]] == [3, 4, 0, 2, 3, 0, 4]
    assert {r["total_votes"] for v in voted for r in v} == {4}
    assert [v[4]["predicted_answer"] for v in voted] == ["C", "C", "C", None]
    assert [v[3]["symbolic_correct"] for v in voted] == [True, True, False, False]
    report = json.loads((sci / "solutions-majority" / "majority-report.json").read_text())
    assert report["with_majority"] == 5 and report["strong_majority"] == 4 and report["solutions"] == 28

    _run_stage(specs, "prepare-for-sft-science")
    sft = _read(ws / "open-reasoning" / "sft-data-science.jsonl")
    # helicase 3 + gas 3 (one lacks <think>) + cross 3 + augmented 1 (4 identical solutions) = 10
    kept = sorted((r["expected_answer"], r["input"].count("Helicase"), r["input"].count("diatomic")) for r in sft)
    assert kept == [("B", 0, 0)] * 3 + [("C", 0, 0)] * 3 + [("C", 0, 1)] + [("C", 1, 0)] * 3
    assert all("Answer the following multiple-choice question" in r["input"] for r in sft)
    assert all(f"\\boxed{{{r['expected_answer']}}}" in r["output"] or "Answer: C" in r["output"] for r in sft)
    funnel = (ws / "open-reasoning" / "sft-data-science-report" / "funnel.txt").read_text()
    assert "weak_majority=2" in funnel and "no_think_tags=1" in funnel and "duplicate=3" in funnel
