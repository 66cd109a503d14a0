"""Shot segmentation, the first stage of the SAVEn-Vid pipeline: split a long video into clips at shot cuts.

Every backend (AutoShot as in the paper, TransNetV2, PySceneDetect) only turns a video into one cut score per
frame (a `ShotDetector`). One shared function then turns the scores into clips under the paper's rules
(appendix A): every clip has at least 50 frames and a video yields at most 20 clips. Clips are never dropped
to meet the rules, only merged, so the clips always tile the whole video.

Merge order: a candidate cut's strength is its score. Cuts that border a too-short clip are removed weakest
first (each removal merges the short clip into the neighbour across its less certain cut); then, while there
are more than 20 clips, the weakest remaining cuts go. Both steps remove the least certain cuts first, so a
confident cut is only ever given up for a rule, never for a weaker one.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

BACKENDS = ("autoshot", "transnetv2", "scenedetect")


@dataclass(frozen=True)
class CutScores:
    """``probabilities[i]`` is how sure a detector is that frame ``i`` is the last frame of a shot."""

    probabilities: np.ndarray  # float32 [n_frames]
    frame_times: np.ndarray  # float64 [n_frames], seconds since the first frame
    fps: float

    @classmethod
    def from_frame_times(cls, probabilities, times: Sequence[float], fps: float | None) -> CutScores:
        """Builds scores from container timestamps; ``fps`` may be unknown (None) for odd streams."""
        times = np.asarray(times, dtype=np.float64)
        times = times - times[0]
        if not fps:
            fps = (len(times) - 1) / times[-1] if len(times) > 1 and times[-1] > 0 else 25.0
        probabilities = np.asarray(probabilities, dtype=np.float32)
        if probabilities.shape != times.shape:
            raise ValueError(f"{probabilities.shape[0]} scores for {times.shape[0]} frames")
        return cls(probabilities, times, float(fps))

    @property
    def n_frames(self) -> int:
        return int(self.probabilities.shape[0])

    @property
    def duration(self) -> float:
        """Seconds from the first frame's start to the last frame's end."""
        return float(self.frame_times[-1]) + 1.0 / self.fps


class ShotDetector(Protocol):
    """Scores every frame of a video; `default_threshold` is the score above which the backend sees a cut."""

    name: str
    default_threshold: float

    def scores(self, video: str | os.PathLike) -> CutScores: ...


@dataclass(frozen=True)
class ClipRules:
    """The paper's limits on clips (appendix A)."""

    min_frames: int = 50
    max_clips: int = 20

    def __post_init__(self):
        if self.min_frames < 1 or self.max_clips < 1:
            raise ValueError(f"need min_frames >= 1 and max_clips >= 1, got {self.min_frames} and {self.max_clips}")


@dataclass(frozen=True)
class Clip:
    """Frames ``start_frame`` (inclusive) to ``end_frame`` (exclusive); times in seconds since the first frame."""

    start_frame: int
    end_frame: int
    start_s: float
    end_s: float

    def to_json(self) -> dict:
        return {
            "start_frame": self.start_frame,
            "end_frame": self.end_frame,
            "start_s": round(self.start_s, 6),
            "end_s": round(self.end_s, 6),
        }


@dataclass(frozen=True)
class Segmentation:
    """The result for one video: which backend and threshold, its per-frame scores and the clips."""

    video: str
    backend: str
    threshold: float
    scores: CutScores
    clips: list[Clip]

    def to_json(self) -> dict:
        return {
            "video": self.video,
            "backend": self.backend,
            "threshold": self.threshold,
            "fps": self.scores.fps,
            "n_frames": self.scores.n_frames,
            "duration_s": round(self.scores.duration, 6),
            "clips": [clip.to_json() for clip in self.clips],
        }


