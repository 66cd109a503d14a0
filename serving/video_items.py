"""How a video travels through vLLM to SAVEnVideoProcessor, with its sound.

vLLM's video loaders decode frames and drop the audio track, but SAVEnVideo hears as well as sees. So the
``savenvideo`` loader (``vllm_video_loader``) decodes nothing: it hands the container bytes on in the item's
metadata, and the processor decodes frames *and* sound from that one file, with the same seeks, frame times and
audio windows as offline. A video item is the pair ``(frames, metadata)`` vLLM's parser expects.

Frames decoded elsewhere are accepted when the decoder did not drop a sound track: vLLM's ``video/jpeg`` data
URLs (a frame sequence, silent by nature) and in-memory items built by ``frames_item`` (offline ``LLM.generate``,
the profiling dummy), which may carry a waveform.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

LOADER_NAME = "savenvideo"
CONTAINER_KEY = "savenvideo_container"
# vLLM's own loader for `data:video/jpeg;base64,...` URLs: frames only, there never was a sound track.
FRAME_SEQUENCE_BACKEND = "jpeg_sequence"
SERVE_FLAG = """--media-io-kwargs '{"video": {"video_backend": "savenvideo"}}'"""


def container_item(data: bytes) -> tuple[np.ndarray, dict[str, Any]]:
    """A video file's bytes as a vLLM video item: no frames yet, the container in the metadata."""
    return np.zeros((0, 1, 1, 3), dtype=np.uint8), {"video_backend": LOADER_NAME, CONTAINER_KEY: bytes(data)}


def frames_item(
    frames: np.ndarray,
    times: Sequence[float],
    audio: np.ndarray | None = None,
    sampling_rate: int | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Decoded uint8 ``[N, H, W, 3]`` frames shown at ``times`` seconds, with an optional waveform starting at 0 s."""
    metadata: dict[str, Any] = {"frame_times": [float(t) for t in times]}
    if audio is not None:
        metadata.update(audio=np.asarray(audio, dtype=np.float32), sampling_rate=int(sampling_rate or 16000))
    return np.asarray(frames), metadata


def processor_video(frames: Any, metadata: dict[str, Any]) -> Any:
    """The ``videos`` entry SAVEnVideoProcessor takes for one vLLM video item."""
    if CONTAINER_KEY in metadata:
        return metadata[CONTAINER_KEY]
    backend = metadata.get("video_backend")
    if backend not in (None, FRAME_SEQUENCE_BACKEND):
        raise ValueError(
            f"this video was decoded by vLLM's {backend!r} loader, which drops its sound; SAVEnVideo needs the "
            f"audio track: start the server with {SERVE_FLAG}"
        )
    item: dict[str, Any] = {"frames": np.asarray(frames), "times": _frame_times(metadata, len(frames))}
    if metadata.get("audio") is not None:
        item.update(audio=metadata["audio"], sampling_rate=metadata["sampling_rate"])
    return item


def _frame_times(metadata: dict[str, Any], count: int) -> list[float]:
    """Seconds of each frame: given outright, or frame index / fps as vLLM's frame-sequence metadata has them."""
    if "frame_times" in metadata:
        return list(metadata["frame_times"])
    fps = float(metadata.get("fps") or 0)
    if fps <= 0:
        raise ValueError("a video given as frames needs 'frame_times' or 'fps' in its metadata")
    indices = metadata.get("frames_indices") or range(count)
    return [index / fps for index in indices]


def dummy_item(num_frames: int, image_size: int, sampling_rate: int = 16000) -> tuple[np.ndarray, dict[str, Any]]:
    """The largest input vLLM profiles memory with: every frame slot filled, sound in every audio window."""
    frames = np.full((num_frames, image_size, image_size, 3), 128, dtype=np.uint8)
    audio = np.zeros(num_frames * sampling_rate, dtype=np.float32)
    return frames_item(frames, np.arange(num_frames, dtype=np.float64), audio, sampling_rate)
