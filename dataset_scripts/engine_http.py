"""Send chat requests to one or many OpenAI-compatible servers (vLLM, `transformers serve`, ...) concurrently.

Why each piece is there:

- Bounded concurrency: at most ``max_concurrency`` requests are in flight over all servers, and at most as many
  more are being prepared (frames decoded and JPEG-encoded off the event loop), so a batch of 100 000 clips
  never holds more than ``2 x max_concurrency`` encoded bodies in memory.
- Fan-out: each attempt goes to the server with the fewest requests in flight (``routing="least_loaded"``,
  ties rotate) or to the next one in turn (``"round_robin"``); a retry avoids the server that just failed, and a
  server that refuses connections is left out for ``server_cooldown_s`` (while any other is up), so a dead node
  costs a few failed connects, not one per request.
- Retries: connection errors, timeouts, 408, 429 and 5xx are retried up to ``max_retries`` times after waiting
  ``backoff_s x 2^attempt`` (capped at ``max_backoff_s``, or the server's ``Retry-After`` if longer) with random
  jitter in [50 %, 100 %] of that wait, so many clients do not hammer a recovering server in lockstep. Other
  4xx answers are the request's fault and fail it at once.
- ``timeout_s`` bounds each attempt. A failed request becomes an `EngineResult` with ``error`` set; the batch goes on.

The event loop runs in a background thread owned by the engine, so the synchronous ``generate`` works from
plain scripts and ``agenerate`` from async code, and the HTTP connections are reused across calls.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .engine_base import ChatRequest, Engine, EngineResult, error_text
from .engine_config import EngineConfig
from .engine_openai import chat_completion_body

_RETRY_STATUSES = frozenset({408, 429})


class _Server:
    def __init__(self, base_url: str):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.in_flight = 0
        self.down_until = 0.0  # time.monotonic() before which the server is presumed down


class _AttemptError(Exception):
    """One attempt failed; ``retry`` says whether another attempt may help, ``wait_s`` what the server asked."""

    def __init__(self, message: str, retry: bool, wait_s: float | None = None, unreachable: bool = False):
        super().__init__(message)
        self.retry = retry
        self.wait_s = wait_s
        self.unreachable = unreachable


def _retry_after(value: str | None) -> float | None:
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None  # an HTTP date: rare from inference servers; fall back to our own backoff


def _reply_text(status: int, payload: str, headers: Any) -> str:
    if status != 200:
        retry = status in _RETRY_STATUSES or status >= 500
        wait_s = _retry_after(headers.get("Retry-After")) if retry else None
        raise _AttemptError(f"HTTP {status}: {payload.strip()[:300]}", retry, wait_s)
    try:
        content = json.loads(payload)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise _AttemptError(f"malformed chat completion ({type(exc).__name__}): {payload[:200]}", False) from None
    if not isinstance(content, str):
        raise _AttemptError(f"the reply has no text content: {payload[:200]}", False)
    return content


class HttpEngine(Engine):
    def __init__(self, config: EngineConfig):
        self.config = config
        self._servers = [_Server(url) for url in config.base_urls]
        self._turn = 0
        self._headers = {"Authorization": f"Bearer {config.api_key()}"} if config.api_key() else {}
        self._executor = ThreadPoolExecutor(
            max_workers=min(config.max_concurrency, 4), thread_name_prefix="engine-media"
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="engine-http", daemon=True)
        self._thread.start()
        self._session = None
        self._closed = False
        self._submit(self._open()).result()

    def _submit(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    async def _open(self) -> None:
        import aiohttp

        self._sending = asyncio.Semaphore(self.config.max_concurrency)
        self._preparing = asyncio.Semaphore(self.config.max_concurrency)
        connector = aiohttp.TCPConnector(limit=self.config.max_concurrency, limit_per_host=0)
        self._session = aiohttp.ClientSession(connector=connector, headers=self._headers)

    def _pick(self, avoid: _Server | None) -> _Server:
        now = time.monotonic()
        up = [server for server in self._servers if server.down_until <= now] or self._servers
        candidates = [server for server in up if server is not avoid] or up
        self._turn += 1
        rotated = candidates[self._turn % len(candidates) :] + candidates[: self._turn % len(candidates)]
        if self.config.routing == "round_robin":
            return rotated[0]
        return min(rotated, key=lambda server: server.in_flight)

    async def _attempt(self, server: _Server, body: dict[str, Any]) -> str:
        import aiohttp

        timeout = aiohttp.ClientTimeout(total=self.config.timeout_s)
        try:
            async with self._session.post(server.url, json=body, timeout=timeout) as response:
                payload = await response.text()
                return _reply_text(response.status, payload, response.headers)
        except TimeoutError:
            raise _AttemptError(f"no reply within {self.config.timeout_s:g} s from {server.url}", True) from None
        except aiohttp.ClientConnectorError as exc:
            raise _AttemptError(f"cannot connect to {server.url}: {exc}", True, unreachable=True) from None
        except aiohttp.ClientError as exc:
            raise _AttemptError(f"{type(exc).__name__} talking to {server.url}: {exc}", True) from None

    def _wait_s(self, attempt: int, asked: float | None) -> float:
        config = self.config
        wait = min(config.backoff_s * 2**attempt, config.max_backoff_s)
        if asked is not None:
            wait = max(wait, min(asked, config.max_backoff_s))
        return random.uniform(wait / 2, wait)

    async def _complete(self, request: ChatRequest) -> EngineResult:
        began = time.perf_counter()

        def failed(message: str, attempts: int) -> EngineResult:
            return EngineResult(request.request_id, None, message, time.perf_counter() - began, attempts)

        async with self._preparing:
            try:
                body = await self._loop.run_in_executor(self._executor, chat_completion_body, request, self.config)
            except Exception as exc:
                return failed(error_text(exc), 0)
            await self._sending.acquire()
        try:
            attempt, server = 0, None
            while True:
                attempt += 1
                server = self._pick(avoid=server)
                server.in_flight += 1
                try:
                    text = await self._attempt(server, body)
                except _AttemptError as exc:
                    if exc.unreachable:
                        server.down_until = time.monotonic() + self.config.server_cooldown_s
                    if not exc.retry or attempt > self.config.max_retries:
                        return failed(str(exc), attempt)
                    wait = self._wait_s(attempt - 1, exc.wait_s)
                else:
                    return EngineResult(request.request_id, text, None, time.perf_counter() - began, attempt)
                finally:
                    server.in_flight -= 1
                await asyncio.sleep(wait)
        finally:
            self._sending.release()

    async def _generate(self, requests: Sequence[ChatRequest]) -> list[EngineResult]:
        return list(await asyncio.gather(*(self._complete(request) for request in requests)))

    def generate(self, requests: Sequence[ChatRequest]) -> list[EngineResult]:
        if self._closed:
            raise RuntimeError("the engine is closed")
        return self._submit(self._generate(requests)).result()

    async def agenerate(self, requests: Sequence[ChatRequest]) -> list[EngineResult]:
        """`generate` for callers already inside an event loop (any loop: the work runs on the engine's own)."""
        if self._closed:
            raise RuntimeError("the engine is closed")
        return await asyncio.wrap_future(self._submit(self._generate(requests)))

    async def _shutdown(self) -> None:
        await self._session.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._submit(self._shutdown()).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
        self._executor.shutdown(wait=True)
