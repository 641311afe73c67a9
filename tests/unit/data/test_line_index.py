"""Chunk input through the row index (utils/line_index.py): a chunk job reads and parses only its own rows,
gets exactly the rows the old read-everything-and-slice path gave, the index is built once even when many
jobs start together, and a read-only input directory falls back to the output dir (or a streaming scan)."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import pytest

from nemo_skills_lite.utils import line_index
from nemo_skills_lite.utils.errors import NslError
from nemo_skills_lite.utils.io import read_jsonl
from nemo_skills_lite.utils.line_index import chunk_bounds, index_paths, load_chunk, row_index

ROOT = Path(__file__).resolve().parents[3]


def old_chunk(path: Path, num_chunks: int | None, chunk_id: int | None, max_samples: int = -1) -> list[dict]:
    """What generate.load_data did before the index (git main 2026-12-06): read all, cut, slice."""
    rows = list(read_jsonl(path))
    if max_samples >= 0:
        rows = rows[:max_samples]
    start, end = chunk_bounds(len(rows), num_chunks, chunk_id)
    return rows[start:end]


def messy_file(path: Path, n: int, seed: int = 0) -> Path:
    """Blank and whitespace-only lines, CRLF, non-ASCII text, no trailing newline on the last row."""
    rnd = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        for i in range(n):
            if rnd.random() < 0.1:
                f.write(rnd.choice(["\n", "   \n", "\t\r\n"]))
            line = json.dumps({"id": i, "problem": "é∑" * rnd.randint(0, 40)}, ensure_ascii=False)
            f.write(line + ("\r\n" if i % 5 == 0 else "\n") if i < n - 1 else line)
    return path


def rchar() -> int:
    """Bytes this process has read through read() syscalls so far (Linux /proc/self/io)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise RuntimeError("no rchar in /proc/self/io")


@pytest.mark.parametrize("max_samples", [-1, 0, 7, 1234, 10**6])
def test_chunks_identical_to_old_slicing(tmp_path: Path, max_samples: int) -> None:
    inp = messy_file(tmp_path / "in.jsonl", 2503)
    old_all = old_chunk(inp, None, None, max_samples)
    for num_chunks in (None, 1, 3, 16, 100, 3000):
        ids = [None] if num_chunks is None else range(num_chunks)
        together = []
        for chunk_id in ids:
            got = load_chunk(inp, num_chunks, chunk_id, max_samples)
            start, end = chunk_bounds(len(old_all), num_chunks, chunk_id)
            assert got == old_all[start:end], (num_chunks, chunk_id)
            together += got
        assert together == old_all  # chunks tile the input, in order
    assert old_chunk(inp, 7, 5, max_samples) == load_chunk(inp, 7, 5, max_samples)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".nsl-index")] == [".in.jsonl.nsl-index"]


def test_chunk_job_reads_and_parses_only_its_slice(tmp_path: Path) -> None:
    n, num_chunks, chunk_id = 60_000, 50, 31
    start, end = chunk_bounds(n, num_chunks, chunk_id)
    inp = tmp_path / "in.jsonl"
    with inp.open("w") as f:  # every row outside the chunk is not JSON: parsing one of them would raise
        for i in range(n):
            good = start <= i < end
            f.write(json.dumps({"id": i, "pad": "x" * 80}) + "\n" if good else f"not json {i} {'x' * 80}\n")
    row_index(inp)  # built once (by the first job); what a chunk job does next is what is measured
    chunk_bytes = sum(len(json.dumps({"id": i, "pad": "x" * 80})) + 1 for i in range(start, end))
    size = inp.stat().st_size
    before = rchar()
    tracemalloc.start()
    rows = load_chunk(inp, num_chunks, chunk_id)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    read = rchar() - before
    assert [r["id"] for r in rows] == list(range(start, end))
    assert read < chunk_bytes + 64 * 1024 < size / 20  # the chunk plus buffer-sized index reads, not the file
    assert peak < 10 * chunk_bytes < size / 2  # holds the chunk's rows, not the input
    prev_start = chunk_bounds(n, num_chunks, chunk_id - 1)[0]
    with pytest.raises(NslError, match=rf"in.jsonl:{prev_start + 1}: not valid JSON"):
        load_chunk(inp, num_chunks, chunk_id - 1)  # the neighbour chunk parses its own (bad) rows, names the line


def test_index_is_rebuilt_when_input_changes_or_index_is_damaged(tmp_path: Path) -> None:
    inp = messy_file(tmp_path / "in.jsonl", 300)
    assert row_index(inp).count == 300
    with inp.open("a") as f:
        f.write("\n" + json.dumps({"id": 300}) + "\n")
    assert row_index(inp).count == 301 and load_chunk(inp, 2, 1) == old_chunk(inp, 2, 1)
    idx = index_paths(inp, None)[0]
    idx.write_bytes(idx.read_bytes()[:-8])  # truncated: not trusted
    assert load_chunk(inp, 3, 2) == old_chunk(inp, 3, 2)
    assert row_index(inp).count == 301


def test_missing_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NslError, match="input file not found"):
        load_chunk(tmp_path / "nope.jsonl", 2, 0)


_JOB = """
import json, sys
from nemo_skills_lite.utils import line_index
build = line_index._build
def counted(*a):
    with open(sys.argv[3], "a") as f:
        f.write("build\\n")
    return build(*a)
line_index._build = counted
rows = line_index.load_chunk(sys.argv[1], 8, int(sys.argv[2]))
print(json.dumps([r["id"] for r in rows]))
"""


