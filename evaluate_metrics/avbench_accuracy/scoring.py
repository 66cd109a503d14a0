"""AVBench scoring: accuracy with a Wilson 95% interval, the invalid-answer rate, and breakdowns by question
type and by video duration. The metric, the eval runner and the lmms-eval task all aggregate with this module.

Duration buckets follow Video-MME's published split so that numbers on converted Video-MME data line up with
its own short / medium / long report: ``short`` is under 2 minutes, ``medium`` 2 to 15 minutes, ``long`` 15
minutes or more (Video-MME's medium videos run 4-15 min and its long ones 30-60 min; AVBench's average video is
182 s, so most AVBench questions fall in ``short`` and ``medium``). A question whose duration is unknown is
counted overall but in no bucket.

An answer the extractor refuses counts as wrong, and is also reported as the invalid rate, so that a model
cannot gain by writing unparseable text and a reader can see how much of a score is formatting.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .answer_extraction import LETTERS, extract_answer

Z_95 = 1.959963984540054  # two-sided 95% quantile of the standard normal distribution
DURATION_BUCKETS = (("short", 0.0, 120.0), ("medium", 120.0, 900.0), ("long", 900.0, math.inf))


def duration_bucket(seconds: float | None) -> str | None:
    """The bucket name of a video duration in seconds; None when the duration is unknown."""
    if seconds is None:
        return None
    for name, low, high in DURATION_BUCKETS:
        if low <= seconds < high:
            return name
    raise ValueError(f"duration must be a non-negative number of seconds, got {seconds!r}")


def wilson_interval(correct: int, total: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a proportion: unlike the normal approximation it stays inside [0, 1] and
    keeps sensible width at 0 or 100% accuracy and on small per-type subsets."""
    if total == 0:
        return (0.0, 1.0)
    p = correct / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return (max(0.0, centre - half_width), min(1.0, centre + half_width))


def summarize(correct: Sequence[bool], invalid: Sequence[bool]) -> dict[str, Any]:
    """Accuracy, its interval and the invalid rate of one group of questions."""
    total = len(correct)
    hits = sum(correct)
    low, high = wilson_interval(hits, total)
    return {
        "accuracy": hits / total if total else None,
        "accuracy_ci95": [low, high],
        "num_questions": total,
        "num_correct": hits,
        "invalid_rate": sum(invalid) / total if total else None,
    }


def score_answers(
    predictions: Sequence[str],
    references: Sequence[str],
    options: Sequence[Sequence[str] | None] | None = None,
    question_types: Sequence[str] | None = None,
    durations: Sequence[float | None] | None = None,
) -> dict[str, Any]:
    """Score free-form model outputs against reference letters.

    ``options`` (the option texts of each question) lets the extractor match an answer written as option text
    and bounds the letters to the number of options. ``question_types`` and ``durations`` add the
    ``per_question_type`` and ``per_duration`` breakdowns.
    """
    count = len(predictions)
    for name, values in (("references", references), ("options", options), ("question_types", question_types)):
        if values is not None and len(values) != count:
            raise ValueError(f"{name} has {len(values)} entries for {count} predictions")
    if durations is not None and len(durations) != count:
        raise ValueError(f"durations has {len(durations)} entries for {count} predictions")
    letters = [_reference_letter(reference, index) for index, reference in enumerate(references)]

    extracted = [
        extract_answer(prediction, options[index] if options is not None else None).letter
        for index, prediction in enumerate(predictions)
    ]
    correct = [letter == reference for letter, reference in zip(extracted, letters)]
    invalid = [letter is None for letter in extracted]

    result = summarize(correct, invalid)
    if question_types is not None:
        result["per_question_type"] = _grouped(question_types, correct, invalid)
    if durations is not None:
        buckets = [duration_bucket(seconds) for seconds in durations]
        grouped = _grouped(buckets, correct, invalid)
        result["per_duration"] = {name: grouped.get(name, summarize([], [])) for name, _, _ in DURATION_BUCKETS}
    return result


def _reference_letter(reference: object, index: int) -> str:
    if not isinstance(reference, str) or reference.strip().upper() not in LETTERS:
        raise ValueError(f"reference {index} must be a letter among {LETTERS}, got {reference!r}")
    return reference.strip().upper()


def _grouped(keys: Sequence[str | None], correct: Sequence[bool], invalid: Sequence[bool]) -> dict[str, Any]:
    groups: dict[str, tuple[list[bool], list[bool]]] = {}
    for key, hit, bad in zip(keys, correct, invalid):
        if key is not None:
            group = groups.setdefault(key, ([], []))
            group[0].append(hit)
            group[1].append(bad)
    return {key: summarize(hits, bads) for key, (hits, bads) in sorted(groups.items())}
