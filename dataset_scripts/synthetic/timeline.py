"""The ground truth of a synthetic clip: shots that tile the clip, plus sounds that may overlap or leave gaps.

A Timeline answers the questions tests and benchmarks ask of a clip: what is on screen at time t, which
sounds play at t, where the scene cuts and the silences are. It round-trips through JSON.
"""

import bisect
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .audio_events import AudioEvent
from .errors import TimelineError
from .event import Event
from .visual_events import VisualEvent

TIME_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Timeline:
    """``visuals`` must cover [0, duration) back to back; ``sounds`` may overlap and leave silent gaps."""

    duration: float
    visuals: tuple[VisualEvent, ...]
    sounds: tuple[AudioEvent, ...] = ()
    _visual_starts: list[float] = field(init=False, repr=False, compare=False)
    _sound_starts: list[float] = field(init=False, repr=False, compare=False)
    _longest_sound: float = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        visuals = tuple(self.visuals)
        sounds = tuple(sorted(self.sounds, key=lambda sound: (sound.start, sound.end)))
        object.__setattr__(self, "visuals", visuals)
        object.__setattr__(self, "sounds", sounds)
        self._validate()
        object.__setattr__(self, "_visual_starts", [visual.start for visual in visuals])
        object.__setattr__(self, "_sound_starts", [sound.start for sound in sounds])
        object.__setattr__(self, "_longest_sound", max((sound.duration for sound in sounds), default=0.0))

    def _validate(self) -> None:
        if not self.duration > 0:
            raise TimelineError(f"timeline duration must be positive, got {self.duration}")
        if not self.visuals:
            raise TimelineError("a timeline needs at least one visual event")
        for visual in self.visuals:
            if not isinstance(visual, VisualEvent):
                raise TimelineError(f"visuals must be visual events, got {type(visual).__name__}")
        for sound in self.sounds:
            if not isinstance(sound, AudioEvent):
                raise TimelineError(f"sounds must be audio events, got {type(sound).__name__}")
            if sound.end > self.duration + TIME_TOLERANCE:
                raise TimelineError(f"{sound.describe()} ends at {sound.end} s, after the clip ({self.duration} s)")
        expected_start = 0.0
        for visual in self.visuals:
            if abs(visual.start - expected_start) > TIME_TOLERANCE:
                raise TimelineError(
                    f"visual events must tile the clip: {visual.describe()} starts at {visual.start} s, "
                    f"expected {expected_start} s"
                )
            expected_start = visual.end
        if abs(expected_start - self.duration) > TIME_TOLERANCE:
            raise TimelineError(f"the last visual event ends at {expected_start} s, the clip at {self.duration} s")

    def visual_at(self, t: float) -> VisualEvent:
        """The shot on screen at time t (the last shot for t at or after the end)."""
        if t < 0:
            raise ValueError(f"time must be non-negative, got {t}")
        return self.visuals[max(bisect.bisect_right(self._visual_starts, t) - 1, 0)]

    def sounds_at(self, t: float) -> list[AudioEvent]:
        """The sounds playing at time t; an empty list means silence."""
        return [sound for sound in self._candidate_sounds(t, t + TIME_TOLERANCE) if sound.contains(t)]

    def sounds_between(self, start: float, end: float) -> list[AudioEvent]:
        """The sounds that play at some moment of [start, end)."""
        return [sound for sound in self._candidate_sounds(start, end) if sound.overlaps(start, end)]

    def _candidate_sounds(self, start: float, end: float) -> Sequence[AudioEvent]:
        """Sounds that start before ``end`` and recently enough to last past ``start`` (a bisect, not a scan)."""
        first = bisect.bisect_left(self._sound_starts, start - self._longest_sound - TIME_TOLERANCE)
        last = bisect.bisect_left(self._sound_starts, end)
        return self.sounds[first:last]

    def silences(self, min_seconds: float = 0.0) -> list[tuple[float, float]]:
        """Intervals with no sound at all, at least ``min_seconds`` long."""
        gaps, covered_until = [], 0.0
        for sound in self.sounds:
            if sound.start > covered_until:
                gaps.append((covered_until, sound.start))
            covered_until = max(covered_until, sound.end)
        if covered_until < self.duration:
            gaps.append((covered_until, self.duration))
        return [(start, end) for start, end in gaps if end - start >= min_seconds]

    def cut_times(self) -> list[float]:
        """Times of the hard scene cuts: the start of every shot but the first."""
        return self._visual_starts[1:]

    def cut_frame_indices(self, frame_times: Iterable[float]) -> list[int]:
        """For each cut, the index of the first frame presented at or after it (the first frame of the new shot)."""
        times = list(frame_times)
        return [bisect.bisect_left(times, cut - TIME_TOLERANCE) for cut in self.cut_times()]

    def events(self) -> list[Event]:
        """Every visual and audio event, ordered by start time: the clip's ground-truth event list."""
        return sorted([*self.visuals, *self.sounds], key=lambda event: (event.start, event.end))

    def without_sounds(self) -> "Timeline":
        return Timeline(duration=self.duration, visuals=self.visuals)

    def to_dict(self) -> dict:
        return {
            "duration": self.duration,
            "visuals": [visual.to_dict() for visual in self.visuals],
            "sounds": [sound.to_dict() for sound in self.sounds],
            "cut_times": self.cut_times(),
            "silences": [list(gap) for gap in self.silences()],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Timeline":
        """Inverse of ``to_dict``; the derived ``cut_times`` and ``silences`` entries are recomputed, not read."""
        try:
            return cls(
                duration=float(data["duration"]),
                visuals=[VisualEvent.from_dict(item) for item in data["visuals"]],
                sounds=[AudioEvent.from_dict(item) for item in data.get("sounds", [])],
            )
        except (KeyError, TypeError) as error:
            raise TimelineError(f"malformed timeline: missing or wrong entry {error}") from None

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> "Timeline":
        return cls.from_dict(json.loads(text))
