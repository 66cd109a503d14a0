"""The chats the pipeline sends, built from the templates in prompts/ (plain text with ``$name`` slots).

Templates live in text files so that prompt wording can be reviewed and changed without touching code;
filling is strict (a template slot without a value is an error), so a renamed slot cannot silently send a
literal ``$audio`` to a model.
"""

from __future__ import annotations

import functools
import os
import string
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .engine_messages import audio_part, text_part, video_part
from .pipeline_times import clock, time_range

PROMPTS_DIR = Path(__file__).parent / "prompts"
LETTERS = "ABCD"

Messages = list[dict[str, Any]]


@functools.cache
def template(name: str) -> string.Template:
    return string.Template((PROMPTS_DIR / f"{name}.txt").read_text(encoding="utf-8").strip())


def render(name: str, **values: str) -> str:
    try:
        return template(name).substitute(values)
    except KeyError as error:
        raise ValueError(f"prompt template {name!r} needs a value for ${error.args[0]}") from None


def _chat(system: str, *user_parts: dict[str, Any]) -> Messages:
    return [
        {"role": "system", "content": render(system)},
        {"role": "user", "content": list(user_parts)},
    ]


def timeline(entries: Sequence[tuple[float, float, str]]) -> str:
    """Timestamped descriptions, one per line: "From 00:00:00.000 to 00:00:12.000: <text>"."""
    return "\n".join(f"{time_range(start, end)}: {text.strip()}" for start, end, text in entries)


def lettered(options: Sequence[str]) -> str:
    return "\n".join(f"{LETTERS[index]}. {option}" for index, option in enumerate(options))


def visual_caption(video: str | os.PathLike, start: float, end: float, num_frames: int) -> Messages:
    return _chat("visual_system", video_part(video, start, end, num_frames), text_part(render("visual_caption")))


def audio_caption(media: str | os.PathLike, start: float, end: float) -> Messages:
    return _chat("audio_system", audio_part(media, start, end), text_part(render("audio_caption")))


def audio_merge(start: float, end: float, pieces: Sequence[tuple[float, float, str]]) -> Messages:
    prompt = render("audio_merge", start=clock(start), end=clock(end), pieces=timeline(pieces))
    return _chat("text_system", text_part(prompt))


def clip_fusion(start: float, end: float, audio: str, visual: str) -> Messages:
    prompt = render("clip_fusion", start=clock(start), end=clock(end), audio=audio.strip(), visual=visual.strip())
    return _chat("text_system", text_part(prompt))


def video_fusion(label: str, entries: Sequence[tuple[float, float, str]]) -> Messages:
    return _chat("text_system", text_part(render("video_fusion", label=label, descriptions=timeline(entries))))


def questions(descriptions: dict[str, str]) -> Messages:
    return _chat("text_system", text_part(render("questions", **descriptions)))


def options(descriptions: dict[str, str], question: str) -> Messages:
    return _chat("text_system", text_part(render("options", question=question, **descriptions)))


def time_range_choice(descriptions: dict[str, str], question: str, ranges: Sequence[tuple[float, float]]) -> Messages:
    listed = "\n".join(time_range(start, end) for start, end in ranges)
    return _chat("text_system", text_part(render("time_range", question=question, ranges=listed, **descriptions)))


def leakage(question: str, shown_options: Sequence[str]) -> Messages:
    return _chat("judge_system", text_part(render("leakage", question=question, options=lettered(shown_options))))


def support(descriptions: dict[str, str], question: str, shown_options: Sequence[str]) -> Messages:
    prompt = render("support", question=question, options=lettered(shown_options), **descriptions)
    return _chat("judge_system", text_part(prompt))


def single_modality(label: str, description: str, question: str, shown_options: Sequence[str]) -> Messages:
    prompt = render(
        "single_modality", label=label, description=description, question=question, options=lettered(shown_options)
    )
    return _chat("judge_system", text_part(prompt))
