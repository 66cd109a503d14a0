"""A model-free engine: stage tests and pipeline benchmarks run the real orchestration without any model.

It checks each request like a real engine does (a malformed one gets an error result) and replies instantly with
``config.echo_reply`` formatted with ``text`` (the last user message's text), ``request_id`` and ``model``, or with
what a ``reply`` function returns for the request (to script answers in tests).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from .engine_base import ChatRequest, Engine, EngineResult, error_text
from .engine_config import EngineConfig
from .engine_messages import message_parts, message_text


class EchoEngine(Engine):
    def __init__(self, config: EngineConfig | None = None, reply: Callable[[ChatRequest], str] | None = None):
        self.config = config or EngineConfig(kind="echo")
        self.reply = reply

    def _answer(self, request: ChatRequest) -> str:
        for message in request.messages:
            message_parts(message)
        if self.reply is not None:
            return self.reply(request)
        users = [m for m in request.messages if m.get("role") == "user"]
        text = message_text(users[-1]) if users else ""
        return self.config.echo_reply.format(text=text, request_id=request.request_id, model=self.config.model)

    def generate(self, requests: Sequence[ChatRequest]) -> list[EngineResult]:
        results = []
        for request in requests:
            began = time.perf_counter()
            try:
                text, error = self._answer(request), None
            except Exception as exc:  # one bad request must not fail the batch
                text, error = None, error_text(exc)
            results.append(EngineResult(request.request_id, text, error, time.perf_counter() - began))
        return results
