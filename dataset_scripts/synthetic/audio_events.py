"""Audio events: sounds with a known spectrum, so a test can check them with an FFT after decoding.

Pitched sounds keep every partial below ``MAX_FREQUENCY``, so they pass resampling to 16 kHz (the rate the
audio encoder uses) intact; noise and clicks are broadband by nature. Sounds may overlap; where none
plays, the track is digital silence.
"""

import math
from dataclasses import dataclass

from .errors import TimelineError
from .event import Event

MAX_FREQUENCY = 7000.0
MIN_FREQUENCY = 50.0
TIMBRES = ("sine", "square", "harmonic")


def _check_frequency(name: str, value: float) -> None:
    if not MIN_FREQUENCY <= value <= MAX_FREQUENCY:
        raise TimelineError(f"{name} must lie in [{MIN_FREQUENCY:g}, {MAX_FREQUENCY:g}] Hz, got {value}")


@dataclass(frozen=True, kw_only=True)
class AudioEvent(Event):
    gain: float = 0.3
    """Peak amplitude (full scale = 1); overlapping sounds add up, so keep their sum below 1."""

    def __post_init__(self):
        super().__post_init__()
        if not 0.0 < self.gain <= 1.0:
            raise TimelineError(f"{self.kind} gain must lie in (0, 1], got {self.gain}")


@dataclass(frozen=True, kw_only=True)
class Tone(AudioEvent):
    """A steady pitch. Timbres: ``sine`` (fundamental only), ``square`` (odd harmonics at 1/k),
    ``harmonic`` (harmonics 1-4 at 1/k). The fundamental is always the strongest partial."""

    kind = "tone"
    frequency: float
    timbre: str = "sine"

    def __post_init__(self):
        super().__post_init__()
        _check_frequency("tone frequency", self.frequency)
        if self.timbre not in TIMBRES:
            raise TimelineError(f"unknown timbre {self.timbre!r}; expected one of {TIMBRES}")

    def describe(self) -> str:
        return f"a {self.timbre} tone at {self.frequency:g} Hz"


@dataclass(frozen=True, kw_only=True)
class Chirp(AudioEvent):
    """A sine whose pitch glides exponentially (evenly in musical terms) between two frequencies."""

    kind = "chirp"
    start_frequency: float
    end_frequency: float

    def __post_init__(self):
        super().__post_init__()
        _check_frequency("chirp start frequency", self.start_frequency)
        _check_frequency("chirp end frequency", self.end_frequency)
        if self.start_frequency == self.end_frequency:
            raise TimelineError("a chirp needs different start and end frequencies (use a tone)")

    @property
    def direction(self) -> str:
        return "rising" if self.end_frequency > self.start_frequency else "falling"

    def frequency_at(self, t: float) -> float:
        progress = min(max((t - self.start) / self.duration, 0.0), 1.0)
        return self.start_frequency * (self.end_frequency / self.start_frequency) ** progress

    def phase_at(self, elapsed):
        """Phase in radians after ``elapsed`` seconds (scalar or array): the integral of 2*pi*frequency."""
        ratio = self.end_frequency / self.start_frequency
        rate = math.log(ratio) / self.duration
        return 2 * math.pi * self.start_frequency * (ratio ** (elapsed / self.duration) - 1.0) / rate

    def describe(self) -> str:
        return f"a {self.direction} chirp from {self.start_frequency:g} to {self.end_frequency:g} Hz"


@dataclass(frozen=True, kw_only=True)
class NoiseBurst(AudioEvent):
    """White noise (flat spectrum up to the renderer's band limit); ``seed`` fixes the exact samples."""

    kind = "noise"
    seed: int = 0

    def describe(self) -> str:
        return "a burst of white noise"


@dataclass(frozen=True, kw_only=True)
class Clicks(AudioEvent):
    """Short percussive ticks, ``rate`` per second, the first at ``start``."""

    kind = "clicks"
    rate: float = 4.0

    def __post_init__(self):
        super().__post_init__()
        if not 0.5 <= self.rate <= 50.0:
            raise TimelineError(f"click rate must lie in [0.5, 50] per second, got {self.rate}")

    def describe(self) -> str:
        return f"clicks at {self.rate:g} per second"
