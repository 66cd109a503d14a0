"""Scripted replies for the echo engine, so the whole pipeline runs with no model: a config smoke test, the
orchestration benchmark and the end-to-end tests.

Use ``reply: savenvideo.dataset_scripts.pipeline_dry_run:reply`` in an echo engine's settings. Each reply is a
well-formed answer of the kind the stage asks for, derived only from the request (its id names the video and the
stage, its prompt carries the clip times), so runs are reproducible. The judges behave like a weak model: the
text-only judge always says "A" (leaking about one question in sixteen), the caption judge finds the key.
"""

from __future__ import annotations

import hashlib
import re

from .engine_base import ChatRequest
from .engine_messages import message_text
from .pipeline_times import clock, parse_range, time_range

_RANGE_LINE = re.compile(r"^From \d\d:\d\d:\d\d\.\d{3} to \d\d:\d\d:\d\d\.\d{3}")
_OPTION_LINE = re.compile(r"^([A-D])\. (.*)$")
_SOUNDS = ("a bell rings", "a dog barks", "rain patters", "an engine hums", "people applaud", "a flute plays")
_SIGHTS = ("a red door opens", "a cyclist passes", "waves break", "a lamp flickers", "a crowd gathers", "a bird lands")
KEY_MARK = "matching sound and sight"


def _pick(options: tuple[str, ...], *parts: str) -> str:
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return options[digest[0] % len(options)]


def _user_text(request: ChatRequest) -> str:
    return message_text([m for m in request.messages if m["role"] == "user"][-1])


def reply(request: ChatRequest) -> str:
    video, stage, item = (request.request_id.split("#")[0].split("/", 2) + [""])[:3]
    text = _user_text(request)
    ranges = [line for line in text.splitlines() if _RANGE_LINE.match(line)]
    if stage == "visual":
        return f"In clip {item}, {_pick(_SIGHTS, video, item)} under steady daylight while the camera holds still."
    if stage == "audio":
        return f"In this piece {_pick(_SOUNDS, video, item)} over a quiet room tone, at an even tempo."
    if stage == "video_fusion":
        return "\n".join(ranges)
    if stage in ("audio_merge", "clip_fusion"):
        return f"{_pick(_SIGHTS, video, stage, item).capitalize()} while {_pick(_SOUNDS, video, stage, item)}."
    if stage == "questions":
        return _questions(video, ranges)
    if stage == "options":
        return _options(video, item)
    if stage == "time_range":
        listed = [line for line in text.splitlines() if parse_range(line)]
        return listed[0] if listed else "none"
    if stage == "support":
        return _key_letter(text)
    return "A"  # leakage and single-modality judges: a model that cannot tell


def _questions(video: str, ranges: list[str]) -> str:
    spans = [parse_range(_RANGE_LINE.match(line).group(0)) for line in ranges] or [(0.0, 1.0)]
    middle = clock(sum(spans[0]) / 2)
    later = spans[1] if len(spans) > 1 else spans[0]
    return "\n".join(
        [
            f"Question 1: Which sound accompanies the moment when {_pick(_SIGHTS, video, 'q1')} in {video}?",
            f"Question 2: What is visible on screen whenever {_pick(_SOUNDS, video, 'q2')} during the recording?",
            f"Question 3: At {middle}, how does the soundtrack relate to the action in view?",
            f"Question 4: {time_range(*later)}, what links the noise to the movement shown?",
            "Question 5: During which interval do the audible cue and the visible event first coincide?",
        ]
    )


def _options(video: str, number: str) -> str:
    sound, sight = _pick(_SOUNDS, video, number, "o"), _pick(_SIGHTS, video, number, "o")
    return "\n".join(
        [
            f"Correct option: A {KEY_MARK}: {sound} exactly as {sight}.",
            f"Option 1: Silence while {sight}, the sound coming only later.",
            f"Option 2: {sound.capitalize()} with nothing changing on screen.",
            "Option 3: Music unrelated to anything shown.",
        ]
    )


def _key_letter(text: str) -> str:
    options = [match.groups() for match in map(_OPTION_LINE.match, text.splitlines()) if match]
    for letter, option in options:
        if KEY_MARK in option:
            return letter
    timed = [(parse_range(option), letter) for letter, option in options]
    timed = [(interval, letter) for interval, letter in timed if interval is not None]
    return min(timed)[1] if timed else "A"
