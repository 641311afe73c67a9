"""APPS and TACO sources of verdict_agreement.py: programs, and the official harnesses' verdicts.

Programs are MBPP reference solutions (and one-operator mutants) written as APPS/TACO problems,
the same set for both sources (ids ``apps-*`` / ``taco-*``; rows carry ``convention`` apps / taco):

  call-based  ``input_output`` = {"fn_name", "inputs": [argument lists], "outputs": [[result], ...]}
              (APPS stores each call's expected result in a one-element list): the reference, the
              reference behind a ``class Solution`` method, two mutants
  stdin       ``input_output`` = {"inputs": [one JSON argument a line], "outputs": ["<str(result)>\\n"]}:
              the reference reading stdin with ``sys.stdin.read()`` / ``input()`` / the ``stdin``
              both harnesses define, and printing the result plainly, with trailing spaces and
              blank lines, with two spaces between tokens, with 10 float digits, lowercased;
              ending with a module-level ``return``, ``sys.exit()`` or ``exit()`` before a line it
              must not print; a mutant

The official harnesses are not installable packages; they are single files of their repositories
(not part of this project, never committed to it), passed by path:

  APPS  hendrycks/apps eval/testing_util.py (blob 5dcfdf2cbc0775eaf14d4c787ec61f5eb3e28fd1):
        ``run_test(prob_path=DIR, test=code)`` reads DIR/input_output.json; imports ``pyext``
  TACO  FlagOpen/TACO metrics/testing_util.py (blob 2ba62351f3d511b08e52e3204198d5fafa006230) with
        metrics/pyext2.py next to it: ``run_test({"input_output": json}, test=code)``

Both import pyext 0.7 (TACO a renamed copy), which reads ``inspect.getargspec`` (gone in Python 3.11):
the harness venv gets a two-line ``sitecustomize.py`` setting it to ``inspect.getfullargspec``
(docs/benchmarks.md has the setup). A program passes when every test's result is ``True``.
Each program runs in a fresh forked process (APPS runs code in-process with SIGALRM and swaps
``sys.stdout``; TACO's call-based path disables ``os``/``shutil`` functions for the process).
"""

from __future__ import annotations

import json

HARNESSES = ("apps", "taco")
SOLUTION_CLASS = "\n\nclass Solution:\n    def {f}(self, *args):\n        return {f}(*args)\n"
READ_ALL = "\nimport json as _j, sys as _s\n_args = [_j.loads(l) for l in _s.stdin.read().split('\\n') if l.strip()]\n"
READ_INPUT = "\nimport json as _j\n_args = [_j.loads(input()) for _ in range({n})]\n"
READ_BARE = "\nimport json as _j\n_args = [_j.loads(l) for l in stdin.read().split('\\n') if l.strip()]\n"  # harness's `stdin`
STDIN_VARIANTS = [  # (how it reads, what follows the call): each prints str(result) one way
    (READ_ALL, "print(_r)"),
    (READ_INPUT, "print(_r)"),
    (READ_BARE, "print(_r)"),
    (READ_ALL, "print(_r, end='  \\n\\n')"),
    (READ_ALL, "print(*str(_r).split(' '), sep='  ')"),
    (READ_ALL, "print(f'{_r:.10f}' if isinstance(_r, float) else _r)"),
    (READ_ALL, "print(str(_r).lower())"),
    (READ_ALL, "print(_r)\nif _args is not None:\n    return\nprint('not reached')"),
    (READ_ALL, "import sys\nprint(_r)\nsys.exit()\nprint('not reached')"),
    (READ_ALL, "print(_r)\nexit()\nprint('not reached')"),
]


def stdin_program(code: str, entry: str, n_args: int, read: str, tail: str) -> str:
    return code + read.format(n=n_args) + f"_r = {entry}(*_args)\n" + tail + "\n"


