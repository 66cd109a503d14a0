"""Seeded random timelines: the same (seconds, seed, config) always gives the same events.

Choices keep every event recognisable after decoding: consecutive shots never share a background
(so every cut is visible), foreground colours contrast with their background, at most two sounds overlap
(so their sum never clips), each of two overlapping sounds is also heard alone for at least
``min_sound_seconds`` (so it can still be identified), and silent gaps separate the sounds.
"""

from dataclasses import dataclass, field

import numpy as np

from .audio_events import AudioEvent, Chirp, Clicks, NoiseBurst, Tone
from .errors import TimelineError
from .palette import PALETTE, Colour
from .timeline import Timeline
from .visual_events import SHAPES, MovingShape, SolidColour, TextCard, VisualEvent

TONE_FREQUENCIES = (220.0, 330.0, 440.0, 550.0, 660.0, 880.0, 1100.0, 1320.0, 1760.0, 2200.0, 2640.0, 3520.0)
RICH_TIMBRE_MAX_FREQUENCY = 1760.0
"""Square and harmonic tones stay at or below this so that their third partial is still audible at 16 kHz."""
CHIRP_LOW_FREQUENCIES = (250.0, 300.0, 400.0)
CHIRP_HIGH_FREQUENCIES = (1600.0, 2400.0, 3200.0)
CLICK_RATES = (3.0, 5.0, 8.0)
WORDS = ("CAT", "DOG", "SUN", "TREE", "BOAT", "STAR", "FISH", "BIRD", "MOON", "CAR", "KEY", "BOX")
MIN_FOREGROUND_DISTANCE = 150.0


@dataclass(frozen=True)
class RandomTimelineConfig:
    """Knobs of the random builder. Durations are in seconds; every event boundary lies on ``time_grid``."""

    mean_shot_seconds: float = 2.0
    min_shot_seconds: float = 0.6
    shot_kind_weights: dict[str, float] = field(default_factory=lambda: {"solid": 1.0, "shape": 1.0, "text": 1.0})
    mean_sound_seconds: float = 0.8
    min_sound_seconds: float = 0.3
    mean_silence_seconds: float = 0.6
    overlap_probability: float = 0.2
    sound_kind_weights: dict[str, float] = field(
        default_factory=lambda: {"tone": 3.0, "chirp": 1.0, "noise": 1.0, "clicks": 1.0}
    )
    sound_gain: float = 0.35
    time_grid: float = 0.05

    def __post_init__(self):
        if not 0 < self.min_shot_seconds <= self.mean_shot_seconds:
            raise TimelineError("need 0 < min_shot_seconds <= mean_shot_seconds")
        if not 0 < self.min_sound_seconds <= self.mean_sound_seconds:
            raise TimelineError("need 0 < min_sound_seconds <= mean_sound_seconds")
        if self.mean_silence_seconds <= 0 or self.time_grid <= 0:
            raise TimelineError("mean_silence_seconds and time_grid must be positive")
        if not 0 <= self.overlap_probability <= 1 or not 0 < self.sound_gain <= 0.5:
            raise TimelineError("need overlap_probability in [0, 1] and sound_gain in (0, 0.5] (two may overlap)")
        for name, weights, known in (
            ("shot_kind_weights", self.shot_kind_weights, {"solid", "shape", "text"}),
            ("sound_kind_weights", self.sound_kind_weights, {"tone", "chirp", "noise", "clicks"}),
        ):
            if not set(weights) <= known or sum(weights.values()) <= 0 or min(weights.values()) < 0:
                raise TimelineError(f"{name} needs non-negative weights over {sorted(known)}, got {weights}")


def random_timeline(seconds: float, seed: int, config: RandomTimelineConfig | None = None) -> Timeline:
    """A reproducible timeline of ``seconds`` seconds of shots and sounds.

    Shots and sounds draw from independent streams, so changing a visual knob leaves the sounds unchanged.
    """
    config = config or RandomTimelineConfig()
    if not seconds > 0:
        raise TimelineError(f"clip length must be positive, got {seconds}")
    visual_seed, sound_seed = np.random.SeedSequence(seed).spawn(2)
    shots = _Builder(np.random.default_rng(visual_seed), config).shots(seconds)
    sounds = _Builder(np.random.default_rng(sound_seed), config).sounds(seconds)
    return Timeline(duration=float(seconds), visuals=shots, sounds=sounds)


