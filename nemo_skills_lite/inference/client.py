"""Async OpenAI-compatible client for generation (aiohttp; chosen by benchmarks/client_overhead.py).

- Several base URLs = replicas, used round-robin; a retry goes to the next replica.
- Retries with jittered exponential backoff on connection errors, HTTP 429/5xx and timeouts; other 4xx
  (e.g. prompt longer than the context) fail at once with the server's message.
- A per-request timeout; seeds, ``n`` samples, finish_reason and token counts in the result.
- ``UnreachableError`` (every attempt was a connection failure) tells the caller the server is gone,
  as opposed to a single bad request.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from dataclasses import dataclass, field
from typing import Any

import aiohttp

RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504}
MAX_BACKOFF_S = 30.0


class RequestError(Exception):
    """A request failed for good (non-retryable status, or retries exhausted)."""


class UnreachableError(RequestError):
    """Every attempt failed to connect: the server(s) are down."""


@dataclass
class ClientSettings:
    base_urls: list[str]
    model: str
    api_key: str = "EMPTY"
    timeout_s: float | None = 14400
    max_retries: int = 8
    retry_backoff_s: float = 0.5
    max_connections: int = 512
    headers: dict[str, str] = field(default_factory=dict)


def normalize_base_url(url: str) -> str:
    """'http://h:p', 'http://h:p/', 'http://h:p/v1' -> 'http://h:p/v1'."""
    url = url.strip().rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


class AsyncClient:
    """``async with AsyncClient(settings) as c: out = await c.chat(messages, params)``."""

    def __init__(self, settings: ClientSettings) -> None:
        if not settings.base_urls:
            raise ValueError("no server base URL given")
        self.s = settings
        self.urls = [normalize_base_url(u) for u in settings.base_urls]
        self._rr = itertools.cycle(range(len(self.urls)))
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> "AsyncClient":
        conn = aiohttp.TCPConnector(limit=self.s.max_connections, limit_per_host=0, ttl_dns_cache=300)
        headers = {"Authorization": f"Bearer {self.s.api_key}", **self.s.headers}
        self._session = aiohttp.ClientSession(connector=conn, headers=headers,
                                              timeout=aiohttp.ClientTimeout(total=self.s.timeout_s))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def chat(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        body = {"model": self.s.model, "messages": messages, **params}
        return parse_response(await self._post("/chat/completions", body), chat=True)

    async def completion(self, prompt: str, params: dict[str, Any]) -> dict[str, Any]:
        body = {"model": self.s.model, "prompt": prompt, **params}
        return parse_response(await self._post("/completions", body), chat=False)

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        assert self._session is not None, "use 'async with AsyncClient(...)'"
        attempts = self.s.max_retries + 1
        conn_failures = 0
        last = ""
        for attempt in range(attempts):
            url = self.urls[next(self._rr)] + path
            try:
                async with self._session.post(url, json=body) as r:
                    if r.status == 200:
                        return await r.json(content_type=None)
                    text = (await r.text())[:2000]
                    last = f"HTTP {r.status} from {url}: {text}"
                    if r.status not in RETRY_STATUSES:
                        raise RequestError(last)
            except (aiohttp.ClientConnectionError, ConnectionError) as e:
                # includes refused / reset / server disconnected while reading
                conn_failures += 1
                last = f"{type(e).__name__} on {url}: {e}"
            except asyncio.TimeoutError:
                last = f"timeout after {self.s.timeout_s} s on {url}"
            except (aiohttp.ClientError, ValueError) as e:  # truncated payload, bad JSON
                last = f"bad response from {url}: {type(e).__name__}: {e}"
            if attempt + 1 < attempts:
                delay = min(MAX_BACKOFF_S, self.s.retry_backoff_s * (2 ** attempt))
                await asyncio.sleep(delay * (0.5 + random.random() / 2))
        cls = UnreachableError if conn_failures == attempts else RequestError
        raise cls(f"request failed after {attempts} attempt(s); last error: {last}")


def parse_response(data: dict[str, Any], *, chat: bool) -> dict[str, Any]:
    """OpenAI response -> {generation: str | list[str], finish_reason, num_generated_tokens, ...}."""
    choices = data.get("choices") or []
    if not choices:
        raise RequestError(f"response without choices: {str(data)[:500]}")
    texts, reasons = [], []
    for ch in sorted(choices, key=lambda c: c.get("index", 0)):
        if chat:
            msg = ch.get("message") or {}
            text = msg.get("content") or ""
            # some servers split reasoning themselves (vLLM --reasoning-parser): keep it, in order
            reasoning = msg.get("reasoning_content") or msg.get("reasoning")
            if reasoning:
                text = f"<think>{reasoning}</think>{text}"
        else:
            text = ch.get("text") or ""
        texts.append(text)
        reasons.append(ch.get("finish_reason"))
    logprobs = [ch.get("logprobs") for ch in sorted(choices, key=lambda c: c.get("index", 0))]
    usage = data.get("usage") or {}
    out: dict[str, Any] = {
        "generation": texts[0] if len(texts) == 1 else texts,
        "finish_reason": reasons[0] if len(reasons) == 1 else reasons,
        "num_generated_tokens": usage.get("completion_tokens"),
        "num_input_tokens": usage.get("prompt_tokens"),
    }
    if any(lp is not None for lp in logprobs):  # asked for with inference.top_logprobs
        out["logprobs"] = logprobs[0] if len(logprobs) == 1 else logprobs
    return out


def sampling_params(inf: Any, server_type: str) -> dict[str, Any]:
    """OpenAI request fields from an InferenceConfig. Non-OpenAI sampling knobs go only to our own
    servers (vllm/sglang/trtllm); hosted OpenAI endpoints reject them."""
    p: dict[str, Any] = {"temperature": inf.temperature, "top_p": inf.top_p, "max_tokens": inf.tokens_to_generate,
                         "seed": inf.random_seed}
    if inf.num_samples > 1:
        p["n"] = inf.num_samples
    if inf.stop_phrases:
        p["stop"] = list(inf.stop_phrases)
    if inf.top_logprobs is not None:
        p["logprobs"] = True
        p["top_logprobs"] = inf.top_logprobs
    if server_type != "openai":
        p["top_k"] = inf.top_k
        p["min_p"] = inf.min_p
        p["repetition_penalty"] = inf.repetition_penalty
    p.update(dict(inf.extra_body or {}))
    return p


def split_reasoning(text: str, end_tag: str = "</think>") -> dict[str, Any]:
    """Split off the reasoning part. Never loses text: without the end tag the text stays the
    generation and ``reasoning_parse_failed`` is set."""
    idx = text.rfind(end_tag)
    if idx < 0:
        return {"generation": text, "reasoning_content": None, "reasoning_parse_failed": True}
    reasoning = text[:idx]
    start = reasoning.find("<think>")
    if start >= 0:
        reasoning = reasoning[start + len("<think>"):]
    return {"generation": text[idx + len(end_tag):].lstrip(), "reasoning_content": reasoning.strip(),
            "reasoning_parse_failed": False}

