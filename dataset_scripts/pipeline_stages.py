"""The stages in order, what each reads, and which models it needs.

Every stage is a function of a batch of videos (each with the results of the stages it reads) that returns one
result per video: ``{"ok": payload}`` or ``{"failed": {"reason", "detail"}}``. Stages never touch files; the runner
stores their results, which is what makes every stage resumable in the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import pipeline_captions, pipeline_judges, pipeline_questions
from .pipeline_calls import Caller
from .pipeline_config import PipelineConfig
from .pipeline_segments import Segmenter
from .pipeline_videos import Video


@dataclass(frozen=True)
class Task:
    video: Video
    inputs: dict[str, dict[str, Any]]


@dataclass
class StageContext:
    config: PipelineConfig
    caller: Caller
    segmenter: Segmenter


StageFunction = Callable[[StageContext, list[Task]], dict[str, dict]]


@dataclass(frozen=True)
class Stage:
    name: str
    run: StageFunction
    reads: tuple[str, ...]
    roles: tuple[str, ...]


def _segments(ctx: StageContext, tasks: list[Task]) -> dict[str, dict]:
    return {task.video.video_id: ctx.segmenter(task.video.path) for task in tasks}


STAGES = (
    Stage("segments", _segments, (), ()),
    Stage("visual", pipeline_captions.visual, ("segments",), ("visual",)),
    Stage("audio", pipeline_captions.audio, ("segments",), ("audio",)),
    Stage("audio_merge", pipeline_captions.audio_merge, ("segments", "audio"), ("text",)),
    Stage("clip_fusion", pipeline_captions.clip_fusion, ("segments", "visual", "audio_merge"), ("text",)),
    Stage(
        "video_fusion", pipeline_captions.video_fusion, ("segments", "visual", "audio_merge", "clip_fusion"), ("text",)
    ),
    Stage("questions", pipeline_questions.questions, ("video_fusion",), ("text",)),
    Stage("options", pipeline_questions.options, ("segments", "video_fusion", "questions"), ("text",)),
    Stage("checks", pipeline_judges.checks, ("video_fusion", "options"), ("judge", "text")),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)
