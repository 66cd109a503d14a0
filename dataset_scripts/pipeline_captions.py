"""Captioning and fusion stages: per-clip visual and audio captions, the audio pieces merged, sound and picture
fused per clip, then each of the three kinds of caption fused across the clips into one timestamped account.

A video whose captions fail for any clip (after the bounded retries) fails as a whole: every later stage and
the dataset's segments need all three captions of every clip.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

from . import pipeline_prompts as prompts
from .pipeline_calls import Call, Outcome
from .pipeline_chunking import audio_chunks
from .pipeline_parsers import parse_caption
from .pipeline_store import failed, ok

if TYPE_CHECKING:
    from .pipeline_stages import StageContext, Task

FUSION_LABELS = {"visual": "visual", "audio": "audio", "audio_visual": "audio-visual"}


def _clips(task: Task) -> list[tuple[float, float]]:
    return [(start, end) for start, end in task.inputs["segments"]["clips"]]


def _collect(keys: list[Hashable], outcomes: dict[Hashable, Outcome]) -> dict | None:
    """The failure of the first failed call of a video, or None when all its calls worked."""
    for key in keys:
        outcome = outcomes[key]
        if not outcome.ok:
            return failed(outcome.reason, f"{'/'.join(map(str, key[1:]))}: {outcome.detail}")
    return None


def _per_clip(ctx: StageContext, tasks: list[Task], build) -> dict[str, dict]:
    """Run ``build(task, index, start, end) -> Call | str`` for every clip (a string is a result needing no call)
    and return ``{"captions": [...]}`` per video."""
    calls, plans = [], {}
    for task in tasks:
        plan = []
        for index, (start, end) in enumerate(_clips(task)):
            item = build(task, index, start, end)
            if isinstance(item, Call):
                calls.append(item)
                plan.append(item.key)
            else:
                plan.append(item)
        plans[task.video.video_id] = plan
    outcomes = ctx.caller.run(calls)
    results = {}
    for task in tasks:
        plan = plans[task.video.video_id]
        keys = [item for item in plan if isinstance(item, tuple)]
        problem = _collect(keys, outcomes)
        captions = [outcomes[item].value if isinstance(item, tuple) else item for item in plan]
        results[task.video.video_id] = problem or ok({"captions": captions})
    return results


def visual(ctx: StageContext, tasks: list[Task]) -> dict[str, dict]:
    frames = ctx.config.captions.num_frames

    def build(task, index, start, end):
        vid = task.video.video_id
        messages = prompts.visual_caption(task.video.path, start, end, frames)
        return Call((vid, "clip", index), "visual", "visual_caption", f"{vid}/visual/{index}", messages, parse_caption)

    return _per_clip(ctx, tasks, build)


def audio(ctx: StageContext, tasks: list[Task]) -> dict[str, dict]:
    """Captions of every <= 30 s piece of every clip: ``{"chunks": [[{start, end, caption}, ...] per clip]}``."""
    limit = ctx.config.captions.audio_chunk_seconds
    calls, pieces = [], {}
    for task in tasks:
        vid = task.video.video_id
        pieces[vid] = [audio_chunks(start, end, limit) for start, end in _clips(task)]
        for index, chunks in enumerate(pieces[vid]):
            for part, (start, end) in enumerate(chunks):
                messages = prompts.audio_caption(task.video.path, start, end)
                call_id = f"{vid}/audio/{index}.{part}"
                calls.append(
                    Call((vid, "clip", index, part), "audio", "audio_caption", call_id, messages, parse_caption)
                )
    outcomes = ctx.caller.run(calls)
    results = {}
    for task in tasks:
        vid = task.video.video_id
        keys = [(vid, "clip", index, part) for index, chunks in enumerate(pieces[vid]) for part in range(len(chunks))]
        problem = _collect(keys, outcomes)
        chunks = [
            [
                {"start": round(start, 6), "end": round(end, 6), "caption": outcomes[(vid, "clip", index, part)].value}
                for part, (start, end) in enumerate(clip_chunks)
            ]
            for index, clip_chunks in enumerate(pieces[vid])
        ]
        results[vid] = problem or ok({"chunks": chunks})
    return results


def audio_merge(ctx: StageContext, tasks: list[Task]) -> dict[str, dict]:
    """One audio caption per clip: a single piece is kept as it is, several are merged by the text model."""

    def build(task, index, start, end):
        chunks = task.inputs["audio"]["chunks"][index]
        if len(chunks) == 1:
            return chunks[0]["caption"]
        vid = task.video.video_id
        pieces = [(chunk["start"], chunk["end"], chunk["caption"]) for chunk in chunks]
        messages = prompts.audio_merge(start, end, pieces)
        return Call((vid, "clip", index), "text", "audio_merge", f"{vid}/audio_merge/{index}", messages, parse_caption)

    return _per_clip(ctx, tasks, build)


def clip_fusion(ctx: StageContext, tasks: list[Task]) -> dict[str, dict]:
    def build(task, index, start, end):
        vid = task.video.video_id
        sound = task.inputs["audio_merge"]["captions"][index]
        sight = task.inputs["visual"]["captions"][index]
        messages = prompts.clip_fusion(start, end, sound, sight)
        return Call((vid, "clip", index), "text", "clip_fusion", f"{vid}/clip_fusion/{index}", messages, parse_caption)

    return _per_clip(ctx, tasks, build)


def video_fusion(ctx: StageContext, tasks: list[Task]) -> dict[str, dict]:
    """The whole video's ``visual``, ``audio`` and ``audio_visual`` accounts, each fused across the clips."""
    sources = {"visual": "visual", "audio": "audio_merge", "audio_visual": "clip_fusion"}
    calls = []
    for task in tasks:
        vid = task.video.video_id
        for name, stage in sources.items():
            captions = task.inputs[stage]["captions"]
            entries = [(start, end, caption) for (start, end), caption in zip(_clips(task), captions)]
            messages = prompts.video_fusion(FUSION_LABELS[name], entries)
            calls.append(
                Call((vid, name), "text", "video_fusion", f"{vid}/video_fusion/{name}", messages, parse_caption)
            )
    outcomes = ctx.caller.run(calls)
    results = {}
    for task in tasks:
        vid = task.video.video_id
        problem = _collect([(vid, name) for name in sources], outcomes)
        results[vid] = problem or ok({name: outcomes[(vid, name)].value for name in sources})
    return results
