"""One benchmark clip: equal slots, each one shot with one sound well inside it, plus the timeline that renders them.

A sound starts and ends at least a tenth of a slot inside its shot, so the shot is on screen for the whole sound
and a question can pair them without ambiguity. Labels repeat on purpose: one clip holds several visuals that
recur with different sounds and sounds that recur over different visuals, which is what makes time and the other
sense necessary to answer. Plans are drawn by seeded rejection until every kind of question can be asked.
"""

from dataclasses import dataclass

import numpy as np

from .benchmark_catalogue import (
    SoundItem,
    VisualItem,
    distinct_visuals,
    max_distinct,
    similar_visuals,
    sound_catalogue,
)
from .benchmark_config import TIME_GRID, BenchmarkConfig
from .errors import TimelineError
from .timeline import Timeline

MAX_TRIES = 200
SOUND_MARGIN = (0.1, 0.25)
"""Silence before and after each sound inside its slot, as a fraction of the slot (drawn per sound)."""


@dataclass(frozen=True)
class Slot:
    index: int
    start: float
    end: float
    visual: VisualItem
    sound: SoundItem
    sound_start: float
    sound_end: float

    @property
    def centre(self) -> float:
        return on_grid(0.5 * (self.start + self.end))


@dataclass(frozen=True)
class ClipPlan:
    video_id: str
    slots: tuple[Slot, ...]
    timeline: Timeline
    similar: bool


def on_grid(seconds: float) -> float:
    return round(round(seconds / TIME_GRID) * TIME_GRID, 6)


def clip_rng(config: BenchmarkConfig, index: int, purpose: str) -> np.random.Generator:
    """An independent, reproducible stream per clip and purpose (plan, questions, ...)."""
    return np.random.default_rng([config.seed, index, sum(map(ord, purpose))])


def plan_clip(config: BenchmarkConfig, index: int, usable) -> ClipPlan:
    """The clip ``index`` of the benchmark; ``usable(slots)`` says whether every kind of question can be asked."""
    rng = clip_rng(config, index, "plan")
    similar = bool(rng.random() < config.distractor_similarity)
    for _ in range(MAX_TRIES):
        slots = _draw_slots(config, rng, similar)
        if _cuts_visible(slots) and usable(slots):
            timeline = Timeline(
                duration=float(config.seconds),
                visuals=[slot.visual.event(slot.start, slot.end, rng) for slot in slots],
                sounds=[slot.sound.event(slot.sound_start, slot.sound_end) for slot in slots],
            )
            return ClipPlan(f"synth-{index:05d}", tuple(slots), timeline, similar)
    raise TimelineError(f"no usable plan for clip {index} in {MAX_TRIES} tries: lower --questions-per-kind")


def _draw_slots(config: BenchmarkConfig, rng: np.random.Generator, similar: bool) -> list[Slot]:
    count = config.slots
    visual_kinds, sound_kinds = max_distinct(similar)
    visual_count = min(count - 1, visual_kinds)
    visuals = (similar_visuals if similar else distinct_visuals)(visual_count, rng)
    catalogue = sound_catalogue(similar)
    sounds = [catalogue[i] for i in rng.choice(len(catalogue), size=min(count - 1, sound_kinds), replace=False)]
    visual_order = _cover(visuals, count, rng, keep_first_unique=False)
    sound_order = _cover(sounds, count, rng, keep_first_unique=True)
    bounds = [on_grid(i * config.slot_seconds) for i in range(count)] + [float(config.seconds)]
    slots = []
    for i in range(count):
        start, end = bounds[i], bounds[i + 1]
        low, high = (on_grid(fraction * (end - start)) for fraction in SOUND_MARGIN)
        lead, tail = (on_grid(rng.uniform(low, high)) for _ in range(2))
        sound_start, sound_end = on_grid(start + max(lead, TIME_GRID)), on_grid(end - max(tail, TIME_GRID))
        slots.append(Slot(i, start, end, visual_order[i], sound_order[i], sound_start, sound_end))
    return slots


def _cover(items: list, count: int, rng: np.random.Generator, keep_first_unique: bool) -> list:
    """``count`` items in random order using each of ``items`` at least once; the rest repeat random items (never
    the first when ``keep_first_unique``, so that one item surely occurs once)."""
    pool = items[1:] if keep_first_unique and len(items) > 1 else items
    order = list(items) + [pool[i] for i in rng.integers(len(pool), size=count - len(items))]
    return [order[i] for i in rng.permutation(count)]


def _cuts_visible(slots: list[Slot]) -> bool:
    """Two neighbouring slots never show the same visual, so every slot is a shot of its own."""
    return all(a.visual != b.visual for a, b in zip(slots, slots[1:]))
