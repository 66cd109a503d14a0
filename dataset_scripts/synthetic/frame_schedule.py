"""When each video frame is presented: constant frame rate, or a repeating pattern of unequal frame durations.

Times are whole ticks of 1/fps seconds, which is also the video stream's time base, so the pts the
container stores are exactly the times recorded here (Matroska/WebM round them to milliseconds).
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import cycle

import numpy as np

from .errors import TimelineError

MAX_FPS = 240
VARIABLE_STEP_PATTERN = (1, 3)
"""At 30 fps: frames alternately last 1/30 s and 1/10 s, so index / fps is wrong for every other frame."""


@dataclass(frozen=True)
class FrameSchedule:
    fps: int
    step_pattern: tuple[int, ...] = (1,)

    def __post_init__(self):
        if not isinstance(self.fps, int) or not 1 <= self.fps <= MAX_FPS:
            raise TimelineError(f"fps must be a whole number in [1, {MAX_FPS}], got {self.fps!r}")
        if not self.step_pattern or any(int(step) != step or step < 1 for step in self.step_pattern):
            raise TimelineError(f"frame step pattern must be positive whole ticks, got {self.step_pattern}")

    @classmethod
    def variable(cls, fps: int) -> "FrameSchedule":
        return cls(fps=fps, step_pattern=VARIABLE_STEP_PATTERN)

    @property
    def is_variable(self) -> bool:
        return len(set(self.step_pattern)) > 1

    def ticks(self, duration: float) -> Iterator[tuple[int, int]]:
        """(pts, duration) of each frame in ticks, for frames presented before ``duration`` seconds."""
        end_tick = math.ceil(duration * self.fps - 1e-9)
        tick = 0
        for step in cycle(self.step_pattern):
            if tick >= end_tick:
                return
            yield tick, step
            tick += step

    def frame_count(self, duration: float) -> int:
        return sum(1 for _ in self.ticks(duration))

    def frame_times(self, duration: float) -> np.ndarray:
        """Presentation time in seconds of every frame."""
        return np.array([tick for tick, _ in self.ticks(duration)], dtype=np.float64) / self.fps
