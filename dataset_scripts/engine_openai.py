"""A chat request as the JSON body of an OpenAI-compatible ``POST /v1/chat/completions`` (vLLM's server first).

Media travel inside the body, so servers need no access to our files:

- video clip, ``video_transport="video_url"`` (default, for vLLM): the sampled frames as JPEGs in one
  ``{"type": "video_url", "video_url": {"url": "data:video/jpeg;base64,<frame 1>,<frame 2>,..."}}`` part. vLLM's
  video loader reads a ``video/jpeg`` data URL as a frame sequence, so Qwen2-VL gets a real *video* (temporal
  patches, video tokens), not a stack of images. The body also carries vLLM's request-level
  ``media_io_kwargs.video`` = ``{"num_frames": n, "fps": n / clip seconds}``: vLLM keeps at most ``num_frames``
  frames of such a URL (32 unless told) and derives frame times from ``fps``.
- video clip, ``video_transport="image_url"``: one ``image_url`` JPEG part per frame, for servers without video
  input (``transformers serve`` with an image-text model, hosted APIs). vLLM then needs
  ``--limit-mm-per-prompt '{"image": n}'``.
- audio clip: ``{"type": "input_audio", "input_audio": {"data": <base64 WAV>, "format": "wav"}}``, 16 kHz mono
  16-bit PCM (the rate Qwen2-Audio's feature extractor works at, so the server does not resample).
"""

from __future__ import annotations

import base64
from typing import Any

from .engine_base import ChatRequest
from .engine_config import EngineConfig
from .engine_media import jpeg_bytes, read_clip_audio, read_clip_frames, wav_bytes
from .engine_messages import AudioClip, VideoClip, message_parts


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _video_parts(clip: VideoClip, config: EngineConfig, video_kwargs: dict[str, Any]) -> list[dict[str, Any]]:
    frames = read_clip_frames(clip.path, clip.start, clip.end, clip.num_frames or config.num_frames)
    encoded = [_b64(jpeg_bytes(frame, config.jpeg_quality, config.frame_max_side)) for frame in frames.frames]
    if config.video_transport == "image_url":
        return [{"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{data}"}} for data in encoded]
    if "num_frames" in video_kwargs:  # several clips: a single fps would be wrong for some, let vLLM default
        video_kwargs.pop("fps", None)
    else:
        video_kwargs["fps"] = len(encoded) / (frames.end - frames.start)
    video_kwargs["num_frames"] = max(video_kwargs.get("num_frames", 0), len(encoded))
    return [{"type": "video_url", "video_url": {"url": "data:video/jpeg;base64," + ",".join(encoded)}}]


def _audio_part(clip: AudioClip) -> dict[str, Any]:
    samples = read_clip_audio(clip.path, clip.start, clip.end)
    return {"type": "input_audio", "input_audio": {"data": _b64(wav_bytes(samples)), "format": "wav"}}


def chat_completion_body(request: ChatRequest, config: EngineConfig) -> dict[str, Any]:
    """The request body; decodes and encodes every clip (CPU work: run it off the event loop)."""
    messages, video_kwargs = [], {}
    for message in request.messages:
        parts = message_parts(message)
        if isinstance(message.get("content"), str):
            messages.append({"role": message["role"], "content": parts[0]})
            continue
        content: list[dict[str, Any]] = []
        for part in parts:
            if isinstance(part, str):
                content.append({"type": "text", "text": part})
            elif isinstance(part, VideoClip):
                content.extend(_video_parts(part, config, video_kwargs))
            else:
                content.append(_audio_part(part))
        messages.append({"role": message["role"], "content": content})
    body: dict[str, Any] = {
        "model": config.model,
        "messages": messages,
        "max_tokens": config.max_new_tokens if request.max_new_tokens is None else request.max_new_tokens,
        "temperature": config.temperature if request.temperature is None else request.temperature,
        "top_p": config.top_p,
    }
    seed = config.seed if request.seed is None else request.seed
    if seed is not None:
        body["seed"] = seed
    if video_kwargs:
        body["media_io_kwargs"] = {"video": video_kwargs}
    return body
