"""Audio chunks of a clip: Qwen2-Audio hears at most 30 s, so a longer clip is captioned piece by piece.

The pieces are equal and as few as the limit allows (95 s -> 4 x 23.75 s rather than 30 + 30 + 30 + 5): a short
tail would give the audio model too little sound to describe and the merge step a caption that says nothing.
"""

from __future__ import annotations

import math


def audio_chunks(start: float, end: float, max_seconds: float = 30.0) -> list[tuple[float, float]]:
    """Consecutive ``(start, end)`` pieces that tile ``[start, end]``, each at most ``max_seconds`` long."""
    if max_seconds <= 0:
        raise ValueError(f"max_seconds must be positive, got {max_seconds}")
    if end <= start:
        raise ValueError(f"needs start < end, got {start} and {end}")
    count = max(1, math.ceil((end - start) / max_seconds - 1e-9))
    step = (end - start) / count
    bounds = [start + index * step for index in range(count)] + [end]
    return list(zip(bounds[:-1], bounds[1:]))
