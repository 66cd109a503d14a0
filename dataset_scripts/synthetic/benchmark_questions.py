"""The three kinds of question of the paper, each built so that it needs both senses (and, for two, the time).

- ``no_timestamp`` (audio + visual): "What was on screen when the rising chirp played?" The sound occurs once in
  the clip; the options are four visuals of the clip.
- ``timestamp_in_question`` (audio + visual + time): "Which sound played over the red square that was on screen
  nearest to 00:05.0?" The visual is shown several times with different sounds; the named time lies in another
  shot, so neither the time alone (it points at a different sound) nor the visual alone answers it.
- ``choose_time_range`` (audio + visual + time): "When did the buzz play over the blue screen?" The sound plays
  several times over different visuals; the options are time ranges of real sounds of the clip, among them the
  other times the same sound played.

Options are always real events of the same clip, so the question text says nothing about the answer. Each
question keeps its structured query (``sound``, ``visual``, ``time``) so that tests can recompute the answer
from the rendered timeline.
"""

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..avbench_records import CHOOSE_TIME_RANGE, NO_TIMESTAMP, TIMESTAMP_IN_QUESTION
from .benchmark_plan import ClipPlan, Slot

NEEDS = {
    NO_TIMESTAMP: "audio+visual",
    TIMESTAMP_IN_QUESTION: "audio+visual+time",
    CHOOSE_TIME_RANGE: "audio+visual+time",
}
"""What each kind needs to be answered; stored as the record's ``category`` for the analysis."""
NUM_OPTIONS = 4


@dataclass(frozen=True)
class Question:
    kind: str
    text: str
    answer: str
    """The text of the correct option."""
    distractors: tuple[str, ...]
    sound: str | None = None
    visual: str | None = None
    time: float | None = None

    @property
    def needs(self) -> str:
        return NEEDS[self.kind]


def format_time(seconds: float, hours: bool = False) -> str:
    """``00:05.0`` (or ``00:00:05.0`` with ``hours``): a clock form the processor reads as a query time."""
    tenths = round(seconds * 10)
    minutes, tenths = divmod(tenths, 600)
    text = f"{minutes % 60:02d}:{tenths // 10:02d}.{tenths % 10}"
    return f"{minutes // 60:02d}:{text}" if hours else text


def format_range(start: float, end: float, hours: bool = False) -> str:
    return f"{format_time(start, hours)}-{format_time(end, hours)}"


def _counts(slots: tuple[Slot, ...] | list[Slot]) -> tuple[Counter, Counter]:
    return Counter(slot.visual for slot in slots), Counter(slot.sound for slot in slots)


def sight_for_sound(slots) -> list[tuple[Slot]]:
    """Targets of ``no_timestamp``: slots whose sound occurs nowhere else in the clip."""
    _, sounds = _counts(slots)
    return [(slot,) for slot in slots if sounds[slot.sound] == 1]


def sound_near_time(slots) -> list[tuple[Slot, Slot]]:
    """Targets of ``timestamp_in_question``: (target slot, reference slot) pairs.

    The target's visual recurs with other sounds; the reference slot shows another visual with another sound,
    and the target is strictly the nearest showing of its visual to the reference.
    """
    pairs = []
    for target in slots:
        showings = [slot for slot in slots if slot.visual == target.visual]
        others = [slot for slot in showings if slot is not target]
        if not others or any(slot.sound == target.sound for slot in others):
            continue
        for reference in slots:
            if reference.visual == target.visual or reference.sound == target.sound:
                continue
            distance = abs(reference.index - target.index)
            if all(abs(reference.index - slot.index) > distance for slot in others):
                pairs.append((target, reference))
    return pairs


def range_for_pair(slots) -> list[tuple[Slot]]:
    """Targets of ``choose_time_range``: slots whose sound recurs, but never again over the same visual."""
    _, sounds = _counts(slots)
    pairs = Counter((slot.sound, slot.visual) for slot in slots)
    return [(slot,) for slot in slots if sounds[slot.sound] > 1 and pairs[slot.sound, slot.visual] == 1]


TARGETS = {NO_TIMESTAMP: sight_for_sound, TIMESTAMP_IN_QUESTION: sound_near_time, CHOOSE_TIME_RANGE: range_for_pair}


def can_ask(slots, per_kind: int) -> bool:
    """Whether ``per_kind`` questions of every kind fit the slots (the plan's acceptance test)."""
    return all(len(find(slots)) >= per_kind for find in TARGETS.values())


def ask_questions(plan: ClipPlan, per_kind: int, rng: np.random.Generator) -> list[Question]:
    """``per_kind`` questions of each kind about one clip, targets drawn at random without repeats."""
    hours = plan.timeline.duration >= 3600
    questions = []
    for kind, find in TARGETS.items():
        targets = find(plan.slots)
        for choice in rng.choice(len(targets), size=per_kind, replace=False):
            questions.append(_BUILDERS[kind](plan.slots, *targets[choice], rng=rng, hours=hours))
    return questions


def _pick(groups: list[list[str]], answer: str, rng: np.random.Generator) -> tuple[str, ...]:
    """Three distractors, taken group by group (near misses first, in random order within a group); never the
    answer, no repeats."""
    chosen: list[str] = []
    for group in groups:
        pool = [text for text in dict.fromkeys(group) if text != answer and text not in chosen]
        for i in rng.permutation(len(pool)):
            if len(chosen) < NUM_OPTIONS - 1:
                chosen.append(pool[i])
    if len(chosen) < NUM_OPTIONS - 1:
        raise ValueError(f"only {len(chosen)} distractors for {answer!r}: the clip has too few different events")
    return tuple(chosen)


def _sight_question(slots, target: Slot, rng, hours: bool) -> Question:
    answer = target.visual.label
    distractors = _pick([[slot.visual.label for slot in slots]], answer, rng)
    text = f"What was on screen when the {target.sound.label} played?"
    return Question(NO_TIMESTAMP, text, answer, distractors, sound=target.sound.label)


def _sound_question(slots, target: Slot, reference: Slot, rng, hours: bool) -> Question:
    answer = target.sound.label
    other_showings = [slot.sound.label for slot in slots if slot.visual == target.visual]
    everything = [slot.sound.label for slot in slots]
    distractors = _pick([other_showings, [reference.sound.label], everything], answer, rng)
    time = reference.centre
    text = (
        f"Which sound played over the {target.visual.label} that was on screen nearest to {format_time(time, hours)}?"
    )
    return Question(TIMESTAMP_IN_QUESTION, text, answer, distractors, visual=target.visual.label, time=time)


def _range_question(slots, target: Slot, rng, hours: bool) -> Question:
    def interval(slot: Slot) -> str:
        return format_range(slot.sound_start, slot.sound_end, hours)

    answer = interval(target)
    same_sound = [interval(slot) for slot in slots if slot.sound == target.sound]
    same_visual = [interval(slot) for slot in slots if slot.visual == target.visual]
    distractors = _pick([same_sound, same_visual, [interval(slot) for slot in slots]], answer, rng)
    text = f"When did the {target.sound.label} play over the {target.visual.label}?"
    return Question(CHOOSE_TIME_RANGE, text, answer, distractors, sound=target.sound.label, visual=target.visual.label)


_BUILDERS = {NO_TIMESTAMP: _sight_question, TIMESTAMP_IN_QUESTION: _sound_question, CHOOSE_TIME_RANGE: _range_question}
