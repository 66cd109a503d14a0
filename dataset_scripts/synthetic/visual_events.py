"""Visual events: what fills the screen during one shot. Consecutive shots meet at a hard scene cut.

Every visual event has a ``background``: the colour that covers most of each of its frames, so the
median pixel of a decoded frame names the event. Shapes and text are drawn on top in another colour.
"""

from dataclasses import dataclass

from .errors import TimelineError
from .event import Event
from .palette import Colour

SHAPES = ("circle", "square", "triangle")


@dataclass(frozen=True, kw_only=True)
class VisualEvent(Event):
    background: Colour

    @property
    def is_static(self) -> bool:
        """Whether every frame of the event is identical (the renderer draws it once)."""
        return True


@dataclass(frozen=True, kw_only=True)
class SolidColour(VisualEvent):
    kind = "solid"

    def describe(self) -> str:
        return f"a plain {self.background.name} screen"


@dataclass(frozen=True, kw_only=True)
class MovingShape(VisualEvent):
    """A filled shape whose centre glides in a straight line from ``start_position`` to ``end_position``.

    Positions are fractions of the frame width and height; ``size`` is the shape's height as a fraction
    of the frame height.
    """

    kind = "shape"
    shape: str
    colour: Colour
    start_position: tuple[float, float]
    end_position: tuple[float, float]
    size: float = 0.35

    def __post_init__(self):
        super().__post_init__()
        if self.shape not in SHAPES:
            raise TimelineError(f"unknown shape {self.shape!r}; expected one of {SHAPES}")
        if self.colour == self.background:
            raise TimelineError(f"shape colour equals its background ({self.colour.name})")
        for position in (self.start_position, self.end_position):
            if len(position) != 2 or not all(0.0 <= p <= 1.0 for p in position):
                raise TimelineError(f"shape positions are (x, y) fractions in [0, 1], got {position}")
        if not 0.05 <= self.size <= 0.6:
            raise TimelineError(f"shape size must lie in [0.05, 0.6] of the frame height, got {self.size}")

    @property
    def is_static(self) -> bool:
        return self.start_position == self.end_position

    def position_at(self, t: float) -> tuple[float, float]:
        """Centre of the shape at time t, as (x, y) fractions of the frame."""
        progress = min(max((t - self.start) / self.duration, 0.0), 1.0)
        (x0, y0), (x1, y1) = self.start_position, self.end_position
        return x0 + (x1 - x0) * progress, y0 + (y1 - y0) * progress

    @property
    def direction(self) -> str:
        dx = self.end_position[0] - self.start_position[0]
        dy = self.end_position[1] - self.start_position[1]
        if dx == dy == 0:
            return "standing still"
        if abs(dx) >= abs(dy):
            return "from left to right" if dx > 0 else "from right to left"
        return "from top to bottom" if dy > 0 else "from bottom to top"

    def describe(self) -> str:
        return f"a {self.colour.name} {self.shape} moving {self.direction} on a {self.background.name} background"


@dataclass(frozen=True, kw_only=True)
class TextCard(VisualEvent):
    kind = "text"
    text: str
    colour: Colour

    def __post_init__(self):
        super().__post_init__()
        if not self.text.strip() or len(self.text) > 12:
            raise TimelineError(f"text card text must be 1 to 12 characters, got {self.text!r}")
        if self.colour == self.background:
            raise TimelineError(f"text colour equals its background ({self.colour.name})")

    def describe(self) -> str:
        return f'the word "{self.text}" in {self.colour.name} letters on a {self.background.name} card'
