"""The overlapping-window scheme with which TransNetV2 and AutoShot score a video of any length.

Both networks see 100 frames at a time and are trusted only on the middle 50, where they have 25 frames of
context on either side. The video is padded with 25 copies of its first frame in front and with copies of its
last frame behind (up to a multiple of 50, plus 25), and windows start every 50 frames: window n scores frames
50n .. 50n+49. Here the windows are built while frames stream in, so memory holds at most a batch of windows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np

from .shot_segmentation import CutScores
from .shots_decode import ThumbnailReader

WINDOW = 100
STRIDE = 50
CONTEXT = 25


def sliding_windows(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """Yields the padded [100, H, W, 3] windows of ``frames`` in order, ceil(len(frames) / 50) of them."""
    buffer: list[np.ndarray] = []
    count = 0
    for frame in frames:
        if count == 0:
            buffer.extend([frame] * CONTEXT)
        buffer.append(frame)
        count += 1
        if len(buffer) == WINDOW:
            yield np.stack(buffer)
            del buffer[:STRIDE]
    if count == 0:
        return
    buffer.extend([buffer[-1]] * ((-count) % STRIDE + CONTEXT))
    while len(buffer) >= WINDOW:
        yield np.stack(buffer[:WINDOW])
        del buffer[:STRIDE]


def score_video(
    reader: ThumbnailReader, predict: Callable[[np.ndarray], np.ndarray], batch_windows: int = 1
) -> CutScores:
    """Runs ``predict`` (uint8 [B, 100, H, W, 3] -> cut probabilities [B, 100]) over every window of the video."""
    times: list[float] = []

    def frames() -> Iterator[np.ndarray]:
        for thumbnail in reader:
            times.append(thumbnail.time)
            yield thumbnail.rgb

    kept: list[np.ndarray] = []
    batch: list[np.ndarray] = []
    for window in sliding_windows(frames()):
        batch.append(window)
        if len(batch) == batch_windows:
            kept.extend(predict(np.stack(batch))[:, CONTEXT : CONTEXT + STRIDE])
            batch.clear()
    if batch:
        kept.extend(predict(np.stack(batch))[:, CONTEXT : CONTEXT + STRIDE])
    probabilities = np.concatenate(kept)[: len(times)].astype(np.float32)
    return CutScores.from_frame_times(probabilities, times, reader.fps)
