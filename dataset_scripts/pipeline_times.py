"""Times as the dataset writes them: ``00:03:57.480``, "At 00:03:57.480", "From 00:05:53.160 to 00:08:07.200".

Captions, questions and time-range options all use one clock format so that a model sees the same notation in
what it reads and in what it is asked, and so that the checks can find every time a question mentions.
"""

from __future__ import annotations

import re

_CLOCK = re.compile(r"(?<![\d:.])(\d{1,3}):([0-5]\d)(?::([0-5]\d))?(?:[.,](\d{1,3}))?(?![\d:])")
_AMOUNT = re.compile(r"\b\d+(?:\.\d+)?\s*(?:s|secs?|seconds?|mins?|minutes?)\b", re.IGNORECASE)
_RANGE = re.compile(
    r"^\W*(?:from\s+)?(?P<a>\d{1,3}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)\s*(?:-|–|—|to|until)\s*"
    r"(?P<b>\d{1,3}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)\W*$",
    re.IGNORECASE,
)


def clock(seconds: float) -> str:
    """``HH:MM:SS.mmm``, rounded to the millisecond."""
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def at_time(seconds: float) -> str:
    return f"At {clock(seconds)}"


def time_range(start: float, end: float) -> str:
    return f"From {clock(start)} to {clock(end)}"


def _seconds(match: re.Match) -> float:
    first, second, third, fraction = match.groups()
    if third is None:  # MM:SS
        value = int(first) * 60 + int(second)
    else:
        value = int(first) * 3600 + int(second) * 60 + int(third)
    return value + (int(fraction.ljust(3, "0")) / 1000 if fraction else 0.0)


def parse_clock(text: str) -> float:
    """Seconds of one clock time (``HH:MM:SS.mmm`` or ``MM:SS``); ValueError otherwise."""
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a clock time: {text!r}")
    return _seconds(match)


def times_in(text: str) -> list[float]:
    """Every clock time written in ``text``, in seconds, in order."""
    return [_seconds(match) for match in _CLOCK.finditer(text)]


def mentions_time(text: str) -> bool:
    """Whether ``text`` names a time: a clock time or an amount of seconds / minutes."""
    return bool(_CLOCK.search(text) or _AMOUNT.search(text))


def parse_range(text: str) -> tuple[float, float] | None:
    """``(start, end)`` of a text that is only a time range ("From A to B", "A - B"), else None."""
    match = _RANGE.match(text.strip())
    if match is None:
        return None
    return parse_clock(match["a"].replace(",", ".")), parse_clock(match["b"].replace(",", "."))