def apps_programs(probs: list[dict], mutants) -> list[dict]:
    """The APPS and TACO programs for MBPP problems ``probs`` (verdict_agreement.mbpp_problems)."""
    out = []
    for h in HARNESSES:
        for p in probs:
            call_io = {"fn_name": p["entry"], "inputs": p["inputs"], "outputs": [[o] for o in p["outputs"]]}
            calls = [p["code"], p["code"] + SOLUTION_CLASS.format(f=p["entry"])] + mutants(p["code"])
            for k, code in enumerate(calls):
                out.append({"id": f"{h}-call/{p['task_id']}#{k}", "harness": h,
                            "row": {"convention": h, "code": code, "input_output": json.dumps(call_io)}})
            stdin_io = json.dumps({"inputs": ["\n".join(json.dumps(a) for a in args) + "\n" for args in p["inputs"]],
                                   "outputs": [str(o) + "\n" for o in p["outputs"]]})
            n_args = len(p["inputs"][0])
            progs = [stdin_program(p["code"], p["entry"], n_args, r, t) for r, t in STDIN_VARIANTS]
            progs += [stdin_program(m, p["entry"], n_args, READ_ALL, "print(_r)") for m in mutants(p["code"], 1)]
            for k, code in enumerate(progs):
                out.append({"id": f"{h}-stdin/{p['task_id']}#{k}", "harness": h,
                            "row": {"convention": h, "code": code, "input_output": stdin_io}})
    return out


# ---------------------------------------------------------------- official harnesses (harness venv)

def _passed(results) -> bool:
    return isinstance(results, list) and bool(results) and all(r is True or (hasattr(r, "dtype") and bool(r))
                                                                 for r in results)


def _judge(job: tuple) -> bool:
    """One program through its official harness, in a forked child of the worker (maxtasksperchild=1)."""
    import os
    import sys
    import tempfile

    harness, row, n_tests = job
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    work = tempfile.mkdtemp(prefix=f"nsl-{harness}-")
    os.chdir(work)  # TACO writes input.txt/output.txt to the cwd, and temp files
    tempfile.tempdir = work
    mod = sys.modules["_nsl_official_" + harness]
    if harness == "apps":
        with open(os.path.join(work, "input_output.json"), "w") as f:
            f.write(row["input_output"])
        res = mod.run_test(prob_path=work, test=row["code"])
    else:
        res = mod.run_test({"input_output": row["input_output"]}, test=row["code"])
    return _passed(res) and len(res) == n_tests


def _load_harnesses(paths: dict) -> None:
    import importlib
    import importlib.util
    import os
    import sys

    for h, path in paths.items():
        path = os.path.abspath(path)
        if h == "apps":
            spec = importlib.util.spec_from_file_location("_nsl_official_apps", path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
        else:  # TACO imports .pyext2: load testing_util as a module of its folder's package
            pkg_dir = os.path.dirname(path)
            sys.path.insert(0, os.path.dirname(pkg_dir))
            mod = importlib.import_module(f"{os.path.basename(pkg_dir)}.{os.path.basename(path)[:-3]}")
        sys.modules["_nsl_official_" + h] = mod


def official_worker(recs: list[dict], paths: dict, workers: int, out_path: str) -> None:
    """Verdicts of the official APPS/TACO harnesses for ``recs``, written to ``out_path`` as JSON."""
    import multiprocessing
    import os
    import shutil
    import sys
    import tempfile
    import time

    # TACO runs stdin programs as `python FILE`: that must be this venv's python (numpy, as upstream)
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    scratch = tempfile.mkdtemp(prefix="nsl-official-")
    os.environ["TMPDIR"] = scratch
    tempfile.tempdir = scratch
    _load_harnesses(paths)
    ctx = multiprocessing.get_context("fork")
    out = {}
    try:
        for h in paths:
            todo = [r for r in recs if r["harness"] == h]
            jobs = [(h, r["row"], len(json.loads(r["row"]["input_output"])["inputs"])) for r in todo]
            t0 = time.perf_counter()
            with ctx.Pool(workers, maxtasksperchild=1) as pool:
                pending = [pool.apply_async(_judge, (j,)) for j in jobs]
                verdicts = []
                for p in pending:
                    try:
                        verdicts.append(bool(p.get(timeout=120)))
                    except Exception:  # noqa: BLE001 - a harness crash or hang: not passed
                        verdicts.append(False)
            out[h] = {"seconds": time.perf_counter() - t0, "verdicts": dict(zip([r["id"] for r in todo], verdicts))}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    with open(out_path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":  # python verdict_apps.py OUT WORKERS apps=PATH taco=PATH < records.jsonl
    import sys

    _recs = [json.loads(line) for line in sys.stdin if line.strip()]
    _paths = dict(a.split("=", 1) for a in sys.argv[3:])
    official_worker(_recs, _paths, int(sys.argv[2]), sys.argv[1])
