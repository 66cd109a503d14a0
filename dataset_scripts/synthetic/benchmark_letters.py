"""Correct letters balanced exactly: a model that always answers one letter, or follows a letter prior learned from
the train split, scores chance on every split and every kind of question."""

import numpy as np

from ..avbench_records import LETTERS


def balanced_letters(count: int, rng: np.random.Generator, letters: str = LETTERS) -> list[str]:
    """``count`` letters in random order, each used ``count // len(letters)`` times; the few left over are
    distinct letters drawn at random, so no letter is ever used twice more than another."""
    base, extra = divmod(count, len(letters))
    chosen = list(letters) * base + [letters[i] for i in rng.choice(len(letters), size=extra, replace=False)]
    return [chosen[i] for i in rng.permutation(count)]


def place_answer(answer: str, distractors: tuple[str, ...], letter: str, rng: np.random.Generator) -> list[str]:
    """The options in order: the distractors shuffled, the answer at ``letter``."""
    options = [distractors[i] for i in rng.permutation(len(distractors))]
    options.insert(LETTERS.index(letter), answer)
    return options
