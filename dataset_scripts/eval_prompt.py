"""The multiple-choice prompt every evaluation here asks: the question, its lettered options, and a request
for the letter alone (or, with ``answer_with="option"``, for the text of the right option).

One wording for the eval runner, the synthetic benchmark and the demo, so that a score from one tool can be
compared with another's. The answer is still read by the metric's extraction rules, which accept far more
than a bare letter; asking for the letter only keeps greedy answers short.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

from .avbench_records import LETTERS

INSTRUCTIONS = {
    "letter": "Reply with the letter of the correct option only.",
    "option": "Reply with the text of the correct option only.",
}
"""What the prompt asks for. ``option`` suits models too small to tie a letter to its option (multiple-choice
symbol binding comes late in language models); the metric maps an option's text back to its letter."""
ANSWER_STYLES = tuple(INSTRUCTIONS)

# A label already written in front of an option ("B. ...", "(B) ..."); kept out so it is not doubled.
_LABEL = re.compile(r"^\s*\(?(?P<letter>[A-Da-d])\s*[.):]\s*")


def option_lines(options: Sequence[str]) -> list[str]:
    """``"A. text"`` per option; a label that already matches the option's position is not repeated."""
    lines = []
    for letter, option in zip(LETTERS, options):
        label = _LABEL.match(option)
        if label and label["letter"].upper() == letter:
            option = option[label.end() :]
        lines.append(f"{letter}. {option.strip()}")
    return lines


def question_prompt(question: str, options: Sequence[str], answer_with: str = "letter") -> str:
    """The text of one multiple-choice question as the model reads it."""
    if len(options) > len(LETTERS):
        raise ValueError(f"at most {len(LETTERS)} options can be lettered, got {len(options)}")
    if answer_with not in INSTRUCTIONS:
        raise ValueError(f"answer_with must be one of {ANSWER_STYLES}, got {answer_with!r}")
    return "\n".join([question.strip(), *option_lines(options), INSTRUCTIONS[answer_with]])


def expected_answer(answer: str, options: Sequence[str], answer_with: str = "letter") -> str:
    """What a model asked with ``answer_with`` should reply to a question whose right letter is ``answer``."""
    letter = answer.strip().upper()
    if answer_with == "letter" or not options:
        return letter
    return option_lines(options)[LETTERS.index(letter)][len(letter) + 2 :]


def answer_choices(options: Sequence[str], answer_with: str = "letter") -> tuple[str, ...]:
    """The expected answer for each option in turn: what likelihood scoring compares."""
    return tuple(expected_answer(letter, options, answer_with) for letter in LETTERS[: len(options)])


def user_message(prompt: str, video: str | os.PathLike | None = None) -> dict[str, Any]:
    """The user turn of a chat: the video first (when there is one), then the prompt."""
    content: list[dict[str, Any]] = []
    if video is not None:
        content.append({"type": "video", "path": os.fspath(video)})
    content.append({"type": "text", "text": prompt})
    return {"role": "user", "content": content}
