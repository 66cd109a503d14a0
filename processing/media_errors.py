"""Typed errors for media that cannot be decoded, and a time limit that no input can get around.

Every failure to read a video or an audio file ends in :class:`VideoDecodeError`, which names the input and
says why (empty file, truncated, not a media file, no decodable stream, permission denied, timed out, ...).
Callers catch one type; the original exception of each backend that was tried is chained and listed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def describe_source(source: Any) -> str:
    """A short human-readable name for a media input (a path, '<N bytes>', '<file-like name>', ...)."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f"<{len(source)} bytes in memory>"
    name = getattr(source, "name", None)
    if isinstance(name, (str, os.PathLike)):
        return f"<file-like {os.fspath(name)}>"
    metadata = getattr(source, "metadata", None)
    path = getattr(metadata, "path", None)
    if isinstance(path, str):
        return f"<{type(source).__name__} {path}>"
    return f"<{type(source).__name__}>"


class VideoDecodeError(RuntimeError):
    """A media input could not be decoded.

    Attributes:
        source: a printable name of the input (path, ``<N bytes in memory>``, ...).
        reason: why, in words (``"empty file (0 bytes)"``, ``"truncated or corrupt ..."``, ``"timed out after 5 s"``).
        attempts: ``{backend: error message}`` for every backend that was tried.
    """

    def __init__(self, source: Any, reason: str, attempts: dict[str, str] | None = None):
        self.source = source if isinstance(source, str) else describe_source(source)
        self.reason = reason
        self.attempts = dict(attempts or {})
        message = f"cannot decode {self.source}: {reason}"
        if self.attempts:
            tried = "; ".join(f"{name}: {_one_line(err)}" for name, err in self.attempts.items())
            message += f" (tried {tried})"
        super().__init__(message)

    def __reduce__(self):  # picklable, so it crosses DataLoader worker processes intact
        return (type(self), (self.source, self.reason, self.attempts))


class MediaTimeoutError(VideoDecodeError, TimeoutError):
    """Decoding took longer than the processor's ``decode_timeout``."""


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Deadline:
    """A point in time after which cooperative decoding loops stop (``check()`` raises)."""

    def __init__(self, seconds: float | None, source: Any = None):
        self.seconds = seconds
        self.source = source
        self.expires = None if seconds is None or seconds <= 0 else time.monotonic() + seconds

    def expired(self) -> bool:
        return self.expires is not None and time.monotonic() > self.expires

    def check(self) -> None:
        if self.expired():
            raise MediaTimeoutError(self.source, f"timed out after {self.seconds:g} s")


def run_with_timeout(fn: Callable[[], T], timeout: float | None, source: Any) -> T:
    """Run ``fn()`` in a daemon worker thread and give up after ``timeout`` seconds.

    This works the same with every backend (decord, torchcodec, PyAV all release the GIL while they decode) and
    costs ~0.1 ms. A decoder that is stuck inside C code cannot be killed from Python: on time-out the caller gets
    :class:`MediaTimeoutError` at once and the worker is abandoned (it is a daemon thread, and the decoding loops
    also check a :class:`Deadline` so that a slow-but-progressing decode stops by itself soon after).
    """
    if timeout is None or timeout <= 0:
        return fn()
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = error
        finally:
            done.set()

    worker = threading.Thread(target=target, name="savenvideo-decode", daemon=True)
    worker.start()
    if not done.wait(timeout):
        raise MediaTimeoutError(source, f"timed out after {timeout:g} s (decode_timeout)")
    if "error" in box:
        raise box["error"]
    return box["value"]
