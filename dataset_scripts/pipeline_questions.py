"""Question stages: five questions per video from its fused accounts, then one correct and three wrong options for
each question that keeps its rules.

Questions 1-4 get their options from the text model. Question 5 asks when something happens: its options are
time ranges built from the video's own segments, so the model only picks which segment answers it and three
other segments become the wrong options. A video needs at least four segments for that question.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from . import pipeline_prompts as prompts
from .pipeline_calls import Call, derive_seed
from .pipeline_checks import QUESTION_TYPES_BY_NUMBER, check_options, near_duplicates, time_rule_violation
from .pipeline_parsers import NUM_WRONG, parse_options, parse_questions, parse_time_choice
from .pipeline_store import failed, ok
from .pipeline_times import time_range

if TYPE_CHECKING:
    from .pipeline_stages import StageContext, Task

TIME_RANGE_QUESTION = 5


def descriptions(task: Task) -> dict[str, str]:
    """The three fused accounts, under the names the prompt templates use."""
    fused = task.inputs["video_fusion"]
    return {"audio": fused["audio"], "visual": fused["visual"], "audio_visual": fused["audio_visual"]}


def questions(ctx: StageContext, tasks: list[Task]) -> dict[str, dict]:
    calls = [
        Call(
            task.video.video_id,
            "text",
            "questions",
            f"{task.video.video_id}/questions",
            prompts.questions(descriptions(task)),
            parse_questions,
        )
        for task in tasks
    ]
    outcomes = ctx.caller.run(calls)
    results = {}
    for task in tasks:
        outcome = outcomes[task.video.video_id]
        results[task.video.video_id] = (
            ok({"questions": outcome.value}) if outcome.ok else failed(outcome.reason, outcome.detail)
        )
    return results


def _drop(entry: dict, reason: str, detail: str = "") -> None:
    entry["dropped"] = {"reason": reason, "detail": detail}


def _screen(ctx: StageContext, task: Task) -> list[dict]:
    """Entries for the five questions, those breaking a time rule or repeating another already dropped."""
    duration = task.inputs["segments"]["duration"]
    tolerance = ctx.config.checks.time_tolerance_s
    entries = []
    for number, question in enumerate(task.inputs["questions"]["questions"], start=1):
        entry = {"number": number, "question": question, "question_type": QUESTION_TYPES_BY_NUMBER[number]}
        violation = time_rule_violation(number, question, duration, tolerance)
        if violation:
            _drop(entry, violation)
        entries.append(entry)
    alive = [entry for entry in entries if "dropped" not in entry]
    for index in near_duplicates([entry["question"] for entry in alive], ctx.config.checks.near_duplicate_jaccard):
        _drop(alive[index], "near_duplicate")
    return entries


def options(ctx: StageContext, tasks: list[Task]) -> dict[str, dict]:
    """``{"questions": [{number, question, question_type, correct, wrong} or {..., dropped: {reason, detail}}]}``."""
    calls, screened = [], {}
    for task in tasks:
        vid = task.video.video_id
        clips = [tuple(clip) for clip in task.inputs["segments"]["clips"]]
        screened[vid] = _screen(ctx, task)
        for entry in screened[vid]:
            if "dropped" in entry:
                continue
            number, key = entry["number"], (vid, entry["number"])
            if number != TIME_RANGE_QUESTION:
                messages = prompts.options(descriptions(task), entry["question"])
                calls.append(Call(key, "text", "options", f"{vid}/options/{number}", messages, _parse_option_set))
            elif len(clips) < NUM_WRONG + 1:
                _drop(entry, "too_few_segments_for_time_range", f"{len(clips)} segments")
            else:
                messages = prompts.time_range_choice(descriptions(task), entry["question"], clips)
                call_id = f"{vid}/time_range/{number}"
                calls.append(Call(key, "text", "time_range", call_id, messages, _range_parser(clips)))
    outcomes = ctx.caller.run(calls)
    results = {}
    for task in tasks:
        vid = task.video.video_id
        clips = [tuple(clip) for clip in task.inputs["segments"]["clips"]]
        for entry in screened[vid]:
            outcome = outcomes.get((vid, entry["number"]))
            if outcome is None:
                continue
            if not outcome.ok:
                _drop(entry, outcome.reason, outcome.detail)
            elif entry["number"] == TIME_RANGE_QUESTION:
                entry["correct"], entry["wrong"] = _range_options(ctx.config.seed, vid, clips, outcome.value)
            else:
                entry["correct"], entry["wrong"] = outcome.value.correct, list(outcome.value.wrong)
        results[vid] = ok({"questions": screened[vid]})
    return results


def _parse_option_set(text: str):
    return check_options(parse_options(text))


def _range_parser(clips: list[tuple[float, float]]):
    return lambda text: parse_time_choice(text, clips)


def _range_options(seed: int, vid: str, clips: list[tuple[float, float]], answer: int) -> tuple[str, list[str]]:
    """The answer segment's range and three other segments' ranges, chosen with a per-video seed."""
    others = random.Random(derive_seed(seed, vid, "time_ranges")).sample(
        [index for index in range(len(clips)) if index != answer], NUM_WRONG
    )
    return time_range(*clips[answer]), [time_range(*clips[index]) for index in sorted(others)]
