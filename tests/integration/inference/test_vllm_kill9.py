"""kill -9 the generation process at random moments (>= 20 times) against the real vLLM server: the final
file has every input exactly once per seed and equals an uninterrupted run's rows."""

from __future__ import annotations

import json
import random
import subprocess
import time
from pathlib import Path

import pytest

from nemo_skills_lite.runtime.markers import is_done

from .conftest import GEN, PY, gen_args, rows_of, run_gen, strip_timing, subset

pytestmark = [pytest.mark.vllm, pytest.mark.slow]

SEEDS = (0, 1)
MIN_KILLS = 20


def test_kill9_at_random_points_loses_nothing(tmp_path, vllm_server):
    rng = random.Random(1234)
    src = rows_of(subset(tmp_path, 120))
    inp = tmp_path / "in240.jsonl"  # 240 rows: enough work that a run rarely finishes before its kill
    inp.write_text("".join(json.dumps({**r, "id": i}) + "\n" for i, r in enumerate(src + src)))
    refs = {}
    for s in SEEDS:
        ref = tmp_path / f"ref-rs{s}.jsonl"
        r = run_gen(*gen_args(inp, ref, vllm_server, f"++inference.random_seed={s}"))
        assert r.returncode == 0, r.stderr
        refs[s] = strip_timing(rows_of(ref))

    kills = 0
    for i, s in enumerate(SEEDS):
        out = tmp_path / f"output-rs{s}.jsonl"
        args = gen_args(inp, out, vllm_server, f"++inference.random_seed={s}", "++max_concurrent_requests=1")
        want = MIN_KILLS // len(SEEDS) + 1
        attempts = 0
        while kills < want * (i + 1):
            attempts += 1
            assert attempts < 90, "runs kept finishing before the kill"
            if is_done(out):  # a run outpaced the kills: start this seed over, keep killing
                out.unlink()
                Path(f"{out}.done").unlink()
            proc = subprocess.Popen([PY, "-m", GEN, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.6, 1.8))
            if proc.poll() is None:
                proc.kill()  # SIGKILL: no handler runs, a row may be half-written
                kills += 1
            proc.wait()
        r = run_gen(*args)  # the chained job: resumes and finishes
        assert r.returncode == 0, r.stderr
        got = strip_timing(rows_of(out))
        assert [g["id"] for g in got] == list(range(240))  # every input exactly once, in order
        assert got == refs[s]
    assert kills >= MIN_KILLS
