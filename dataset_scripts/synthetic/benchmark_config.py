"""The knobs of the synthetic audio-visual benchmark, in one frozen dataclass that is saved with the benchmark.

A clip is cut into equal *slots*; each slot is one shot with one sound inside it. ``density`` (slots per second)
and ``seconds`` set how many events a clip holds and how short they are; ``distractor_similarity`` sets how many
clips draw their events from the near-miss catalogues (see ``benchmark_catalogue``).
"""

import hashlib
import json
import math
from dataclasses import asdict, dataclass

from .errors import TimelineError

MIN_SLOTS = 5
"""Every kind of question needs four different options drawn from one clip plus one repeated visual or sound."""
MIN_SLOT_SECONDS = 1.0
TIME_GRID = 0.1
"""Every cut and sound boundary lies on this grid, so the times written in questions are exact."""


@dataclass(frozen=True)
class BenchmarkConfig:
    videos: int = 200
    seed: int = 0
    seconds: float = 10.0
    density: float = 0.5
    """Audio-visual events (shot + sound) per second."""
    distractor_similarity: float = 0.0
    """Share of clips whose visuals differ only in form and whose sounds differ only in pitch."""
    questions_per_kind: int = 2
    """Questions of each of the three kinds asked about every clip."""
    test_fraction: float = 0.2
    """Share of the videos (with all their questions) held out as the test split."""
    width: int = 64
    height: int = 64
    fps: int = 8

    def __post_init__(self):
        if self.videos < 2:
            raise TimelineError(f"a benchmark needs at least 2 videos (train and test), got {self.videos}")
        if self.slots < MIN_SLOTS:
            raise TimelineError(
                f"{self.seconds:g} s at {self.density:g} events/s gives {self.slots} events; a clip needs at least "
                f"{MIN_SLOTS}: raise --seconds or --density"
            )
        if self.slot_seconds < MIN_SLOT_SECONDS:
            raise TimelineError(
                f"events of {self.slot_seconds:.2f} s are too short (at least {MIN_SLOT_SECONDS:g} s): lower --density"
            )
        if not 0.0 <= self.distractor_similarity <= 1.0:
            raise TimelineError(f"distractor_similarity must lie in [0, 1], got {self.distractor_similarity}")
        if self.questions_per_kind < 1:
            raise TimelineError(f"questions_per_kind must be at least 1, got {self.questions_per_kind}")
        if not 0.0 < self.test_fraction < 1.0:
            raise TimelineError(f"test_fraction must lie in (0, 1), got {self.test_fraction}")

    @property
    def slots(self) -> int:
        return max(math.floor(self.seconds * self.density + 1e-9), 0)

    @property
    def slot_seconds(self) -> float:
        return self.seconds / self.slots

    @property
    def test_videos(self) -> int:
        return min(max(round(self.videos * self.test_fraction), 1), self.videos - 1)

    def to_dict(self) -> dict:
        return asdict(self)

    def fingerprint(self) -> str:
        """A short digest of the settings, for folder names: ``datasets`` caches a local dataset folder by its name
        alone, so two benchmarks must never share a folder name."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:10]

    @classmethod
    def from_dict(cls, data: dict) -> "BenchmarkConfig":
        return cls(**data)
