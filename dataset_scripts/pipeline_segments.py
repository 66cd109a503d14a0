"""The first stage: cut each video into clips (shot_segmentation.py) and check that it has a sound track.

A video without sound cannot yield audio-visual captions or questions, so it fails here, before any model
time is spent on it. The ``uniform`` backend cuts fixed windows from the container's duration without decoding
a frame: for a dry run of the pipeline, or footage whose shots do not matter.
"""

from __future__ import annotations

import math
import os

from .pipeline_config import PipelineConfigError, SegmentationConfig
from .pipeline_store import failed, ok


class ProbeError(ValueError):
    """The file cannot be opened or has no video stream."""


def probe(path: str | os.PathLike) -> tuple[float, bool]:
    """``(duration in seconds, has a sound track)`` from the container, decoding nothing."""
    import av

    try:
        with av.open(os.fspath(path)) as container:
            if not container.streams.video:
                raise ProbeError("the file has no video stream")
            stream = container.streams.video[0]
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / av.time_base
            else:
                raise ProbeError("the container states no duration")
            return duration, bool(container.streams.audio)
    except av.FFmpegError as error:
        raise ProbeError(f"not a readable media file ({error})") from None


def uniform_clips(duration: float, seconds: float, max_clips: int) -> list[tuple[float, float]]:
    """Equal windows of about ``seconds`` (longer when ``max_clips`` would be exceeded) tiling the video."""
    count = min(max_clips, max(1, math.ceil(duration / seconds - 1e-9)))
    bounds = [duration * index / count for index in range(count + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


class Segmenter:
    """Runs the configured backend; the detector (a model for autoshot / transnetv2) is loaded once."""

    def __init__(self, settings: SegmentationConfig):
        self.settings = settings
        self._detector = None

    def prepare(self) -> None:
        """Load the detector now: a missing checkpoint or package stops the run instead of failing every video."""
        if self.settings.backend == "uniform" or self._detector is not None:
            return
        from .shot_segmentation import make_detector
        from .shots_errors import ShotSegmentationError

        try:
            self._detector = make_detector(self.settings.backend, self.settings.checkpoint)
        except (ValueError, ImportError, ShotSegmentationError) as error:
            raise PipelineConfigError(f"segmentation: {error}") from None

    def _clips(self, path: str) -> tuple[float, list[tuple[float, float]]]:
        from .shot_segmentation import ClipRules, segment_video

        self.prepare()
        rules = ClipRules(self.settings.min_frames, self.settings.max_clips)
        result = segment_video(path, self._detector, self.settings.threshold, rules)
        return result.scores.duration, [(clip.start_s, clip.end_s) for clip in result.clips]

    def __call__(self, path: str) -> dict:
        from .shots_errors import ShotSegmentationError

        try:
            duration, has_audio = probe(path)
            if not has_audio:
                return failed("no_audio_track", "the video has no sound track")
            if self.settings.backend == "uniform":
                clips = uniform_clips(duration, self.settings.uniform_seconds, self.settings.max_clips)
            else:
                duration, clips = self._clips(path)
        except (ProbeError, ShotSegmentationError) as error:
            return failed("unreadable_video", str(error))
        if duration <= 0:
            return failed("unreadable_video", "the video has no duration")
        return ok(
            {
                "backend": self.settings.backend,
                "duration": round(duration, 6),
                "clips": [[round(start, 6), round(end, 6)] for start, end in clips],
            }
        )
