"""Baselines: what a model could score without watching or listening (they should all sit at chance), and what one
that perceives a single sense perfectly could score from how often each option is seen or heard.

- ``first_option``: always "A" (exact letter balance puts it at 25%).
- ``letter_prior``: the letter most often correct in the train split.
- ``option_prior``: for each option text, how often it was the correct one when offered in train; pick the
  option with the best record (the bias a language model would pick up from the questions alone).
- ``question_overlap``: the option sharing the most words with the question.
- ``sight_only`` / ``hearing_only`` (:func:`one_sense_baselines`): the option shown (heard) in the most shots of the
  clip, read from its ground-truth timeline; ties go to the earliest letter, which letter balance makes chance.
  Each should sit at chance too, since every question needs both senses; where one does not, the benchmark has a
  single-sense shortcut.
"""

from collections import Counter, defaultdict

from ..avbench_records import LETTERS, AVBenchRecord
from .benchmark_plan import ClipPlan


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


def one_sense_baselines(records: list[AVBenchRecord], plans: dict[str, ClipPlan]) -> dict[str, dict[str, float]]:
    """Accuracy of ``sight_only`` and ``hearing_only`` on ``records``, overall (``all``) and per question kind;
    ``plans`` maps each record's ``video_id`` to its clip's plan."""
    senses = {"sight_only": lambda slot: slot.visual.label, "hearing_only": lambda slot: slot.sound.label}
    baselines = {}
    for name, label in senses.items():
        hits = defaultdict(list)
        for record in records:
            shown = Counter(label(slot) for slot in plans[record.video_id].slots)
            choice = _best(record, shown.__getitem__)
            hits["all"].append(choice == record.answer)
            hits[record.question_type].append(choice == record.answer)
        baselines[name] = {kind: sum(values) / len(values) for kind, values in hits.items()}
    return baselines
