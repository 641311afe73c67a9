"""A user ``generation_module`` for orchestration tests: copies rows slowly, resumably.

Same contract as the built-in task: rows go to ``<output>-async`` with their position as they
finish; a restart skips finished positions; the end writes the output in order, then the marker.
It records start/end times per job in ``<output>.trace`` so tests can check concurrency.
``++ignore_usr1=true`` makes it ignore the time-limit warning, so Slurm really kills it at --time.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

from nemo_skills_lite.runtime.markers import mark_done
from nemo_skills_lite.utils.io import atomic_write_jsonl, read_jsonl


def main(argv: list[str]) -> int:
    opts = dict(a.lstrip("+").split("=", 1) for a in argv)
    inp, out = opts["input_file"], opts["output_file"]
    delay = float(opts.get("delay", "0.1"))
    if opts.get("ignore_usr1") == "true":
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    rows = list(read_jsonl(inp))
    if opts.get("num_chunks"):
        n, k = int(opts["num_chunks"]), int(opts["chunk_id"])
        size = -(-len(rows) // n)
        rows = rows[k * size:(k + 1) * size]
    with open(f"{out}.trace", "a") as t:
        t.write(json.dumps({"event": "start", "t": time.time(), "job": os.environ.get("SLURM_JOB_ID")}) + "\n")
    done = {r["_pos"] for r in read_jsonl(f"{out}-async", allow_truncated_tail=True)} if os.path.exists(f"{out}-async") else set()
    with open(f"{out}-async", "a") as f:
        for pos, row in enumerate(rows):
            if pos in done:
                continue
            time.sleep(delay)
            f.write(json.dumps({**row, "_pos": pos, "seed": opts.get("inference.random_seed")}) + "\n")
            f.flush()
    final = {r["_pos"]: r for r in read_jsonl(f"{out}-async", allow_truncated_tail=True)}
    atomic_write_jsonl(out, (final[p] for p in sorted(final)))
    with open(f"{out}.trace", "a") as t:
        t.write(json.dumps({"event": "end", "t": time.time()}) + "\n")
    mark_done(out, rows=len(final))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
