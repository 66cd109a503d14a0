"""Checks on generated questions that need no model: option sets, the time rules of each question, redundancy.

The paper's question prompt fixes what each of the five questions is (two without a time, two with one, one
asking for the interval); a model does not always comply, so compliance is checked here and a question that
breaks its rule is dropped with the rule's name as the reason.
"""

from __future__ import annotations

import re

from .avbench_records import CHOOSE_TIME_RANGE, NO_TIMESTAMP, TIMESTAMP_IN_QUESTION
from .pipeline_parsers import OptionSet, ParseError
from .pipeline_times import mentions_time, times_in

QUESTION_TYPES_BY_NUMBER = {
    1: NO_TIMESTAMP,
    2: NO_TIMESTAMP,
    3: TIMESTAMP_IN_QUESTION,
    4: TIMESTAMP_IN_QUESTION,
    5: CHOOSE_TIME_RANGE,
}

_CATCH_ALL = re.compile(r"\b(?:all|none|both)\s+of\s+the\s+(?:above|options|answers)\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+(?::[0-9.]+)*")
_STOPWORDS = frozenset(
    "a an the of in on at to from and or is are was were be by with for what which who how when where does do did "
    "this that these those it its as while during video".split()
)


def normalize(text: str) -> str:
    """Case, punctuation and spacing removed: two options equal under this say the same thing."""
    return " ".join(_WORD.findall(text.casefold()))


def check_options(options: OptionSet) -> OptionSet:
    """Refuses a set whose options repeat each other or include a catch-all ("all of the above")."""
    texts = [options.correct, *options.wrong]
    if len({normalize(text) for text in texts}) != len(texts):
        raise ParseError("duplicate_options", "two options say the same thing")
    if any(_CATCH_ALL.search(text) for text in texts):
        raise ParseError("catch_all_option", "an option refers to the other options")
    return options


def time_rule_violation(number: int, question: str, duration: float, tolerance: float = 1.0) -> str | None:
    """The reason question ``number`` (1-5) breaks its time rule, or None when it keeps it."""
    kind = QUESTION_TYPES_BY_NUMBER[number]
    if kind != TIMESTAMP_IN_QUESTION:
        return "time_in_untimed_question" if mentions_time(question) else None
    times = times_in(question)
    if not times:
        return "no_time_in_timed_question"
    if any(time > duration + tolerance for time in times):
        return "time_outside_video"
    return None


def content_words(text: str) -> frozenset[str]:
    return frozenset(word for word in _WORD.findall(text.casefold()) if word not in _STOPWORDS)


def near_duplicates(questions: list[str], threshold: float) -> set[int]:
    """Indices of questions whose content words overlap an earlier kept question's by at least ``threshold``
    (Jaccard); the earlier one is kept."""
    kept: list[frozenset[str]] = []
    dropped = set()
    for index, question in enumerate(questions):
        words = content_words(question)
        if any(words and len(words & other) / len(words | other) >= threshold for other in kept):
            dropped.add(index)
        else:
            kept.append(words)
    return dropped
