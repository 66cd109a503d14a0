"""Build and read the parts of a chat message (text, a video clip, an audio clip) in one agreed shape.

Stages write parts with the ``*_part`` helpers; engines read them back with `message_parts`, which checks them, so
a malformed request fails alone with a clear reason instead of deep inside a model or a server.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


class RequestError(ValueError):
    """A chat request is malformed (unknown part type, missing path, end before start, ...)."""


@dataclass(frozen=True)
class VideoClip:
    """A clip of a video file: ``[start, end]`` seconds (None: from the file's start / to its end)."""

    path: str
    start: float | None = None
    end: float | None = None
    num_frames: int | None = None


@dataclass(frozen=True)
class AudioClip:
    """The sound of ``[start, end]`` seconds of a media file (None: from its start / to its end)."""

    path: str
    start: float | None = None
    end: float | None = None


Part = str | VideoClip | AudioClip


def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def video_part(
    path: str | os.PathLike, start: float | None = None, end: float | None = None, num_frames: int | None = None
) -> dict[str, Any]:
    return {"type": "video", "video": os.fspath(path), "start": start, "end": end, "num_frames": num_frames}


def audio_part(path: str | os.PathLike, start: float | None = None, end: float | None = None) -> dict[str, Any]:
    return {"type": "audio", "audio": os.fspath(path), "start": start, "end": end}


def _interval(part: dict[str, Any]) -> tuple[float | None, float | None]:
    start, end = part.get("start"), part.get("end")
    start = None if start is None else float(start)
    end = None if end is None else float(end)
    if start is not None and start < 0:
        raise RequestError(f"{part['type']} part starts before 0 s ({start})")
    if start is not None and end is not None and end <= start:
        raise RequestError(f"{part['type']} part ends at {end} s, not after its start {start} s")
    return start, end


def parse_part(part: str | dict[str, Any]) -> Part:
    """A checked, typed view of one content part: a string for text, else a `VideoClip` or an `AudioClip`."""
    if isinstance(part, str):
        return part
    kind = part.get("type")
    if kind == "text":
        return str(part.get("text", ""))
    if kind == "video":
        if not part.get("video"):
            raise RequestError("video part without a 'video' path")
        num_frames = part.get("num_frames")
        if num_frames is not None and int(num_frames) < 1:
            raise RequestError(f"video part asks for {num_frames} frames")
        start, end = _interval(part)
        return VideoClip(os.fspath(part["video"]), start, end, None if num_frames is None else int(num_frames))
    if kind == "audio":
        if not part.get("audio"):
            raise RequestError("audio part without an 'audio' path")
        start, end = _interval(part)
        return AudioClip(os.fspath(part["audio"]), start, end)
    raise RequestError(f"unknown content part type {kind!r}")


def message_parts(message: dict[str, Any]) -> list[Part]:
    """The parts of one message, a plain string content being one text part."""
    if "role" not in message:
        raise RequestError("message without a 'role'")
    content = message.get("content", "")
    if isinstance(content, str):
        return [content]
    if not isinstance(content, list):
        raise RequestError(f"message content must be a string or a list of parts, not {type(content).__name__}")
    return [parse_part(part) for part in content]


def message_text(message: dict[str, Any]) -> str:
    """The text parts of a message joined by newlines (media parts left out)."""
    return "\n".join(part for part in message_parts(message) if isinstance(part, str))
