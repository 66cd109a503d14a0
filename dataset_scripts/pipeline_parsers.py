"""Read model replies into structured values, or say exactly why a reply cannot be used.

Models are asked for a line format ("Question 1: ...", "Correct option: ..."), but they also answer in JSON, wrap
replies in Markdown, bold the labels or add a sentence of their own; all of that is accepted. What is never
guessed at is structure: a missing, repeated or misnumbered item is a `ParseError` whose ``reason`` (a short
code) is what the summary counts and what a retry is for.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .pipeline_times import parse_range

NUM_QUESTIONS = 5
NUM_WRONG = 3


class ParseError(ValueError):
    """A reply that cannot be used; ``reason`` is a short code (``no_correct_option``), ``detail`` says more."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(frozen=True)
class OptionSet:
    correct: str
    wrong: tuple[str, ...]


_FENCE = re.compile(r"^```[a-zA-Z]*\s*\n(.*?)\n?```\s*$", re.DOTALL)
_EMPHASIS = re.compile(r"^[\s*_#>`]+|[\s*_`]+$")
_LETTER_LABEL = re.compile(r"^\(?[A-D]\)?[.):]\s+")
_QUESTION_MARK = re.compile(r"^\W*(?:question|q)\s*(\d+)\W*?[:.)\-]\s*(.*)$", re.IGNORECASE)
_LIST_MARK = re.compile(r"^\s*(\d+)\s*[.)]\s+(.*)$")
_CORRECT_MARK = re.compile(r"^\W*correct\s+(?:option|answer)\W*?:\s*(.*)$", re.IGNORECASE)
_WRONG_MARK = re.compile(r"^\W*(?:(?:incorrect|wrong)\s+)?(?:option|answer)\s*(\d+)\W*?:\s*(.*)$", re.IGNORECASE)
_LETTER_ONLY = re.compile(r"^\W*\(?([A-D])\)?\W*$", re.IGNORECASE)
_LETTER_ANSWER = re.compile(r"\banswer\b(?:\s+is)?\W*\(?((?-i:[A-D]))\b\)?", re.IGNORECASE)
_LETTER_LEAD = re.compile(r"^\W*\(?([A-D])[).:]")


def _strip(text: str | None) -> str:
    text = (text or "").strip()
    fenced = _FENCE.match(text)
    return fenced.group(1).strip() if fenced else text


def _tidy(text: str) -> str:
    """One option or question: no Markdown emphasis, no letter label, single spaces."""
    text = " ".join(_EMPHASIS.sub("", text).split())
    return _LETTER_LABEL.sub("", text).strip()


def parse_caption(text: str | None) -> str:
    caption = _strip(text).strip("\"'").strip()
    if not caption:
        raise ParseError("empty", "the model returned no text")
    return caption


def _json(text: str) -> Any | None:
    """The JSON value of a reply that looks like JSON (None for one that does not); broken JSON is an error."""
    if not text.startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ParseError("bad_json", str(error)) from None


def _marked_blocks(text: str, marks: list[re.Pattern]) -> list[tuple[re.Match, str]]:
    """``(marker match, text)`` for each line that a pattern of ``marks`` starts, with the lines that continue it.

    A block ends at the next marker or at a blank line, so a closing remark after the list is not taken in.
    """
    blocks: list[list] = []
    open_block = False
    for line in text.splitlines():
        match = next((m for m in (p.match(line) for p in marks) if m), None)
        if match:
            blocks.append([match, match.groups()[-1]])
            open_block = True
        elif not line.strip():
            open_block = False
        elif open_block:
            blocks[-1][1] += " " + line.strip()
    return [(match, _tidy(body)) for match, body in blocks]


def _check_numbers(numbers: list[int], expected: int, what: str) -> None:
    if numbers == list(range(1, expected + 1)):
        return
    if len(set(numbers)) == len(numbers) and numbers == list(range(1, len(numbers) + 1)):
        reason = f"too_few_{what}" if len(numbers) < expected else f"too_many_{what}"
        raise ParseError(reason, f"{len(numbers)} {what}, expected {expected}")
    raise ParseError("bad_numbering", f"{what} numbered {numbers}, expected 1 to {expected}")


def parse_questions(text: str | None, count: int = NUM_QUESTIONS) -> list[str]:
    """Exactly ``count`` questions, from "Question N: ..." lines, a numbered list or JSON."""
    text = _strip(text)
    if not text:
        raise ParseError("empty", "the model returned no text")
    value = _json(text)
    if value is not None:
        questions = _questions_from_json(value)
        if len(questions) != count:
            reason = "too_few_questions" if len(questions) < count else "too_many_questions"
            raise ParseError(reason, f"{len(questions)} questions, expected {count}")
    else:
        blocks = _marked_blocks(text, [_QUESTION_MARK])
        if not blocks:
            blocks = _marked_blocks(text, [_LIST_MARK])
        if not blocks:
            raise ParseError("no_questions", "no 'Question N:' lines and no numbered list")
        _check_numbers([int(match.group(1)) for match, _ in blocks], count, "questions")
        questions = [body for _, body in blocks]
    if any(not question for question in questions):
        raise ParseError("empty_question", "a question has no text")
    return questions