def candidate_cuts(probabilities: np.ndarray, threshold: float) -> list[tuple[int, float]]:
    """(first frame of the new shot, strength) for each run of scores above ``threshold``, at the run's peak."""
    above = np.concatenate([[False], probabilities > threshold, [False]])
    edges = np.flatnonzero(above[1:] != above[:-1])
    cuts = []
    for begin, end in zip(edges[::2], edges[1::2]):
        peak = begin + int(np.argmax(probabilities[begin:end]))
        if peak + 1 < len(probabilities):
            cuts.append((int(peak) + 1, float(probabilities[peak])))
    return cuts


def clip_starts(probabilities: np.ndarray, threshold: float, rules: ClipRules = ClipRules()) -> list[int]:
    """The first frame of every clip (0 first) after applying ``rules`` in the merge order of the module doc."""
    n_frames = len(probabilities)
    cuts = candidate_cuts(np.asarray(probabilities, dtype=np.float64), threshold)
    # Nodes 0 and k+1 are the video's ends; 1..k are the cuts, linked to their living neighbours.
    position = [0] + [start for start, _ in cuts] + [n_frames]
    previous = list(range(-1, len(position) - 1))
    following = list(range(1, len(position) + 1))

    def borders_short_clip(node: int) -> bool:
        left = position[node] - position[previous[node]]
        right = position[following[node]] - position[node]
        return min(left, right) < rules.min_frames

    heap = [(strength, start, node) for node, (start, strength) in enumerate(cuts, start=1)]
    heapq.heapify(heap)
    alive = []
    while heap:
        strength, start, node = heapq.heappop(heap)
        if borders_short_clip(node):
            following[previous[node]] = following[node]
            previous[following[node]] = previous[node]
        else:
            # Clips only grow, so a cut whose clips are both long enough stays so: decide it now.
            alive.append((strength, start))
    kept = sorted(alive, reverse=True)[: rules.max_clips - 1]
    return [0] + sorted(start for _, start in kept)


def clips_from_scores(scores: CutScores, threshold: float, rules: ClipRules = ClipRules()) -> list[Clip]:
    """Clips that tile the video, cut where the scores exceed ``threshold``, under ``rules``."""
    starts = clip_starts(scores.probabilities, threshold, rules)
    ends = starts[1:] + [scores.n_frames]
    clips = []
    for start, end in zip(starts, ends):
        end_s = float(scores.frame_times[end]) if end < scores.n_frames else scores.duration
        clips.append(Clip(start, end, float(scores.frame_times[start]), end_s))
    return clips


def segment_video(
    video: str | os.PathLike, detector: ShotDetector, threshold: float | None = None, rules: ClipRules = ClipRules()
) -> Segmentation:
    """Scores ``video`` with ``detector`` and splits it into clips (``threshold`` defaults to the backend's)."""
    threshold = detector.default_threshold if threshold is None else threshold
    scores = detector.scores(video)
    return Segmentation(
        os.fspath(video), detector.name, threshold, scores, clips_from_scores(scores, threshold, rules)
    )


def make_detector(
    backend: str, checkpoint: str | os.PathLike | None = None, trust_checkpoint: bool = False
) -> ShotDetector:
    """Builds a backend by name; AutoShot needs the official checkpoint file, the others ship or need none.

    ``trust_checkpoint`` lets the checkpoint unpickle arbitrary objects (see `load_autoshot`)."""
    if backend == "autoshot":
        if checkpoint is None:
            raise ValueError(
                "the autoshot backend needs its authors' checkpoint file (ckpt_0_200_0.pth); "
                "the transnetv2 and scenedetect backends need none"
            )
        from .shots_autoshot import AutoShotDetector

        return AutoShotDetector.from_checkpoint(checkpoint, trusted=trust_checkpoint)
    if checkpoint is not None:
        raise ValueError(f"the {backend} backend takes no checkpoint")
    if backend == "transnetv2":
        from .shots_transnetv2 import TransNetV2Detector

        return TransNetV2Detector()
    if backend == "scenedetect":
        from .shots_scenedetect import SceneDetectDetector

        return SceneDetectDetector()
    raise ValueError(f"unknown shot-detection backend {backend!r}; choose one of {', '.join(BACKENDS)}")
