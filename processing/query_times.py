"""Find the time points a question mentions and turn them into seconds (the input of the Temporal Linear Projection).

Recognised forms (case-insensitive):

- clock forms: ``00:03:57.480``, ``00:03:57,480`` (SRT), ``1:02:03``, ``03:57``, ``3:57``, ``3:57.5``;
- unit forms: ``237 seconds``, ``237 s``, ``90s``, ``12.5 s``, ``2 min``, ``5 minutes``, ``1.5 hours``, ``500 ms``,
  and compounds ``1h 2m``, ``1h2m3s``, ``2m 30s``, ``1 hour 2 minutes and 3 seconds``;
- ranges: ``From 00:05:53.160 to 00:08:07.200``, ``between 1:02 and 1:10``, ``1:02-1:10`` and
  ``between 5 and 10 seconds`` / ``5-10 s`` (the unit of the second number applies to the first): both ends.

Decisions against false positives (each has a row in tests/test_query_times.py):

- A bare number is never a time (``3 options``, ``option 3``, ``in 2019``).
- Clock forms need two-digit seconds ``00``-``59``: ``1:1 ratio``, ``16:9``, ``4:3``, ``John 3:16``'s ``3:1``... and
  single-digit ratios are not times. A clock form followed by ``am``/``pm``/``ratio``/``aspect`` is not a time.
- A lone ``m`` is not minutes (``2m`` may be metres or millions); ``m`` counts only in a compound (``1h 2m``,
  ``2m 30s``). ``min``/``minute(s)`` always count.
- Decades are not times: ``the 90s``, ``'90s``, ``1990s``.
- Durations are not time points: a unit form after ``for``/``lasts``/``takes``/``within``/``every``/``per``/
  ``first``/``last``/``next``/``a``/``an`` (``for 5 seconds``, ``the first 30 seconds``, ``a 5 min video``), or
  followed by ``later``/``earlier``/``ago``/``long``/``apart``/``before``/``after``/``of``/``clip``/... (``10 seconds
  after the bark``: a relative offset), or hyphenated as an adjective (``a 30-second clip``). ``at``/``from``/
  ``to``/``until``/``between``/``by``/``around`` right before the number always make it a time point, and so does a
  following ``mark``/``point``/``timestamp``/``into``/``in`` (``the 90-second mark``, ``2 minutes into the video``).

Times beyond the video's duration are clipped to it and flagged (``QueryTimes.clipped``) with a logged warning;
negative times cannot be written, so nothing else can go wrong. The parser never raises on any string.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

_NUM = r"\d+(?:\.\d+)?"
_UNIT_SECONDS = {
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "ms": 0.001, "msec": 0.001, "millisecond": 0.001, "milliseconds": 0.001,
}  # fmt: skip
_UNIT_RANK = {60.0 * 60.0: 0, 60.0: 1, 1.0: 2, 0.001: 3}
_UNIT_RE = r"(?:milliseconds?|msecs?|ms|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)"

# Clock form: [H:]MM:SS[.mmm] with two-digit seconds. The hour needs two-digit minutes.
_CLOCK = re.compile(
    r"(?<![\w:.])(?:(?P<h>\d{1,3}):(?=[0-5]\d:))?(?P<m>\d{1,3}):(?P<s>[0-5]\d)(?:[.,](?P<f>\d{1,3}))?(?![\w:]|\.\d)"
)
# One or more "<number> <unit>" parts (1h 2m 3s, 2 minutes and 30 seconds, 12.5 s, 90s).
_PART = rf"(?P<n{{i}}>{_NUM})\s*(?P<u{{i}}>{_UNIT_RE})(?![a-z])"
_COMPOUND = re.compile(
    r"(?<![\w.])(?<!\d,)"
    + _PART.format(i=0)
    + "".join(r"(?:(?:\s*,?\s*and\s+|\s*,\s*|\s*)" + _PART.format(i=i) + ")?" for i in (1, 2, 3)),
    re.IGNORECASE,
)
# "between 5 and 10 seconds", "5-10 s", "from 2 to 3 minutes": the unit is written once, after the second number.
_RANGE = re.compile(
    rf"(?<![\w.:])(?P<a>{_NUM})\s*(?:-|–|to|and)\s*(?P<b>{_NUM})\s*(?P<u>{_UNIT_RE})(?![a-z])", re.IGNORECASE
)

_POINT_BEFORE = {"at", "from", "to", "until", "till", "til", "between", "by", "around", "near", "@", "since", "and"}
_DURATION_BEFORE = {
    "for", "last", "lasts", "lasting", "lasted", "take", "takes", "took", "taking", "within", "every", "each",
    "per", "first", "next", "previous", "past", "a", "an", "over", "under", "only", "just", "another", "extra",
    "duration", "length", "runtime", "long",
}  # fmt: skip
_POINT_AFTER = {"mark", "point", "timestamp", "into", "in"}
_DURATION_AFTER = {
    "later", "earlier", "ago", "long", "apart", "before", "after", "of", "each", "per", "clip", "clips", "video",
    "videos", "segment", "segments", "interval", "intervals", "window", "windows", "duration", "countdown",
    "timer", "break", "pause", "delay", "more", "less", "left", "remaining", "total", "or",
}  # fmt: skip
_CLOCK_NOT_TIME_AFTER = {"am", "pm", "a.m.", "p.m.", "ratio", "aspect", "scale", "odds"}


@dataclass
class QueryTimes:
    """``times``: seconds in order of appearance (clipped to the duration when it is known); ``raw``: before
    clipping; ``spans``: character spans in the text; ``clipped``: whether any time lay beyond the duration."""

    times: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    clipped: bool = False


def _words_before(text: str, start: int, count: int = 3) -> list[str]:
    # "(A) 00:00:05": an option label "(a)" is kept whole so that it does not read as the article "a"
    tokens = re.findall(r"[\w@'.’()\[\]]+", text[max(0, start - 40) : start].lower())[-count:]
    return [token.lstrip("([") for token in tokens]


def _word_after(text: str, end: int) -> str:
    match = re.match(r"[\s\-]*([\w.’']+)", text[end : end + 30].lower())
    return match.group(1).rstrip(".,;:!?") if match else ""


def _is_decade(text: str, start: int, number: str, unit: str, end: int) -> bool:
    if unit != "s" or text[end - 1 : end].lower() != "s" or text[start + len(number) : start + len(number) + 1] != "s":
        return False  # only a bare "s" glued to the number ("90s")
    if not number.isdigit() or not number.endswith("0"):
        return False
    before = text[max(0, start - 5) : start].lower()
    if len(number) == 4 and 1000 <= int(number) <= 2100:
        return True
    return before.endswith(("the ", "'", "’", "mid-", "late ", "early "))


def _unit_form_is_point(text: str, start: int, end: int, hyphenated: bool) -> bool:
    before = _words_before(text, start)
    after = _word_after(text, end)
    if before and before[-1] in _POINT_BEFORE:
        return True
    if after in _POINT_AFTER:
        return True
    if hyphenated:  # "a 30-second clip": an adjective describing a length
        return False
    if any(word in _DURATION_BEFORE for word in before[-2:]):
        return False
    if before and before[-1] == "the":
        return False  # "the 5 minutes before ..." (but "the 90-second mark" returned True above)
    return after not in _DURATION_AFTER


def _clock_is_point(text: str, start: int, end: int) -> bool:
    after = _word_after(text, end)
    if after in _CLOCK_NOT_TIME_AFTER:
        return False
    before = _words_before(text, start, 2)
    return not (before and before[-1] in {"a", "an", "lasts", "lasting", "runtime", "duration", "length"})


def find_time_mentions(text: str) -> list[tuple[int, int, float]]:
    """``(start, end, seconds)`` for every time point mentioned in ``text``, in order of appearance."""
    if not text:
        return []
    found: list[tuple[int, int, float]] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for match in _CLOCK.finditer(text):
        hours = int(match.group("h") or 0)
        minutes, seconds = int(match.group("m")), int(match.group("s"))
        if match.group("h") is not None and minutes > 59:
            continue
        fraction = match.group("f")
        value = hours * 3600 + minutes * 60 + seconds + (int(fraction) / 10 ** len(fraction) if fraction else 0.0)
        taken.append(match.span())
        if _clock_is_point(text, match.start(), match.end()):
            found.append((match.start(), match.end(), float(value)))

    for match in _RANGE.finditer(text):
        if not free(*match.span()):
            continue
        scale = _UNIT_SECONDS[match.group("u").lower()]
        if match.group("u") == "m":
            continue
        taken.append(match.span())
        found.append((match.start("a"), match.end("a"), float(match.group("a")) * scale))
        found.append((match.start("b"), match.end(), float(match.group("b")) * scale))

    position = 0
    while (match := _COMPOUND.search(text, position)) is not None:
        position = match.end("u0")
        if not free(match.start(), match.end("u0")):
            continue
        parts, last_rank, end = [], -1, match.end("u0")
        for i in range(4):
            if match.group(f"n{i}") is None:
                break
            scale = _UNIT_SECONDS[match.group(f"u{i}").lower()]
            if _UNIT_RANK[scale] <= last_rank:
                break  # "5 s 3 s" is two mentions, not one compound: stop here, the rest is matched next
            parts.append((match.group(f"n{i}"), match.group(f"u{i}").lower(), scale))
            last_rank, end = _UNIT_RANK[scale], match.end(f"u{i}")
        start, position = match.start(), end
        if len(parts) == 1 and parts[0][1] == "m":
            continue  # a lone "m": metres, millions, ...
        if len(parts) == 1 and _is_decade(text, start, parts[0][0], parts[0][1], end):
            continue
        taken.append((start, end))
        if _unit_form_is_point(text, start, end, hyphenated=False):
            found.append((start, end, sum(float(number) * scale for number, _, scale in parts)))

    # "30-second mark": the hyphenated adjective form is not matched above (the hyphen sits between number and unit)
    for match in re.finditer(rf"(?<![\w.])(?P<n>{_NUM})-(?P<u>{_UNIT_RE})(?![a-z])", text, re.IGNORECASE):
        if not free(*match.span()) or match.group("u") == "m":
            continue
        taken.append(match.span())
        if _unit_form_is_point(text, match.start(), match.end(), hyphenated=True):
            found.append(
                (match.start(), match.end(), float(match.group("n")) * _UNIT_SECONDS[match.group("u").lower()])
            )

    found.sort(key=lambda item: item[0])
    return found


def parse_query_times(text: str, duration: float | None = None, source: str | None = None) -> QueryTimes:
    """Times (seconds) mentioned in ``text``, clipped to ``[0, duration]`` when ``duration`` is given.

    Never raises: a non-string or empty text gives no times. A time beyond the duration is clipped, flagged in
    ``QueryTimes.clipped`` and logged as a warning (``source`` names the sample in the message).
    """
    result = QueryTimes()
    if not isinstance(text, str) or not text:
        return result
    try:
        mentions = find_time_mentions(text)
    except Exception:  # noqa: BLE001 - a parser bug must never take a batch down
        logger.exception("query time parsing failed on %r", text[:200])
        return result
    seen = set()
    for start, end, value in mentions:
        key = round(value, 6)
        if key in seen:
            continue
        seen.add(key)
        result.raw.append(value)
        result.spans.append((start, end))
        if duration is not None and duration >= 0 and value > duration:
            result.clipped = True
            value = float(duration)
        result.times.append(value)
    if result.clipped:
        logger.warning(
            "%squery time(s) %s lie beyond the video's duration %.3f s and were clipped to it",
            f"{source}: " if source else "",
            [round(t, 3) for t in result.raw if t > duration],
            duration,
        )
    return result
