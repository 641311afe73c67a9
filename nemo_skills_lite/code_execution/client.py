"""Client of the sandbox HTTP service (``NSL_SANDBOX_URL`` in jobs started ``with_sandbox=True``)."""

from __future__ import annotations

import os

import httpx


def sandbox_url(url: str | None = None) -> str:
    url = url or os.environ.get("NSL_SANDBOX_URL")
    if not url:
        raise ValueError("no sandbox URL: pass url= or set NSL_SANDBOX_URL=http://host:port")
    return url.rstrip("/")


def verify_rows_remote(rows: list[dict], *, url: str | None = None, batch_size: int = 256,
                       timeout: float = 3600.0, **options: object) -> list[dict]:
    """``verify_rows`` through a running service (``POST /verify`` in batches)."""
    base = sandbox_url(url)
    out: list[dict] = []
    with httpx.Client(timeout=timeout) as client:
        for i in range(0, len(rows), batch_size):
            resp = client.post(f"{base}/verify", json={"rows": rows[i:i + batch_size], **options})
            resp.raise_for_status()
            out.extend(resp.json()["rows"])
    return out


def execute_remote(code: str, *, language: str = "python", std_input: str = "", timeout: float = 10.0,
                   url: str | None = None) -> dict:
    """One program run through ``POST /execute``."""
    with httpx.Client(timeout=timeout * 4 + 60) as client:
        resp = client.post(f"{sandbox_url(url)}/execute", json={"generated_code": code, "language": language,
                                                               "std_input": std_input, "timeout": timeout})
        resp.raise_for_status()
        return resp.json()
