"""Run inside a client container by the containers test: report what the job can see.

    python -m tests.integration.containers.probe OUT.json ROWS_FILE HOST_PATH...
"""

import json
import os
import sys

out, rows_file, *host_paths = sys.argv[1:]
with open(rows_file) as f:
    rows = [json.loads(line) for line in f if line.strip()]
json.dump({"python": sys.executable, "cwd": os.getcwd(), "rows": len(rows),
           "generations": sum(1 for r in rows if isinstance(r.get("generation"), str)),
           "visible": {p: os.path.exists(p) for p in host_paths},
           "code_mounted": os.path.exists("/nemo_run/code/nemo_skills_lite/__init__.py"),
           "env": {k: os.environ.get(k) for k in ("NSL_SERVER_URL", "NSL_SANDBOX_URL", "PROBE_VAR")}},
          open(out, "w"))
