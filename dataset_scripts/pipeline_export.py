"""The end product: the work folder's kept questions as dataset folders in the shared record format.

``savenvid`` (train: ``qa`` and ``captions`` configs) takes every finished video. ``avbench`` (test) takes only
videos with at least ``min_events`` captioned segments (the paper's floor of three events) and leaves out the
questions a reviewer marked ``drop`` in the review CSV. Options are placed with `pipeline_letters` per folder,
so each folder's correct letters are balanced on their own.

Folders are rebuilt from the stored results on every export and swapped in only once complete, so a kill during
an export leaves the previous folder (or none), never a mix.
"""

from __future__ import annotations

import csv
import os
import shutil
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .avbench_records import AVBenchRecord, Segment
from .hub_dataset import write_dataset_folder
from .pipeline_config import PipelineConfig
from .pipeline_letters import Placed, Unplaced, place_options
from .pipeline_store import WorkDir
from .pipeline_videos import Video


@dataclass(frozen=True)
class Question:
    question_id: str
    question: str
    question_type: str
    correct: str
    wrong: tuple[str, ...]


@dataclass(frozen=True)
class FinishedVideo:
    """What the export needs of one video whose every stage succeeded."""

    video: Video
    duration: float
    segments: tuple[Segment, ...]
    fused: dict[str, str]
    questions: tuple[Question, ...]


def finished_videos(store: WorkDir, videos: list[Video]) -> list[FinishedVideo]:
    """The videos whose checks stage succeeded, with their segments and kept questions."""
    finished = []
    for video in videos:
        if store.states(video.video_id).get("checks") != "ok":
            continue
        results = {
            stage: store.read(video.video_id, stage)["ok"]
            for stage in ("segments", "visual", "audio_merge", "clip_fusion", "video_fusion", "options", "checks")
        }
        segments = tuple(
            Segment(start, end, sight, sound, both)
            for (start, end), sight, sound, both in zip(
                results["segments"]["clips"],
                results["visual"]["captions"],
                results["audio_merge"]["captions"],
                results["clip_fusion"]["captions"],
            )
        )
        kept = {status["number"] for status in results["checks"]["questions"] if status["kept"]}
        questions = tuple(
            Question(
                f"{video.video_id}-q{entry['number']}",
                entry["question"],
                entry["question_type"],
                entry["correct"],
                tuple(entry["wrong"]),
            )
            for entry in results["options"]["questions"]
            if entry["number"] in kept
        )
        finished.append(
            FinishedVideo(video, results["segments"]["duration"], segments, results["video_fusion"], questions)
        )
    return finished


def read_review_decisions(path: str | os.PathLike) -> set[str]:
    """Question ids marked ``drop`` (or ``reject``) in the ``verdict`` column of a reviewed CSV."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"question_id", "verdict"} <= set(reader.fieldnames):
            raise ValueError(f"{os.fspath(path)}: a review file needs 'question_id' and 'verdict' columns")
        return {row["question_id"] for row in reader if (row["verdict"] or "").strip().lower() in ("drop", "reject")}


@dataclass
class Selection:
    """One folder's content before writing, and what was left out of it and why."""

    kind: str
    videos: list[FinishedVideo]
    questions: list[tuple[FinishedVideo, Question]]
    excluded_videos: Counter
    excluded_questions: Counter


def select(kind: str, finished: list[FinishedVideo], config: PipelineConfig) -> Selection:
    rejected = set()
    if kind == "avbench" and config.export.review_decisions:
        rejected = read_review_decisions(config.export.review_decisions)
    selection = Selection(kind, [], [], Counter(), Counter())
    for item in finished:
        if kind == "avbench" and len(item.segments) < config.export.min_events:
            selection.excluded_videos["too_few_events"] += 1
            selection.excluded_questions["too_few_events"] += len(item.questions)
            continue
        kept = [question for question in item.questions if question.question_id not in rejected]
        selection.excluded_questions["manual_review"] += len(item.questions) - len(kept)
        if not kept:
            selection.excluded_videos["no_questions_kept"] += 1
            continue
        selection.videos.append(item)
        selection.questions.extend((item, question) for question in kept)
    return selection


def records(selection: Selection, config: PipelineConfig) -> list[AVBenchRecord]:
    placed: dict[str, Placed] = place_options(
        [Unplaced(q.question_id, q.question_type, q.correct, q.wrong) for _, q in selection.questions],
        config.seed,
    )
    with_captions = selection.kind == "savenvid"
    return [
        AVBenchRecord(
            video_id=item.video.video_id,
            video=item.video.relpath,
            duration=item.duration,
            source=config.export.source,
            question_id=question.question_id,
            question=question.question,
            options=placed[question.question_id].options,
            answer=placed[question.question_id].answer,
            question_type=question.question_type,
            segments=item.segments if with_captions else None,
        )
        for item, question in selection.questions
    ]


def _swap_in(built: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.old")
    if target.exists():
        os.replace(target, old)
    os.replace(built, target)
    shutil.rmtree(old, ignore_errors=True)


def sweep_partial(datasets_dir: Path) -> None:
    """Remove folders a killed export left half built or half replaced."""
    if datasets_dir.is_dir():
        for stale in datasets_dir.glob(".*.partial"):
            shutil.rmtree(stale, ignore_errors=True)
        for stale in datasets_dir.glob(".*.old"):
            shutil.rmtree(stale, ignore_errors=True)


def write_folder(selection: Selection, config: PipelineConfig, videos_dir: Path, target: Path) -> list[AVBenchRecord]:
    """Write the selection's dataset folder at ``target`` (replacing an older one); [] when nothing to write."""
    rows = records(selection, config)
    if not rows:
        return rows
    target.parent.mkdir(parents=True, exist_ok=True)
    built = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
    write_dataset_folder(rows, built, selection.kind, copy_media_from=videos_dir if config.export.copy_media else None)
    _swap_in(built, target)
    return rows


def export_report(selection: Selection, rows: list[AVBenchRecord], folder: str) -> dict[str, Any]:
    """What one folder holds and what was left out of it; ``folder`` is its path in the work folder."""
    return {
        "folder": folder if rows else None,
        "videos": len(selection.videos),
        "questions": len(rows),
        "answer_letters": dict(sorted(Counter(row.answer for row in rows).items())),
        "excluded_videos": dict(sorted(selection.excluded_videos.items())),
        "excluded_questions": dict(sorted((k, v) for k, v in selection.excluded_questions.items() if v)),
    }
