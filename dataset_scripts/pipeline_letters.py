"""Where the correct option goes: seeded, and balanced over the letters A-D exactly, not just on average.

A model that learns "the answer is usually A" must gain nothing, and a benchmark's chance level must really be
25 %. Drawing each position at random is only balanced on average (over 400 questions a letter can easily land
10 away from 100), so the positions are dealt instead: questions are put in a seeded pseudo-random order and
dealt A, B, C, D, A, ... in that order. Each letter then holds the correct answer of floor(n/4) or ceil(n/4)
questions, within every question type too (types are dealt one after another without restarting the cycle),
while which question gets which letter stays unpredictable. The wrong options are shuffled with a seed of their
own. Everything depends only on the seed and the questions, never on the order in which videos finished.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

LETTERS = "ABCD"


@dataclass(frozen=True)
class Unplaced:
    """A question before its options are placed; ``wrong`` in the order the model wrote them."""

    question_id: str
    question_type: str
    correct: str
    wrong: tuple[str, ...]


@dataclass(frozen=True)
class Placed:
    question_id: str
    options: tuple[str, ...]
    answer: str


def _key(seed: int, *parts: str) -> bytes:
    return hashlib.sha256("\x1f".join([str(seed), *parts]).encode()).digest()


def place_options(questions: Sequence[Unplaced], seed: int) -> dict[str, Placed]:
    """Options in letter order and the correct letter for every question, keyed by question id."""
    types = sorted({question.question_type for question in questions})
    dealt = []
    for question_type in types:
        group = [question for question in questions if question.question_type == question_type]
        dealt.extend(sorted(group, key=lambda question: _key(seed, "deal", question.question_id)))
    placed = {}
    for position, question in enumerate(dealt):
        letter = position % len(LETTERS)
        orders = list(itertools.permutations(question.wrong))
        wrong = orders[int.from_bytes(_key(seed, "wrong", question.question_id)[:8], "big") % len(orders)]
        options = (*wrong[:letter], question.correct, *wrong[letter:])
        placed[question.question_id] = Placed(question.question_id, options, LETTERS[letter])
    return placed
