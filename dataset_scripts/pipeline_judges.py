"""The checks stage: model judges that decide whether a question with valid options is worth keeping.

- Leakage: a text-only model sees only the question and its options. If it picks the right one in every trial,
  the answer leaks from the text and the question is dropped. Each trial shows the options in another seeded
  order, so a model that always says "A" cannot leak a question by luck: with the default two trials a question
  that needs the video is lost with probability 1/16 instead of 1/4.
- Single modality (optional): the same with only the visual or only the audio account, for the paper's rule
  that no question may be answerable from one modality.
- Support: the text model reads all three accounts and must pick the keyed option; otherwise the key is not
  what the captions say and the question is dropped.

The result lists every question with ``kept`` true or the reason it was dropped (earlier drops included), so the
summary and the export read one file per video.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from . import pipeline_prompts as prompts
from .pipeline_calls import Call, derive_seed
from .pipeline_parsers import parse_letter
from .pipeline_questions import descriptions
from .pipeline_store import ok

if TYPE_CHECKING:
    from .pipeline_stages import StageContext, Task

LETTERS = "ABCD"


def _shown(seed: int, vid: str, number: int, purpose: str) -> tuple[list[int], int]:
    """A seeded order of the options (0 = the correct one) and the position the correct one lands at."""
    order = random.Random(derive_seed(seed, vid, number, purpose)).sample(range(4), 4)
    return order, order.index(0)


def _judge(
    ctx: StageContext, candidates: list[tuple[Task, dict]], purpose: str, sampling: str, role: str, messages_for
) -> dict:
    """For every candidate: the list of (parsed letter or None, position of the correct option), one per trial.
    ``purpose`` names the calls and seeds the option orders; ``sampling`` is a key of the config's sampling."""
    trials = ctx.config.checks.leakage_trials if purpose != "support" else 1
    calls, expected = [], {}
    for task, entry in candidates:
        vid, number = task.video.video_id, entry["number"]
        texts = [entry["correct"], *entry["wrong"]]
        for trial in range(trials):
            order, answer = _shown(ctx.config.seed, vid, number, f"{purpose}/{trial}")
            key = (vid, number, trial)
            expected[key] = answer
            messages = messages_for(task, entry, [texts[index] for index in order])
            calls.append(Call(key, role, sampling, f"{vid}/{purpose}/{number}.{trial}", messages, parse_letter))
    outcomes = ctx.caller.run(calls)
    verdicts: dict = {}
    for key, answer in expected.items():
        outcome = outcomes[key]
        letter = LETTERS.index(outcome.value) if outcome.ok else None
        verdicts.setdefault(key[:2], []).append((letter, answer))
    return verdicts


def _always_right(verdicts: list[tuple[int | None, int]]) -> bool:
    return all(letter == answer for letter, answer in verdicts)


def checks(ctx: StageContext, tasks: list[Task]) -> dict[str, dict]:
    settings = ctx.config.checks
    entries = {task.video.video_id: [dict(entry) for entry in task.inputs["options"]["questions"]] for task in tasks}

    def alive() -> list[tuple[Task, dict]]:
        return [(task, entry) for task in tasks for entry in entries[task.video.video_id] if "dropped" not in entry]

    def drop_where(verdicts: dict, test, reason: str) -> None:
        for task, entry in alive():
            if test(verdicts[(task.video.video_id, entry["number"])]):
                entry["dropped"] = {"reason": reason, "detail": ""}

    if settings.leakage:
        verdicts = _judge(
            ctx,
            alive(),
            "leakage",
            "leakage",
            "judge",
            lambda task, entry, shown: prompts.leakage(entry["question"], shown),
        )
        drop_where(verdicts, _always_right, "answerable_without_media")
    if settings.single_modality:
        for name, label in (("visual", "seen"), ("audio", "heard")):
            verdicts = _judge(
                ctx,
                alive(),
                f"single_modality_{name}",
                "single_modality",
                "text",
                lambda task, entry, shown, name=name, label=label: prompts.single_modality(
                    label, descriptions(task)[name], entry["question"], shown
                ),
            )
            drop_where(verdicts, _always_right, f"answerable_from_{name}_only")
    if settings.support:
        verdicts = _judge(
            ctx,
            alive(),
            "support",
            "support",
            "text",
            lambda task, entry, shown: prompts.support(descriptions(task), entry["question"], shown),
        )
        drop_where(verdicts, lambda found: found[0][0] is None, "support_unanswered")
        drop_where(verdicts, lambda found: not _always_right(found), "not_supported_by_captions")
    results = {}
    for task in tasks:
        statuses = []
        for entry in entries[task.video.video_id]:
            status = {"number": entry["number"], "kept": "dropped" not in entry}
            if "dropped" in entry:
                status.update(entry["dropped"])
            statuses.append(status)
        results[task.video.video_id] = ok({"questions": statuses})
    return results
