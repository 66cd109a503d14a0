"""Turn a chat request into what an in-process model takes: a chat for the processor's template plus decoded media.

Both in-process engines (transformers and vLLM) render the prompt with the model's own chat template, in which a
``{"type": "video"}`` / ``{"type": "audio"}`` item becomes the model's placeholder tokens, and hand the frames and
samples over separately, in the order their placeholders appear.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .engine_base import ChatRequest
from .engine_media import SAMPLE_RATE, ClipFrames, read_clip_audio, read_clip_frames
from .engine_messages import AudioClip, VideoClip, message_parts


@dataclass
class ModelInputs:
    """``messages`` for ``apply_chat_template``; ``videos`` and ``audios`` in placeholder order."""

    messages: list[dict[str, Any]]
    videos: list[ClipFrames] = field(default_factory=list)
    audios: list[np.ndarray] = field(default_factory=list)


def load_model_inputs(
    request: ChatRequest,
    num_frames: int,
    sample_rate: int = SAMPLE_RATE,
    takes_video: bool = True,
    takes_audio: bool = True,
    max_audio_samples: int | None = None,
) -> ModelInputs:
    """Decode every clip a request names. A part of a modality the model lacks is an error (raised before any
    decoding); a text-only model gets string contents, as plain tokenizer chat templates know no part lists.
    Audio longer than ``max_audio_samples`` is an error: Whisper-style feature extractors (Qwen2-Audio: 30 s)
    silently cut the rest, so the caller must split long audio, as the paper does."""
    parsed = [(message["role"], message_parts(message)) for message in request.messages]
    kinds = {type(part) for _, parts in parsed for part in parts}
    if VideoClip in kinds and not takes_video:
        raise ValueError("the model takes no video, but the request holds a video part")
    if AudioClip in kinds and not takes_audio:
        raise ValueError("the model takes no audio, but the request holds an audio part")
    inputs = ModelInputs(messages=[])
    for role, parts in parsed:
        content: list[dict[str, Any]] = []
        for part in parts:
            if isinstance(part, str):
                content.append({"type": "text", "text": part})
            elif isinstance(part, VideoClip):
                clip = read_clip_frames(part.path, part.start, part.end, part.num_frames or num_frames)
                inputs.videos.append(clip)
                content.append({"type": "video"})
            else:
                samples = read_clip_audio(part.path, part.start, part.end, sample_rate)
                if max_audio_samples and len(samples) > max_audio_samples:
                    raise ValueError(
                        f"audio clip of {len(samples) / sample_rate:.1f} s exceeds the model's "
                        f"{max_audio_samples / sample_rate:.0f} s window; split it"
                    )
                inputs.audios.append(samples)
                content.append({"type": "audio"})
        if takes_video or takes_audio:
            inputs.messages.append({"role": role, "content": content})
        else:
            inputs.messages.append({"role": role, "content": "\n".join(item["text"] for item in content)})
    return inputs
