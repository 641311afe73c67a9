"""Which module a failed import was missing, when that module is not installed (stdlib only).

Used on both sides: inside the sandbox on live exceptions (pytest rows, ``pytest_warm.py``) and on the
host on the exception name and message a run reported (asserts and stdin rows, ``runners.py``). A row
whose run failed for that reason gets the verdict ``missing_module`` with the module's name: the
sandbox lacks a package, which says nothing about the solution.

What counts, and what does not:
- ``ModuleNotFoundError: No module named 'torch'``: the top-level module is not installed -> ``torch``.
- ``No module named 'numpy.fancy'`` (numpy is installed, its submodule is not): an API mistake of the
  solution, a wrong answer as before. Python reports the top-level name when the top level is missing.
- ``ImportError: Missing optional dependency 'openpyxl'`` (pandas' message for optional packages) -> ``openpyxl``.
- ``ImportError: cannot import name 'x' from 'y'``: the module exists; not a missing module.
- A module no one ever published (``from utils import helper``) is also reported by name: the sandbox
  cannot tell a hallucinated module from an uninstalled one, and neither is evidence against the code.
"""

from __future__ import annotations

import re

_NO_MODULE = re.compile(r"No module named '([^']+)'")
_OPTIONAL = re.compile(r"Missing optional dependency '([A-Za-z0-9_.\-]+)'")


def from_message(exc_name: str, msg: str) -> str | None:
    """The missing top-level module named by an ``ImportError``/``ModuleNotFoundError`` message."""
    if exc_name not in ("ModuleNotFoundError", "ImportError") or not msg:
        return None
    m = _NO_MODULE.search(msg)
    if m:
        name = m.group(1)
        return name if "." not in name and name != "solution" else None
    m = _OPTIONAL.search(msg)
    return m.group(1) if m and exc_name == "ImportError" else None


def from_exception(exc: BaseException | None) -> str | None:
    """The same for a live exception, following ``raise ... from`` / implicit chaining."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, ImportError):
            name = getattr(exc, "name", None)
            if isinstance(exc, ModuleNotFoundError) and name:
                if "." not in name and name != "solution":
                    return name
            else:
                found = from_message(type(exc).__name__ if isinstance(exc, ModuleNotFoundError) else "ImportError",
                                     str(exc))
                if found:
                    return found
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None
