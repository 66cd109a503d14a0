"""Text-only baselines: what a model could score without watching or listening. They should all sit at chance.

- ``first_option``: always "A" (exact letter balance puts it at 25%).
- ``letter_prior``: the letter most often correct in the train split.
- ``option_prior``: for each option text, how often it was the correct one when offered in train; pick the
  option with the best record (the bias a language model would pick up from the questions alone).
- ``question_overlap``: the option sharing the most words with the question.
"""

from collections import Counter

from ..avbench_records import LETTERS, AVBenchRecord


def _accuracy(records: list[AVBenchRecord], choose) -> float:
    return sum(choose(record) == record.answer for record in records) / len(records)


def _best(record: AVBenchRecord, score) -> str:
    scores = [score(option) for option in record.options]
    return LETTERS[scores.index(max(scores))]


def text_only_baselines(train: list[AVBenchRecord], test: list[AVBenchRecord]) -> dict[str, float]:
    """Accuracy on ``test`` of each text-only baseline fitted on ``train``."""
    letter = Counter(record.answer for record in train).most_common(1)[0][0]
    offered, correct = Counter(), Counter()
    for record in train:
        offered.update(record.options)
        correct[record.options[record.answer_index]] += 1

    def option_record(option: str) -> float:
        return (correct[option] + 1) / (offered[option] + len(LETTERS))

    def overlap(record: AVBenchRecord) -> str:
        words = set(record.question.lower().split())
        return _best(record, lambda option: len(words & set(option.lower().split())))

    return {
        "first_option": _accuracy(test, lambda record: "A"),
        "letter_prior": _accuracy(test, lambda record: letter),
        "option_prior": _accuracy(test, lambda record: _best(record, option_record)),
        "question_overlap": _accuracy(test, overlap),
    }
