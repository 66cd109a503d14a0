"""The one interface every captioning / fusion / question-writing stage talks to: chat requests in, texts out.

The pipeline runs three models (Qwen2-VL for clips, Qwen2-Audio for sound, Qwen2.5 for fusion and questions) on
hardware that differs between a laptop, a GPU node and a cluster of servers. Stages therefore never see a model:
they build `ChatRequest`s and hand batches to an `Engine` (HTTP servers, vLLM in-process, transformers
in-process, or the echo engine for tests), chosen by configuration.

Messages are OpenAI-style chats. ``content`` is a string or a list of parts:

- ``{"type": "text", "text": str}``
- ``{"type": "video", "video": path, "start": s, "end": s, "num_frames": n}``: a clip of a file; ``start`` /
  ``end`` in seconds (absent or None: the file's start / end), ``num_frames`` (absent: the engine's default)
- ``{"type": "audio", "audio": path, "start": s, "end": s}``: the sound of a clip, resampled to 16 kHz mono

Build parts with `engine_messages.text_part`, `video_part` and `audio_part`.

Contract of `Engine.generate`: one `EngineResult` per request, in the order given; a request that fails gives a
result with ``error`` set and ``text`` None and never fails the batch.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


def error_text(exc: BaseException) -> str:
    """A one-line reason for an `EngineResult.error`: the exception's type and the first line of its message."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".strip()


def _new_request_id() -> str:
    return uuid.uuid4().hex


@dataclass
class ChatRequest:
    """One chat to complete. None for a generation setting means the engine's configured default;
    ``temperature == 0`` means greedy decoding."""

    messages: list[dict[str, Any]]
    max_new_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None
    request_id: str = field(default_factory=_new_request_id)


@dataclass
class EngineResult:
    """What came back for one request: ``text`` when it worked, else ``error`` (a one-line reason).
    ``latency_s`` is the wall time spent on this request, retries included."""

    request_id: str
    text: str | None
    error: str | None = None
    latency_s: float = 0.0
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.error is None


class Engine(ABC):
    """Completes batches of chat requests. Engines hold models, servers' connections or GPU memory: close them
    (or use them as context managers)."""

    @abstractmethod
    def generate(self, requests: Sequence[ChatRequest]) -> list[EngineResult]:
        """One result per request, same order; per-request failures are reported in ``EngineResult.error``."""

    def close(self) -> None:  # noqa: B027 - engines without resources need not override it
        """Releases what the engine holds; calling it twice is harmless."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
