"""Code execution sandbox and code verification.

``verify_rows(rows)`` runs model-written programs against their tests with real isolation
(separate unprivileged uid, rlimits, bubblewrap namespaces, per-run pid namespace) and returns
verdicts. See docs/sandbox.md. Nothing here imports the rest of nemo_skills_lite at import time,
so the HTTP service (``python -m nemo_skills_lite.code_execution.service``) stays self-contained.
"""

from __future__ import annotations

ENGINE_VERSION = "2"  # 2: default comparison is testlib wcmp (no float tolerance unless the row sets it)

from nemo_skills_lite.code_execution.cache import ExecutionCache  # noqa: E402
from nemo_skills_lite.code_execution.isolation import IsolationConfig, SandboxUnavailable  # noqa: E402
from nemo_skills_lite.code_execution.limits import Limits  # noqa: E402
from nemo_skills_lite.code_execution.pool import Pool  # noqa: E402
from nemo_skills_lite.code_execution.runners import VERDICTS  # noqa: E402
from nemo_skills_lite.code_execution.verify import verify_one, verify_rows  # noqa: E402

__all__ = ["ENGINE_VERSION", "ExecutionCache", "IsolationConfig", "Limits", "Pool", "SandboxUnavailable",
           "VERDICTS", "verify_one", "verify_rows"]
