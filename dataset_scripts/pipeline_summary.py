"""What a run achieved, counted from the work folder itself rather than from the run's memory, so that a resumed
run reports the same totals as an uninterrupted one: videos done / failed (by stage and reason) / pending, and
questions kept / dropped (by reason)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .pipeline_parsers import NUM_QUESTIONS
from .pipeline_store import WorkDir
from .pipeline_videos import Video


def summarize(store: WorkDir, videos: list[Video], stage_names: tuple[str, ...]) -> dict[str, Any]:
    per_stage = {name: Counter() for name in stage_names}
    failures: Counter = Counter()
    dropped: Counter = Counter()
    done = pending = generated = kept = 0
    for video in videos:
        states = store.states(video.video_id)
        for name in stage_names:
            if name in states:
                per_stage[name][states[name]] += 1
        failed_at = next((name for name in stage_names if states.get(name) == "failed"), None)
        if failed_at is not None:
            failures[f"{failed_at}:{store.read(video.video_id, failed_at)['failed']['reason']}"] += 1
        elif states.get(stage_names[-1]) == "ok":
            done += 1
            statuses = store.read(video.video_id, stage_names[-1])["ok"]["questions"]
            generated += NUM_QUESTIONS
            kept += sum(status["kept"] for status in statuses)
            dropped.update(status["reason"] for status in statuses if not status["kept"])
        else:
            pending += 1
    return {
        "videos": {
            "total": len(videos),
            "done": done,
            "failed": sum(failures.values()),
            "pending": pending,
            "failed_by_reason": dict(sorted(failures.items())),
        },
        "stages": {name: {"ok": counts["ok"], "failed": counts["failed"]} for name, counts in per_stage.items()},
        "questions": {
            "generated": generated,
            "kept": kept,
            "dropped": generated - kept,
            "dropped_by_reason": dict(sorted(dropped.items())),
        },
    }
