"""Read the option letter a model chose out of its free-form answer, or refuse when the answer is unclear.

This module is the single definition of AVBench answer extraction: the ``evaluate`` metric, the eval runner and
the lmms-eval task all call :func:`extract_answer`, so a model's score never depends on which tool scored it.
It uses only the standard library, because ``evaluate`` copies it next to the metric script.

The rules run in this order; the first that decides, decides (``RULES`` carries the same text for the card):

1. ``bare_letter`` - the whole answer is one letter, in any case and dressed in any of ``(C)``, ``[C]``,
   ``C.``, ``C)``, ``**C**``, ``'C'``, optionally after "Answer:", "Option" or "The answer is".
2. ``hedged`` (refusal) - the answer offers alternatives: "A or B", "(A)/(B)", "A, B", "either A or C". An
   alternative right after an answer statement ("the answer is A or B", "answer: A and B") refuses too;
   elsewhere it is ignored when an answer statement exists ("The answer is B; it is not A or C").
3. ``answer_statement`` - explicit statements: "the (correct / best / final) answer is C", "Answer: c",
   "the correct option is (C)", "I choose C", "I'd go with option B", "(C) is the correct answer", "C is
   correct", "I'd say B", "it's C.", "..., so B.", ``\\boxed{C}``. Several different letters stated this way refuse.
4. ``leading_letter`` - the answer opens with a labelled letter and goes on: "C. text", "C) text",
   "(C) text", "C: text", "Option C: text", "Answer: C - text". Refused when the text after the letter is the
   text of a different option, when it labels another letter ("(A) ... (C) ...", "A) wrong B) wrong"), or when
   the answer lists several lettered lines (an echo of the options).
5. ``marked_letter`` - a letter marked as a choice somewhere: "(C)", "[C]", "option C", "choice C", a line
   opening with "C." or "C)", or a clause that is only the letter ("Based on the video, C."). Several
   different marked letters refuse.
6. ``option_text`` (needs the options) - the answer is the text of one option, starts with it, states it
   after "the answer is", or contains the whole text of exactly one option of at least four words; refused
   when it also quotes another option of at least four words in full.
   Comparison ignores case, punctuation and markdown; a letter label in front of an option ("A. ...") is
   dropped first.
7. ``no_answer`` (refusal) - nothing above applies.

What is never taken for a letter: a letter inside a word ("Because", "CD player"), a capital followed by
an apostrophe ("A's"), the pronoun "I" (not an option letter), and a lowercase "a"-"d" unless it stands
alone, in brackets, or is followed by punctuation ("the answer is a dog" is not option A). A letter beyond
the number of options ("E", or "C" with two options) refuses with ``letter_out_of_range``.

Before the rules run: Unicode is NFKC-normalised (full-width "Ｃ" is "C"), markdown emphasis and code marks
are removed, and a reasoning trace is dropped (everything up to the last ``</think>``; an unclosed
``<think>`` refuses with ``unfinished_reasoning``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

LETTERS = "ABCD"
MIN_WORDS_FOR_CONTAINMENT = 4

RULES = (
    ("bare_letter", "the whole answer is one letter, possibly bracketed or after 'Answer:'"),
    ("hedged", "refused: the answer offers several letters ('A or B', 'A/B', 'A, B')"),
    ("answer_statement", "an explicit statement such as 'the answer is (C)', 'I choose C', 'C is correct'"),
    ("leading_letter", "the answer opens with a labelled letter: 'C. text', 'C) text', 'Option C: text'"),
    ("marked_letter", "one letter marked as a choice: '(C)', 'option C', a clause that is only 'C'"),
    ("option_text", "the answer is, starts with, or states the text of exactly one option"),
    ("no_answer", "refused: no rule found a letter"),
)


@dataclass(frozen=True)
class Extraction:
    """The chosen letter (None when the answer is refused) and the rule that decided, for auditing."""

    letter: str | None
    rule: str

    @property
    def is_valid(self) -> bool:
        return self.letter is not None


# A letter token: bracketed in any case, a capital not glued to a word, or a lowercase letter that is
# followed by punctuation or the end (so that the article "a" in "a dog" is never a letter).
_LETTER = (
    r"(?:\((?P<paren>[A-Da-d])\)"
    r"|\[(?P<bracket>[A-Da-d])\]"
    r"|(?<![A-Za-z0-9])(?P<upper>[A-D])(?![A-Za-z0-9'’])"
    r"|(?<![A-Za-z0-9])(?P<lower>[a-d])(?=\s*(?:$|[.,;:!?)\]]|\n)))"
)
_ANY_LETTER = r"(?:\([A-Da-d]\)|(?<![A-Za-z0-9])[A-D](?![A-Za-z0-9'’]))"
_VERB = r"(?:is|was|would\s+be|should\s+be|will\s+be|must\s+be|seems\s+to\s+be|appears\s+to\s+be)"
_LABEL = r"(?:(?i:option|choice|letter|answer)\s+)?"

_ANSWER_STATEMENTS = tuple(
    re.compile(pattern)
    for pattern in (
        # "The answer is C", "Answer: c", "the final answer would be (B)", "answer to this question is C"
        rf"(?i:\b(?:answer|ans)\b(?:\s+to\s+(?:this|the)\s+question)?)\s*(?i:{_VERB})?\s*[:=\-–]?\s*{_LABEL}{_LETTER}",
        # "The correct option is C", "best choice: (B)", "the right one is D"
        rf"(?i:\b(?:correct|right|best|final|most\s+(?:likely|accurate|appropriate|suitable))\s+"
        rf"(?:option|choice|one|response|letter)\b)\s*(?:(?i:{_VERB})\s*[:\-]?|[:=\-–])\s*{_LABEL}{_LETTER}",
        # "I choose C", "I would pick option B", "I'd go with (A)", "I'd say B"
        rf"(?i:\bI(?:\s+would|\s+will|'d|’d)?\s+(?:choose|pick|select|go\s+with|say|guess)\b)\s+{_LABEL}{_LETTER}",
        # "(C) is the correct answer", "C is correct", "Option B is the best choice"
        r"(?:(?i:option|choice)\s+)?(?:\((?P<rparen>[A-Da-d])\)|(?<![A-Za-z0-9])(?P<rupper>[A-D])(?![A-Za-z0-9'’]))"
        r"\s+(?i:is|would\s+be|seems\s+to\s+be)\s+(?i:the\s+)?(?i:correct|right|best|most\s+likely|answer)\b",
        # "I think it's C.", "so that is (B)", "..., so B." - only when the letter ends the sentence
        rf"(?i:\b(?:(?:it|that|this)(?:'s|’s|\s+is|\s+would\s+be)|so|thus|therefore|hence))\s+{_LABEL}{_LETTER}"
        r"(?=\s*(?:[.!;,]|$))",
        # LaTeX-style "\boxed{C}"
        r"\\boxed\{\s*(?P<boxed>[A-Da-d])\s*\}",
    )
)
# What may follow an answer statement and turns it into a hedge: "... is A or B", "... is A and C".
_HEDGE_CONTINUATION = re.compile(rf"^\s*,?\s*(?:(?i:or|and)\b|/)\s*(?:(?i:option|choice)\s+)?{_ANY_LETTER}")
_HEDGES = (
    re.compile(rf"{_ANY_LETTER}\s*,?\s*(?:(?i:or)\b|/)\s*(?:(?i:option|choice)\s+)?{_ANY_LETTER}"),
    re.compile(rf"{_ANY_LETTER}\s*,\s*{_ANY_LETTER}(?:\s*[,.]|\s*$)"),
)
_BARE = re.compile(
    r"^(?i:(?:the\s+)?(?:final\s+|correct\s+|best\s+)?(?:answer|option|choice)(?:\s+is)?\s*[:\-]?\s*)?"
    r"(?:\((?P<a>[A-Za-z])\)|\[(?P<b>[A-Za-z])\]|(?P<c>[A-Za-z]))\s*[.!]?$"
)
_LEADING = re.compile(
    r"^(?i:(?:answer|option|choice)\s*[:\-]?\s*)?"
    r"(?:\((?P<paren>[A-Da-d])\)|\[(?P<bracket>[A-Da-d])\]|(?P<plain>[A-Da-d])\s*(?:[.):]|\s-|\n))"
)
_BRACKETED = re.compile(r"\((?P<x>[A-Da-d])\)|\[(?P<y>[A-Da-d])\]")
_INLINE_LABELS = re.compile(r"(?<![A-Za-z0-9(\[])(?P<z>[A-D])(?:\)|\.\s)")
_MARKS = (
    _BRACKETED,
    re.compile(rf"(?i:\b(?:option|choice))\s+{_LETTER}"),
    re.compile(r"(?m)^\s*(?P<z>[A-D])\s*[.)]\s"),
    re.compile(r"(?:^|[\n:,;])\s*(?P<w>[A-D])\s*[.!]?\s*(?=$|\n)"),
)
_LINE_LABELS = re.compile(r"(?m)^\s*\(?(?P<z>[A-D])\s*[.):]\s")
_OPTION_LABEL = re.compile(r"^\s*\(?(?P<letter>[A-Da-d])\s*[.):]\s*")
_STATEMENT_TEXT = re.compile(
    rf"(?i:\b(?:answer|correct\s+option|correct\s+choice)\b)\s*(?i:{_VERB})?\s*[:\-]?\s*(?P<text>.+)", re.S
)
_WORD = re.compile(r"\w+(?:[:.]\w+)*")
_THINK_OPEN = re.compile(r"<think>", re.I)
_THINK_CLOSE = re.compile(r"</think>", re.I)
_MARKDOWN = re.compile(r"\*\*|__|`+|^\s*#+\s*|(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)", re.M)


def extract_answer(output: object, options: Sequence[str] | None = None, num_options: int | None = None) -> Extraction:
    """The letter (A-D) that ``output`` chose among ``options``, or a refusal; see the module docstring."""
    if not isinstance(output, str):
        return Extraction(None, "not_text")
    count = num_options if num_options is not None else (len(options) if options else len(LETTERS))
    allowed = LETTERS[:count]
    text = _clean(output)
    if text is None:
        return Extraction(None, "unfinished_reasoning")
    if not text:
        return Extraction(None, "empty")

    decided = _bare_letter(text)
    if decided is None:
        decided = _explicit(text, options)
    if decided.letter is not None and decided.letter not in allowed:
        return Extraction(None, "letter_out_of_range")
    return decided


def _explicit(text: str, options: Sequence[str] | None) -> Extraction:
    statements = _answer_statements(text)
    if _is_hedged(text, statements):
        return Extraction(None, "hedged")
    stated = {letter for letter, _ in statements}
    if len(stated) == 1:
        return Extraction(stated.pop(), "answer_statement")
    if stated:
        return Extraction(None, "conflicting_answer_statements")

    leading = _leading_letter(text, options)
    if leading is not None:
        return leading

    marked = _marked_letters(text)
    if len(marked) == 1:
        return Extraction(marked.pop(), "marked_letter")
    if marked:
        return Extraction(None, "several_letters_marked")

    if options:
        matched = _option_from_text(text, options)
        if matched is not None:
            return Extraction(matched, "option_text")
    return Extraction(None, "no_answer")


def _clean(output: str) -> str | None:
    text = unicodedata.normalize("NFKC", output)
    closes = list(_THINK_CLOSE.finditer(text))
    if closes:
        text = text[closes[-1].end() :]
    elif _THINK_OPEN.search(text):
        return None
    text = _MARKDOWN.sub("", text)
    return text.strip().strip("\"'“”‘’").strip()


def _bare_letter(text: str) -> Extraction | None:
    match = _BARE.match(text)
    if match is None:
        return None
    letter = (match["a"] or match["b"] or match["c"]).upper()
    if letter not in LETTERS:
        return Extraction(None, "letter_out_of_range")
    return Extraction(letter, "bare_letter")


def _letter_of(match: re.Match) -> str:
    groups = match.groupdict()
    for name in ("paren", "bracket", "upper", "lower", "rparen", "rupper", "boxed", "x", "y", "z", "w"):
        if groups.get(name):
            return groups[name].upper()
    raise AssertionError(f"pattern matched without a letter: {match.group(0)!r}")


def _answer_statements(text: str) -> list[tuple[str, re.Match]]:
    found = []
    for pattern in _ANSWER_STATEMENTS:
        found.extend((_letter_of(match), match) for match in pattern.finditer(text))
    return found


def _is_hedged(text: str, statements: list[tuple[str, re.Match]]) -> bool:
    if any(_HEDGE_CONTINUATION.match(text[match.end() :]) for _, match in statements):
        return True
    return not statements and any(pattern.search(text) for pattern in _HEDGES)


def _leading_letter(text: str, options: Sequence[str] | None) -> Extraction | None:
    match = _LEADING.match(text)
    if match is None:
        return None
    letter = (match["paren"] or match["bracket"] or match["plain"]).upper()
    rest = text[match.end() :]
    labels = {m["z"] for m in _LINE_LABELS.finditer(text)}
    labels.update(_letter_of(m) for pattern in (_BRACKETED, _INLINE_LABELS) for m in pattern.finditer(rest))
    if labels - {letter}:
        return Extraction(None, "several_letters_marked")
    if options and _normalize(rest):
        matched = _option_from_text(rest, options)
        if matched is not None and matched != letter:
            return Extraction(None, "letter_contradicts_option_text")
    return Extraction(letter, "leading_letter")


def _marked_letters(text: str) -> set[str]:
    return {_letter_of(match) for pattern in _MARKS for match in pattern.finditer(text)}


def _normalize(text: str) -> str:
    return " ".join(_WORD.findall(_MARKDOWN.sub("", unicodedata.normalize("NFKC", text)).casefold()))


def option_texts(options: Sequence[str]) -> list[str]:
    """Options normalised for comparison, without a letter label that matches their position ("B. ...")."""
    normalized = []
    for index, option in enumerate(options):
        label = _OPTION_LABEL.match(option)
        if label and label["letter"].upper() == LETTERS[index]:
            option = option[label.end() :]
        normalized.append(_normalize(option))
    return normalized


def _option_from_text(text: str, options: Sequence[str]) -> str | None:
    answer = _normalize(text)
    choices = option_texts(options)
    statement = _STATEMENT_TEXT.search(text)
    candidates = [answer]
    if statement:
        candidates.append(_normalize(statement["text"]))
    for candidate in candidates:
        hits = [i for i, choice in enumerate(choices) if choice and _starts_with(candidate, choice)]
        if hits:
            return _unambiguous(_longest(hits, choices), answer, choices)
    contained = [i for i, choice in enumerate(choices) if _is_long(choice) and _contains(answer, choice)]
    if contained:
        return _unambiguous(_longest(contained, choices), answer, choices)
    return None


def _is_long(choice: str) -> bool:
    return len(choice.split()) >= MIN_WORDS_FOR_CONTAINMENT


def _contains(text: str, part: str) -> bool:
    return f" {part} " in f" {text} "


def _unambiguous(best: int | None, answer: str, choices: list[str]) -> str | None:
    """The letter of option ``best``, unless the answer also quotes another long option in full."""
    if best is None:
        return None
    for index, choice in enumerate(choices):
        if index != best and _is_long(choice) and _contains(answer, choice) and not _contains(choices[best], choice):
            return None
    return LETTERS[best]


def _starts_with(text: str, prefix: str) -> bool:
    return text == prefix or text.startswith(prefix + " ")


def _longest(hits: list[int], choices: list[str]) -> int | None:
    """The one option among ``hits`` that contains all the others; None when two unrelated options matched."""
    best = max(hits, key=lambda i: len(choices[i]))
    if all(_contains(choices[best], choices[i]) for i in hits):
        return best
    return None
