"""How well a model describes held-out clips: per shot, did it name the right picture, the right sound and the
sound's time range? A direct read of perception, beside the multiple-choice accuracy.

The model is asked ``CAPTION_REQUEST`` about each test clip (greedy) and its reply is read clause by clause in
the caption format of ``benchmark_captions``; clause i is compared with shot i. A time range counts when both
ends are within ``TIME_TOLERANCE`` seconds. Clauses that do not parse, and shots left undescribed, count as wrong.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .benchmark_plan import ClipPlan

TIME_TOLERANCE = 0.3
_CLAUSE = re.compile(r"^(\d\d):(\d\d\.\d)-(\d\d):(\d\d\.\d) the (?P<sound>.+?) over the (?P<visual>.+)$")


@dataclass(frozen=True)
class Clause:
    start: float
    end: float
    sound: str
    visual: str


def parse_caption(text: str) -> list[Clause | None]:
    """One entry per ``;``-separated clause; None for a clause not in the caption format."""
    clauses = []
    for part in text.split(";"):
        match = _CLAUSE.match(part.strip().rstrip("."))
        if match is None:
            clauses.append(None)
            continue
        start = 60 * int(match[1]) + float(match[2])
        end = 60 * int(match[3]) + float(match[4])
        clauses.append(Clause(start, end, match["sound"].strip(), match["visual"].strip()))
    return clauses


def score_captions(captions: Sequence[str], plans: Sequence[ClipPlan]) -> dict:
    """Share of shots whose picture, sound and time range the captions got right (and all three together)."""
    hits = {"visual": 0, "sound": 0, "time": 0, "all": 0}
    shots = 0
    for text, plan in zip(captions, plans, strict=True):
        clauses = parse_caption(text)
        for index, slot in enumerate(plan.slots):
            shots += 1
            clause = clauses[index] if index < len(clauses) else None
            if clause is None:
                continue
            right = {
                "visual": clause.visual == slot.visual.label,
                "sound": clause.sound == slot.sound.label,
                "time": abs(clause.start - slot.sound_start) <= TIME_TOLERANCE
                and abs(clause.end - slot.sound_end) <= TIME_TOLERANCE,
            }
            right["all"] = all(right.values())
            for name, ok in right.items():
                hits[name] += ok
    return {"shots": shots, **{name: count / shots if shots else float("nan") for name, count in hits.items()}}


def prior_caption(plans: Sequence[ClipPlan]) -> str:
    """The caption a model that never looks or listens would write after seeing ``plans`` (the training clips):
    per shot position, the median sound times and the most frequent sound and picture. The baseline for
    ``score_captions``: times in this benchmark sit near fixed places, so time ranges alone prove little."""
    import statistics
    from collections import Counter

    from .benchmark_questions import format_range

    clauses = []
    for index in range(min(len(plan.slots) for plan in plans)):
        slots = [plan.slots[index] for plan in plans]
        start = statistics.median(slot.sound_start for slot in slots)
        end = statistics.median(slot.sound_end for slot in slots)
        sound = Counter(slot.sound.label for slot in slots).most_common(1)[0][0]
        visual = Counter(slot.visual.label for slot in slots).most_common(1)[0][0]
        clauses.append(f"{format_range(start, end)} the {sound} over the {visual}")
    return "; ".join(clauses)
