"""The things a benchmark question can name: on-screen visuals and sounds, each with one short, unique label.

A label is a function of the rendered event (:func:`visual_label`, :func:`sound_label`), never stored beside it,
so an answer can be recomputed from a clip's ground-truth timeline alone. Two catalogues per sense set the
difficulty: *distinct* items differ in everything (colour and form; sound family), *similar* items differ in one
attribute only (the form of one colour; the pitch of one pure tone), which makes every distractor a near miss.

Only saturated palette colours are ever named. Shapes are drawn on an unnamed neutral background (black, white
or gray), so "red square" and "red screen" never describe the same picture.
"""

from dataclasses import dataclass

import numpy as np

from .audio_events import AudioEvent, Chirp, Clicks, NoiseBurst, Tone
from .palette import Colour, colour_named
from .visual_events import SHAPES, MovingShape, SolidColour, VisualEvent

NAMED_COLOURS = tuple(
    colour_named(name) for name in ("red", "green", "blue", "yellow", "cyan", "magenta", "orange", "purple")
)
NEUTRAL_BACKGROUNDS = tuple(colour_named(name) for name in ("black", "white", "gray"))
FORMS = ("screen", *SHAPES)
"""A visual's form: a plain screen of its colour, or one of the moving shapes."""
SOUND_GAIN = 0.35


@dataclass(frozen=True)
class VisualItem:
    colour: Colour
    form: str

    @property
    def label(self) -> str:
        return f"{self.colour.name} {self.form}"

    def event(self, start: float, end: float, rng: np.random.Generator) -> VisualEvent:
        """The shot; a shape glides across a random neutral background along a random axis (not part of the label)."""
        if self.form == "screen":
            return SolidColour(start=start, end=end, background=self.colour)
        background = NEUTRAL_BACKGROUNDS[rng.integers(len(NEUTRAL_BACKGROUNDS))]
        across = float(rng.uniform(0.35, 0.65))
        path = [((0.25, across), (0.75, across)), ((across, 0.25), (across, 0.75))][rng.integers(2)]
        if rng.random() < 0.5:
            path = path[::-1]
        return MovingShape(
            start=start,
            end=end,
            background=background,
            shape=self.form,
            colour=self.colour,
            start_position=path[0],
            end_position=path[1],
        )


@dataclass(frozen=True)
class SoundItem:
    label: str
    key: tuple
    """What identifies the sound in a rendered event; see :func:`sound_key`."""

    def event(self, start: float, end: float) -> AudioEvent:
        kind, *values = self.key
        common = {"start": start, "end": end, "gain": SOUND_GAIN}
        if kind == "tone":
            return Tone(**common, frequency=values[0], timbre=values[1])
        if kind == "chirp":
            return Chirp(**common, start_frequency=values[0], end_frequency=values[1])
        if kind == "clicks":
            return Clicks(**common, rate=values[0])
        return NoiseBurst(**common, seed=round(start * 1000))


DISTINCT_SOUNDS = (
    SoundItem("low hum", ("tone", 220.0, "harmonic")),
    SoundItem("buzz", ("tone", 440.0, "square")),
    SoundItem("high beep", ("tone", 1760.0, "sine")),
    SoundItem("whistle", ("tone", 3520.0, "sine")),
    SoundItem("rising chirp", ("chirp", 300.0, 2400.0)),
    SoundItem("falling chirp", ("chirp", 2400.0, 300.0)),
    SoundItem("noise burst", ("noise",)),
    SoundItem("slow clicks", ("clicks", 3.0)),
    SoundItem("fast clicks", ("clicks", 8.0)),
)
SIMILAR_SOUNDS = tuple(
    SoundItem(f"{frequency:g} Hz tone", ("tone", frequency, "sine"))
    for frequency in (300.0, 450.0, 675.0, 1000.0, 1500.0, 2250.0, 3375.0)
)
"""Pure tones a fifth apart: the same family, told apart by pitch alone."""
_SOUND_LABELS = {item.key: item.label for item in DISTINCT_SOUNDS + SIMILAR_SOUNDS}


def distinct_visuals(count: int, rng: np.random.Generator) -> list[VisualItem]:
    """``count`` visuals of different colours, each with a random form: colour alone tells them apart."""
    colours = rng.choice(len(NAMED_COLOURS), size=count, replace=False)
    return [VisualItem(NAMED_COLOURS[i], FORMS[rng.integers(len(FORMS))]) for i in colours]


def similar_visuals(count: int, rng: np.random.Generator) -> list[VisualItem]:
    """``count`` visuals of one colour in different forms: only the form tells them apart."""
    colour = NAMED_COLOURS[rng.integers(len(NAMED_COLOURS))]
    return [VisualItem(colour, FORMS[i]) for i in rng.choice(len(FORMS), size=count, replace=False)]


def max_distinct(similar: bool) -> tuple[int, int]:
    """How many different visual and sound labels one clip can hold with the chosen catalogue."""
    return (len(FORMS), len(SIMILAR_SOUNDS)) if similar else (len(NAMED_COLOURS), len(DISTINCT_SOUNDS))


def sound_catalogue(similar: bool) -> tuple[SoundItem, ...]:
    return SIMILAR_SOUNDS if similar else DISTINCT_SOUNDS


def visual_label(event: VisualEvent) -> str:
    """The label of a rendered shot, read from its fields (a text card has none: the benchmark draws none)."""
    if isinstance(event, SolidColour):
        return f"{event.background.name} screen"
    if isinstance(event, MovingShape):
        return f"{event.colour.name} {event.shape}"
    raise ValueError(f"the benchmark names no {type(event).__name__} shots")


def sound_key(event: AudioEvent) -> tuple:
    if isinstance(event, Tone):
        return ("tone", event.frequency, event.timbre)
    if isinstance(event, Chirp):
        return ("chirp", event.start_frequency, event.end_frequency)
    if isinstance(event, Clicks):
        return ("clicks", event.rate)
    if isinstance(event, NoiseBurst):
        return ("noise",)
    raise ValueError(f"the benchmark names no {type(event).__name__} sounds")


def sound_label(event: AudioEvent) -> str:
    """The label of a rendered sound, looked up from what it sounds like (its kind, pitch, rate)."""
    key = sound_key(event)
    if key not in _SOUND_LABELS:
        raise ValueError(f"{event.describe()} is in no benchmark catalogue")
    return _SOUND_LABELS[key]