def test_many_jobs_starting_together_build_the_index_once(tmp_path: Path) -> None:
    inp = messy_file(tmp_path / "in.jsonl", 100_000)
    log = tmp_path / "builds.log"
    procs = [subprocess.Popen([sys.executable, "-c", _JOB, str(inp), str(k), str(log)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True) for k in range(8)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    ids = [r["id"] for r in old_chunk(inp, None, None)]
    for k, out in enumerate(outs):
        start, end = chunk_bounds(len(ids), 8, k)
        assert json.loads(out) == ids[start:end]
    assert log.read_text().count("build") == 1  # the others waited on the flock and reused it
    assert sorted(p.name for p in tmp_path.iterdir()) == [".in.jsonl.nsl-index", "builds.log", "in.jsonl"]


def test_without_flock_concurrent_builders_still_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_flock(*_a):
        raise OSError(38, "flock not supported")  # ENOSYS, as on some network file systems

    monkeypatch.setattr(line_index.fcntl, "flock", no_flock)
    inp = messy_file(tmp_path / "in.jsonl", 30_000)
    results: dict[int, list] = {}
    errors: list[BaseException] = []

    def job(k: int) -> None:
        try:
            results[k] = load_chunk(inp, 8, k)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=job, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    old_all = old_chunk(inp, None, None)
    assert [r for k in range(8) for r in results[k]] == old_all and len(results[3]) == len(old_chunk(inp, 8, 3))
    assert sorted(p.name for p in tmp_path.iterdir()) == [".in.jsonl.nsl-index", "in.jsonl"]  # no temp left


def _bwrap(ro: list[Path], code: str, *args: str) -> subprocess.CompletedProcess:
    if not shutil.which("bwrap"):
        pytest.skip("bubblewrap not installed (needed to make a directory read-only for root)")
    cmd = ["bwrap", "--bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for d in ro:
        cmd += ["--ro-bind", str(d), str(d)]
    return subprocess.run([*cmd, sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


_RO_JOB = """
import json, sys
from nemo_skills_lite.utils.line_index import load_chunk
try:
    open(sys.argv[1] + ".probe", "w")
    print("WRITABLE")
except OSError:
    pass
print(json.dumps([r["id"] for r in load_chunk(sys.argv[1], 4, 3, fallback_dir=sys.argv[2])]))
"""


def test_read_only_input_dir_uses_output_dir_then_streaming(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir()
    out.mkdir()
    inp = messy_file(data / "in.jsonl", 5000)
    want = json.dumps([r["id"] for r in old_chunk(inp, 4, 3)])
    r = _bwrap([data], _RO_JOB, str(inp), str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [want.replace(" ", "")] or r.stdout.strip() == want
    assert list(data.iterdir()) == [inp]  # nothing written beside the read-only input
    assert [p.name for p in out.iterdir()] == [index_paths(inp, out)[1].name]
    assert row_index(inp, out).index_file == index_paths(inp, out)[1]  # reused later (valid for this input)

    shutil.rmtree(out)
    out.mkdir()
    r = _bwrap([data, out], _RO_JOB, str(inp), str(out))  # nowhere to store it: streaming passes
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == want
    assert list(data.iterdir()) == [inp] and list(out.iterdir()) == []


def test_generate_job_uses_the_index(tmp_path: Path) -> None:
    """The generation task's load_data goes through the index (dry run: no server needed)."""
    inp = messy_file(tmp_path / "in.jsonl", 900)
    r = subprocess.run([sys.executable, "-m", "nemo_skills_lite.inference.generate", f"++input_file={inp}",
                        f"++output_file={tmp_path / 'out' / 'output.jsonl'}", "++prompt_config=generic/math",
                        "++dry_run=true", "++num_chunks=4", "++chunk_id=3", "++max_samples=801"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr
    assert f"{len(old_chunk(inp, 4, 3, 801))} rows would be processed" in r.stdout
    assert (tmp_path / ".in.jsonl.nsl-index").exists()


def _poisoned(path: Path, n: int, num_chunks: int, chunk_id: int) -> list[dict]:
    """Rows outside the chunk are not JSON: a job that parses any of them fails."""
    start, end = chunk_bounds(n, num_chunks, chunk_id)
    good = [{"id": i, "problem": f"p{i}", "expected_answer": "1", "predicted_answer": "1"} for i in range(start, end)]
    with path.open("w") as f:
        for i in range(n):
            f.write(json.dumps(good[i - start]) + "\n" if start <= i < end else f"broken {i}\n")
    return good


def test_verify_code_job_reads_only_its_slice(tmp_path: Path) -> None:
    good = _poisoned(tmp_path / "in.jsonl", 1000, 7, 4)
    out = tmp_path / "out" / "output-rs0_chunk_4.jsonl"
    r = subprocess.run([sys.executable, "-m", "nemo_skills_lite.code_execution.verify_task",
                        f"++input_file={tmp_path / 'in.jsonl'}", f"++output_file={out}", "++num_chunks=7",
                        "++chunk_id=4"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert list(read_jsonl(out)) == good  # rows without tests pass through unlabeled: no sandbox needed


def test_math_judge_job_reads_only_its_slice(tmp_path: Path) -> None:
    """Every row of the slice is decided without the LLM (predicted == expected), so no server is needed."""
    (tmp_path / "gen").mkdir()
    good = _poisoned(tmp_path / "gen" / "output-rs3.jsonl", 1000, 7, 6)
    r = subprocess.run([sys.executable, "-m", "nemo_skills_lite.inference.math_judge",
                        f"++input_dir={tmp_path / 'gen'}", f"++output_dir={tmp_path / 'judged'}", "++random_seed=3",
                        "++num_chunks=7", "++chunk_id=6", "++server.base_url=http://127.0.0.1:9",
                        "++server.model=none"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    got = list(read_jsonl(tmp_path / "judged" / "output-rs3.jsonl"))
    assert [g["id"] for g in got] == [g["id"] for g in good] and all(g["judgement_correct"] for g in got)
