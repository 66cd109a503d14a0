"""What every timeline event is: a half-open time span [start, end) in seconds with a JSON form.

Concrete kinds live in visual_events.py and audio_events.py; each declares a unique ``kind`` string,
which is what the JSON stores, so a timeline file round-trips to the same typed objects.
"""

import math
from dataclasses import dataclass, fields
from typing import ClassVar

from .errors import TimelineError
from .palette import Colour


@dataclass(frozen=True, kw_only=True)
class Event:
    kind: ClassVar[str] = ""
    start: float
    end: float

    def __post_init__(self):
        if not (math.isfinite(self.start) and math.isfinite(self.end)):
            raise TimelineError(f"{self.kind} event has a non-finite time: start={self.start}, end={self.end}")
        if self.start < 0 or self.end <= self.start:
            raise TimelineError(f"{self.kind} event needs 0 <= start < end, got start={self.start}, end={self.end}")

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def midpoint(self) -> float:
        return 0.5 * (self.start + self.end)

    def contains(self, t: float) -> bool:
        return self.start <= t < self.end

    def overlaps(self, start: float, end: float) -> bool:
        return self.start < end and start < self.end

    def describe(self) -> str:
        """A short English phrase for captions and benchmark questions."""
        raise NotImplementedError

    def to_dict(self) -> dict:
        data = {"kind": self.kind}
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, Colour):
                value = value.to_dict()
            elif isinstance(value, tuple):
                value = list(value)
            data[field.name] = value
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Event":
        """Rebuild the concrete event named by ``data["kind"]`` among the subclasses of ``cls``."""
        kinds = _concrete_kinds(cls)
        kind = data.get("kind")
        if kind not in kinds:
            raise TimelineError(f"unknown {cls.__name__} kind {kind!r}; expected one of {sorted(kinds)}")
        event_type = kinds[kind]
        known = {field.name for field in fields(event_type)}
        unknown = set(data) - known - {"kind"}
        if unknown:
            raise TimelineError(f"{kind} event has unknown fields {sorted(unknown)}")
        values = {}
        for name, value in data.items():
            if name == "kind":
                continue
            if isinstance(value, dict):
                value = Colour.from_dict(value)
            elif isinstance(value, list):
                value = tuple(value)
            values[name] = value
        try:
            return event_type(**values)
        except TypeError as error:
            raise TimelineError(f"{kind} event: {error}") from None


def _concrete_kinds(base: type) -> dict[str, type]:
    kinds = {}
    pending = [base]
    while pending:
        current = pending.pop()
        if current.kind:
            kinds[current.kind] = current
        pending.extend(current.__subclasses__())
    return kinds
