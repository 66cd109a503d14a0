"""Stream a video's frames at a tiny size for shot detection, one frame in memory at a time.

Shot detectors look at thumbnails (48x27 for AutoShot and TransNetV2), so the resize happens inside FFmpeg
(an ``scale`` + ``format=rgb24`` filter graph) right after decoding: an hour-long video never exists at full size
in memory. The filter graph uses FFmpeg's default scaler, which gives bit-identical thumbnails to the
``ffmpeg -s 48x27 -pix_fmt rgb24`` command that the AutoShot and TransNetV2 authors used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .shots_errors import UnreadableVideoError


@dataclass(frozen=True)
class Thumbnail:
    """One decoded frame: its presentation time in seconds (as stored in the container) and RGB pixels."""

    time: float
    rgb: np.ndarray  # uint8 [height, width, 3]


class ThumbnailReader:
    """Decodes every frame of the first video stream of ``path`` as a ``width`` x ``height`` RGB thumbnail.

    Opening happens in the constructor so that a bad file fails at once with an `UnreadableVideoError`.
    Use as a context manager, or call `close`.
    """

    def __init__(self, path: str | os.PathLike, width: int = 48, height: int = 27):
        import av

        self.path = Path(path)
        self.width = width
        self.height = height
        if not self.path.is_file():
            raise UnreadableVideoError(self.path, "no such file")
        try:
            self._container = av.open(str(self.path))
        except av.FFmpegError as error:
            raise UnreadableVideoError(self.path, f"not a readable media file ({error})") from error
        if not self._container.streams.video:
            self._container.close()
            raise UnreadableVideoError(self.path, "the file has no video stream")
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        rate = self._stream.average_rate or self._stream.guessed_rate
        self.fps = float(rate) if rate else None

    def __enter__(self) -> ThumbnailReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._container.close()

    def __iter__(self) -> Iterator[Thumbnail]:
        import av

        graph = av.filter.Graph()
        source = graph.add_buffer(template=self._stream)
        scale = graph.add("scale", f"{self.width}:{self.height}")
        to_rgb = graph.add("format", "rgb24")
        sink = graph.add("buffersink")
        source.link_to(scale)
        scale.link_to(to_rgb)
        to_rgb.link_to(sink)
        graph.configure()

        count = 0
        try:
            for frame in self._container.decode(self._stream):
                graph.push(frame)
                for small in _drain(graph):
                    yield Thumbnail(self._time_of(small, count), small.to_ndarray())
                    count += 1
            graph.push(None)
            for small in _drain(graph):
                yield Thumbnail(self._time_of(small, count), small.to_ndarray())
                count += 1
        except av.FFmpegError as error:
            raise UnreadableVideoError(self.path, f"decoding failed after {count} frames ({error})") from error
        if count == 0:
            raise UnreadableVideoError(self.path, "the video stream has no decodable frames")

    def _time_of(self, frame, index: int) -> float:
        if frame.time is not None:
            return float(frame.time)
        return index / (self.fps or 25.0)


def _drain(graph) -> Iterator:
    import av

    while True:
        try:
            yield graph.pull()
        except (av.BlockingIOError, av.EOFError):
            return