def _questions_from_json(value: Any) -> list[str]:
    if isinstance(value, dict):
        if "questions" in value:
            value = value["questions"]
        else:
            keys = sorted(value, key=lambda key: int(re.sub(r"\D", "", str(key)) or 0))
            value = [value[key] for key in keys]
    if not isinstance(value, list):
        raise ParseError("bad_json", "expected a list of questions")
    questions = []
    for item in value:
        if isinstance(item, dict):
            item = item.get("question", item.get("text"))
        if not isinstance(item, str):
            raise ParseError("bad_json", f"a question is not a string: {item!r}")
        questions.append(_tidy(item))
    return questions


_CORRECT_KEYS = ("correct", "correct_option", "correct_answer", "answer")
_WRONG_KEYS = ("wrong", "incorrect", "wrong_options", "incorrect_options", "distractors", "options")


def parse_options(text: str | None, num_wrong: int = NUM_WRONG) -> OptionSet:
    """One correct and ``num_wrong`` wrong options, from "Correct option: / Option N:" lines or JSON."""
    text = _strip(text)
    if not text:
        raise ParseError("empty", "the model returned no text")
    value = _json(text)
    if value is not None:
        correct, wrong = _options_from_json(value)
    else:
        blocks = _marked_blocks(text, [_CORRECT_MARK, _WRONG_MARK])
        correct = [body for match, body in blocks if match.re is _CORRECT_MARK]
        numbered = [(int(match.group(1)), body) for match, body in blocks if match.re is _WRONG_MARK]
        if len(correct) > 1:
            raise ParseError("several_correct_options", f"{len(correct)} correct options")
        if numbered:
            _check_numbers([number for number, _ in numbered], num_wrong, "wrong_options")
        wrong = [body for _, body in numbered]
    if not correct:
        raise ParseError("no_correct_option", "no 'Correct option:' line")
    if len(wrong) != num_wrong:
        reason = "too_few_wrong_options" if len(wrong) < num_wrong else "too_many_wrong_options"
        raise ParseError(reason, f"{len(wrong)} wrong options, expected {num_wrong}")
    options = [correct[0], *wrong]
    if any(not option for option in options):
        raise ParseError("empty_option", "an option has no text")
    return OptionSet(correct[0], tuple(wrong))


def _options_from_json(value: Any) -> tuple[list[str], list[str]]:
    if not isinstance(value, dict):
        raise ParseError("bad_json", "expected an object with the correct and the wrong options")
    lowered = {str(key).lower().replace(" ", "_"): item for key, item in value.items()}
    corrects = [lowered[key] for key in _CORRECT_KEYS if key in lowered]
    if len(corrects) > 1 or (corrects and isinstance(corrects[0], list)):
        raise ParseError("several_correct_options", "more than one correct option")
    wrong = next((lowered[key] for key in _WRONG_KEYS if key in lowered), [])
    if not isinstance(wrong, list) or not all(isinstance(item, str) for item in wrong):
        raise ParseError("bad_json", "the wrong options must be a list of strings")
    if corrects and not isinstance(corrects[0], str):
        raise ParseError("bad_json", "the correct option must be a string")
    return [_tidy(item) for item in corrects], [_tidy(item) for item in wrong]


def parse_letter(text: str | None, num_options: int = 4) -> str:
    """The option letter a judge chose: a bare letter, "Answer: B", or a reply that starts with "B." / "(B)"."""
    text = _strip(text)
    allowed = "ABCD"[:num_options]
    for pattern in (_LETTER_ONLY, _LETTER_ANSWER, _LETTER_LEAD):
        match = pattern.search(text) if pattern is _LETTER_ANSWER else pattern.match(text)
        if match and match.group(1).upper() in allowed:
            return match.group(1).upper()
    raise ParseError("no_letter", f"no option letter in {text[:60]!r}")


def parse_time_choice(text: str | None, ranges: list[tuple[float, float]], tolerance: float = 0.01) -> int:
    """The index in ``ranges`` of the one interval a reply names ("From A to B", "A - B", a labelled line)."""
    text = _strip(text)
    if not text:
        raise ParseError("empty", "the model returned no text")
    named = set()
    for line in text.splitlines():
        line = _tidy(line.split(":", 1)[1]) if re.match(r"^\W*[A-Za-z ]+:\s", line) else _tidy(line)
        interval = parse_range(line)
        if interval is not None:
            named.add(interval)
    if not named:
        raise ParseError("no_time_range", f"no interval in {text[:60]!r}")
    if len(named) > 1:
        raise ParseError("several_time_ranges", f"{len(named)} different intervals")
    (start, end) = named.pop()
    for index, (a, b) in enumerate(ranges):
        if abs(a - start) <= tolerance and abs(b - end) <= tolerance:
            return index
    raise ParseError("unknown_time_range", f"{start}-{end} s is not one of the listed intervals")