class _Builder:
    def __init__(self, rng: np.random.Generator, config: RandomTimelineConfig):
        self.rng = rng
        self.config = config

    def _on_grid(self, seconds: float) -> float:
        return round(round(seconds / self.config.time_grid) * self.config.time_grid, 6)

    def _length(self, mean: float, minimum: float) -> float:
        return max(self._on_grid(minimum + self.rng.exponential(mean - minimum)), self._on_grid(minimum))

    def _pick(self, weights: dict[str, float]) -> str:
        names = sorted(weights)
        probabilities = np.array([weights[name] for name in names], dtype=np.float64)
        return names[self.rng.choice(len(names), p=probabilities / probabilities.sum())]

    def _colour(self, unlike: Colour | None = None, min_distance: float = 1.0) -> Colour:
        choices = [
            colour
            for colour in PALETTE
            if unlike is None or np.linalg.norm(np.subtract(colour.rgb, unlike.rgb)) >= min_distance
        ]
        return choices[self.rng.integers(len(choices))]

    def shots(self, seconds: float) -> list[VisualEvent]:
        config, shots, start, background = self.config, [], 0.0, None
        while start < seconds:
            length = self._length(config.mean_shot_seconds, config.min_shot_seconds)
            end = min(self._on_grid(start + length), seconds)
            if seconds - end < config.min_shot_seconds:
                end = float(seconds)
            background = self._colour(unlike=background)
            shots.append(self._shot(self._pick(config.shot_kind_weights), start, end, background))
            start = end
        return shots

    def _shot(self, kind: str, start: float, end: float, background: Colour) -> VisualEvent:
        if kind == "solid":
            return SolidColour(start=start, end=end, background=background)
        foreground = self._colour(unlike=background, min_distance=MIN_FOREGROUND_DISTANCE)
        if kind == "text":
            text = WORDS[self.rng.integers(len(WORDS))]
            return TextCard(start=start, end=end, background=background, text=text, colour=foreground)
        across = float(self.rng.uniform(0.3, 0.7))
        near, far = 0.2, 0.8
        start_position, end_position = [
            ((near, across), (far, across)),
            ((far, across), (near, across)),
            ((across, near), (across, far)),
            ((across, far), (across, near)),
        ][self.rng.integers(4)]
        shape = SHAPES[self.rng.integers(len(SHAPES))]
        return MovingShape(
            start=start,
            end=end,
            background=background,
            shape=shape,
            colour=foreground,
            start_position=start_position,
            end_position=end_position,
        )

    def sounds(self, seconds: float) -> list[AudioEvent]:
        config, sounds = self.config, []
        start = self._on_grid(self.rng.exponential(config.mean_silence_seconds))
        while start + config.min_sound_seconds <= seconds:
            length = self._length(config.mean_sound_seconds, config.min_sound_seconds)
            end = min(self._on_grid(start + length), seconds)
            first = self._sound(self._pick(config.sound_kind_weights), start, end)
            sounds.append(first)
            latest_end = end
            if self.rng.random() < config.overlap_probability and end - start >= 2 * config.min_sound_seconds:
                second_start = self._on_grid(start + self.rng.uniform(0.5, 0.75) * (end - start))
                second_length = self._length(config.mean_sound_seconds, config.min_sound_seconds)
                second_end = self._on_grid(max(second_start + second_length, end + config.min_sound_seconds))
                if second_end <= seconds:
                    sounds.append(self._sound(self._pick(config.sound_kind_weights), second_start, second_end, first))
                    latest_end = second_end
            gap = max(self._on_grid(self.rng.exponential(config.mean_silence_seconds)), config.time_grid)
            start = self._on_grid(latest_end + gap)
        return sounds

    def _sound(self, kind: str, start: float, end: float, overlapped: AudioEvent | None = None) -> AudioEvent:
        common = {"start": start, "end": end, "gain": self.config.sound_gain}
        if kind == "noise":
            return NoiseBurst(**common, seed=int(self.rng.integers(2**31)))
        if kind == "clicks":
            return Clicks(**common, rate=CLICK_RATES[self.rng.integers(len(CLICK_RATES))])
        if kind == "chirp":
            low = CHIRP_LOW_FREQUENCIES[self.rng.integers(len(CHIRP_LOW_FREQUENCIES))]
            high = CHIRP_HIGH_FREQUENCIES[self.rng.integers(len(CHIRP_HIGH_FREQUENCIES))]
            low, high = (low, high) if self.rng.random() < 0.5 else (high, low)
            return Chirp(**common, start_frequency=low, end_frequency=high)
        timbre = ("sine", "square", "harmonic")[self.rng.integers(3)]
        choices = [
            frequency
            for frequency in TONE_FREQUENCIES
            if (timbre == "sine" or frequency <= RICH_TIMBRE_MAX_FREQUENCY)
            and not (isinstance(overlapped, Tone) and frequency == overlapped.frequency)
        ]
        return Tone(**common, frequency=choices[self.rng.integers(len(choices))], timbre=timbre)
