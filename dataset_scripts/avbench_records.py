"""The AVBench record: one multiple-choice question about one video, the unit every tool here reads and writes.

The paper never published AVBench's format, so this module defines it once; the dataset cards, the Hub
folders, the converters of other benchmarks, the metric and the eval runner all use it. A record may carry
the per-video ``segments`` (timestamped visual / audio / audio-visual captions) that SAVEn-Vid is built from.

Video paths are relative to the dataset root and are only ever opened through :func:`resolve_video_path`,
so that a crafted row cannot make a tool read or overwrite files outside the dataset.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from .avbench_errors import RecordError, UnsafeVideoPathError

LETTERS = "ABCD"
MIN_OPTIONS = 2
MAX_OPTIONS = len(LETTERS)

# The paper's three kinds of question (its QA prompt asks for two of each of the first two and one of the third).
NO_TIMESTAMP = "no_timestamp"  # the question mentions no time
TIMESTAMP_IN_QUESTION = "timestamp_in_question"  # the question names a time or an interval
CHOOSE_TIME_RANGE = "choose_time_range"  # the options are time ranges; pick the one where something happens
QUESTION_TYPES = (NO_TIMESTAMP, TIMESTAMP_IN_QUESTION, CHOOSE_TIME_RANGE)

QA_FIELDS = (
    "video_id",
    "video",
    "duration",
    "source",
    "question_id",
    "question",
    "options",
    "answer",
    "question_type",
    "category",
)
SEGMENT_FIELDS = ("start", "end", "visual_caption", "audio_caption", "audio_visual_caption")
CAPTION_FIELDS = ("video_id", "video", "duration", "source", "segments")


@dataclass(frozen=True)
class Segment:
    """One shot-bounded stretch of a video with its three captions (times in seconds from the start)."""

    start: float
    end: float
    visual_caption: str
    audio_caption: str
    audio_visual_caption: str

    def __post_init__(self):
        for name in ("start", "end"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise RecordError("segment", f"{name} must be a finite number of seconds, got {value!r}")
        if self.start < 0 or self.end <= self.start:
            raise RecordError("segment", f"needs 0 <= start < end, got start={self.start} end={self.end}")
        for name in SEGMENT_FIELDS[2:]:
            if not isinstance(getattr(self, name), str):
                raise RecordError("segment", f"{name} must be a string")

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in SEGMENT_FIELDS}


@dataclass(frozen=True)
class AVBenchRecord:
    """One question. ``answer`` is the letter of the correct option; ``category`` keeps a converted benchmark's
    own task label (Video-MME's task type, Music-AVQA's question type); ``segments`` are SAVEn-Vid captions."""

    video_id: str
    video: str
    duration: float | None
    source: str
    question_id: str
    question: str
    options: tuple[str, ...]
    answer: str
    question_type: str
    category: str | None = None
    segments: tuple[Segment, ...] | None = None

    def __post_init__(self):
        where = f"question {self.question_id!r}"
        for name in ("video_id", "source", "question_id", "question"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise RecordError(where, f"{name} must be a non-empty string, got {value!r}")
        check_video_path(self.video, where)
        if self.duration is not None and (
            isinstance(self.duration, bool)
            or not isinstance(self.duration, (int, float))
            or not math.isfinite(self.duration)
            or self.duration <= 0
        ):
            raise RecordError(where, f"duration must be a positive number of seconds or null, got {self.duration!r}")
        if not isinstance(self.options, tuple) or not all(isinstance(o, str) and o.strip() for o in self.options):
            raise RecordError(where, "options must be a list of non-empty strings")
        if not MIN_OPTIONS <= len(self.options) <= MAX_OPTIONS:
            raise RecordError(where, f"needs {MIN_OPTIONS} to {MAX_OPTIONS} options, got {len(self.options)}")
        if len({o.strip().casefold() for o in self.options}) != len(self.options):
            raise RecordError(where, "two options have the same text")
        if self.answer not in LETTERS[: len(self.options)]:
            raise RecordError(
                where, f"answer must be one of {', '.join(LETTERS[: len(self.options)])}, got {self.answer!r}"
            )
        if self.question_type not in QUESTION_TYPES:
            raise RecordError(where, f"question_type must be one of {QUESTION_TYPES}, got {self.question_type!r}")
        if self.category is not None and not isinstance(self.category, str):
            raise RecordError(where, f"category must be a string or null, got {self.category!r}")
        if self.segments is not None:
            self._check_segments(where)

    def _check_segments(self, where: str) -> None:
        if not isinstance(self.segments, tuple) or not all(isinstance(s, Segment) for s in self.segments):
            raise RecordError(where, "segments must be a list of segments")
        starts = [s.start for s in self.segments]
        if starts != sorted(starts):
            raise RecordError(where, "segments must be sorted by start time")
        if self.duration is not None and self.segments and self.segments[-1].end > self.duration + 1.0:
            raise RecordError(
                where, f"a segment ends at {self.segments[-1].end} s, after the video's {self.duration} s"
            )

    @property
    def answer_index(self) -> int:
        return LETTERS.index(self.answer)

    def video_path(self, root: str | os.PathLike) -> Path:
        """The video file under dataset ``root``; refuses a path that leaves it (see :func:`resolve_video_path`)."""
        return resolve_video_path(self.video, root, f"question {self.question_id!r}")

    @classmethod
    def from_dict(cls, row: Mapping[str, Any], where: str | os.PathLike) -> AVBenchRecord:
        """Build a record from a JSON / Parquet row; any error names ``where`` (a file and row)."""
        where = os.fspath(where)
        if not isinstance(row, Mapping):
            raise RecordError(where, f"a record must be an object, got {type(row).__name__}")
        missing = [name for name in QA_FIELDS if name not in row and name != "category"]
        if missing:
            raise RecordError(where, f"missing field(s): {', '.join(missing)}")
        unknown = sorted(set(row) - set(QA_FIELDS) - {"segments"})
        if unknown:
            raise RecordError(where, f"unknown field(s): {', '.join(unknown)}")
        try:
            options = row["options"]
            if not isinstance(options, (list, tuple)):
                raise RecordError(where, f"options must be a list, got {type(options).__name__}")
            segments = row.get("segments")
            if segments is not None:
                if not isinstance(segments, (list, tuple)) or not all(isinstance(s, Mapping) for s in segments):
                    raise RecordError(where, "segments must be a list of objects")
                segments = tuple(_segment_from_dict(s) for s in segments)
            return cls(
                video_id=row["video_id"],
                video=row["video"],
                duration=row["duration"],
                source=row["source"],
                question_id=row["question_id"],
                question=row["question"],
                options=tuple(options),
                answer=row["answer"],
                question_type=row["question_type"],
                category=row.get("category"),
                segments=segments,
            )
        except RecordError as error:
            raise type(error)(where, error.reason) from None

    def to_qa_row(self) -> dict[str, Any]:
        """The row of the question configs (AVBench ``test``, SAVEn-Vid ``qa``): every field but the captions."""
        row = {name: getattr(self, name) for name in QA_FIELDS}
        row["options"] = list(self.options)
        return row

    def to_dict(self) -> dict[str, Any]:
        row = self.to_qa_row()
        row["segments"] = None if self.segments is None else [s.to_dict() for s in self.segments]
        return row


def _segment_from_dict(row: Mapping[str, Any]) -> Segment:
    missing = [name for name in SEGMENT_FIELDS if name not in row]
    if missing:
        raise RecordError("segment", f"missing field(s): {', '.join(missing)}")
    return Segment(**{name: row[name] for name in SEGMENT_FIELDS})


def check_video_path(video: object, where: str | os.PathLike) -> PurePosixPath:
    """Refuse a video path that could point outside the dataset: absolute, with '..', or Windows-style.

    This is the check that needs no file system; :func:`resolve_video_path` adds the symlink check.
    """
    where = os.fspath(where)
    if not isinstance(video, str) or not video.strip():
        raise UnsafeVideoPathError(where, f"video must be a non-empty relative path, got {video!r}")
    if "\x00" in video:
        raise UnsafeVideoPathError(where, f"video path {video!r} contains a NUL character")
    if "\\" in video or PureWindowsPath(video).drive:
        raise UnsafeVideoPathError(where, f"video path {video!r} must use '/' separators and no drive")
    path = PurePosixPath(video)
    if path.is_absolute():
        raise UnsafeVideoPathError(where, f"video path {video!r} is absolute; it must be relative to the dataset root")
    if ".." in path.parts:
        raise UnsafeVideoPathError(where, f"video path {video!r} contains '..'")
    if not path.parts:
        raise UnsafeVideoPathError(where, f"video path {video!r} names no file")
    return path


def resolve_video_path(video: str, root: str | os.PathLike, where: str | os.PathLike = "") -> Path:
    """The absolute path of a record's video under ``root``, refusing any path that leaves the root.

    Symlinks are followed before the check, so a link inside the dataset that points elsewhere is refused.
    The file need not exist (writers resolve destinations with this too).
    """
    where = os.fspath(where) or os.fspath(root)
    relative = check_video_path(video, where)
    root_path = Path(root).resolve()
    resolved = (root_path / relative).resolve()
    if not resolved.is_relative_to(root_path):
        raise UnsafeVideoPathError(
            where, f"video path {video!r} resolves to {resolved}, outside the dataset root {root_path}"
        )
    return resolved


_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?"
_SECONDS = r"\d+(?:\.\d+)?\s*(?:s|sec|secs|seconds?|minutes?|mins?)\b"
_TIME = rf"(?:{_CLOCK}|{_SECONDS})"
_TIME_IN_TEXT = re.compile(rf"(?<![\d:.]){_TIME}", re.IGNORECASE)
_TIME_RANGE = re.compile(rf"^\s*(?:from\s+)?{_TIME}\s*(?:-|–|—|to|until)\s*{_TIME}\s*[.]?\s*$", re.IGNORECASE)


def infer_question_type(question: str, options: tuple[str, ...] | list[str]) -> str:
    """Classify a converted benchmark's question into the paper's three kinds from its wording.

    Every option being a time range means "choose the time range"; a clock time (``01:23``) or an amount of
    seconds / minutes in the question means "timestamp in the question"; anything else has no timestamp.
    """
    if options and all(_TIME_RANGE.match(option) for option in options):
        return CHOOSE_TIME_RANGE
    if _TIME_IN_TEXT.search(question):
        return TIMESTAMP_IN_QUESTION
    return NO_TIMESTAMP


def qa_features():
    """The ``datasets.Features`` of a question row (AVBench ``test``, SAVEn-Vid ``qa``)."""
    from datasets import Features, List, Value

    return Features(
        {
            "video_id": Value("string"),
            "video": Value("string"),
            "duration": Value("float64"),
            "source": Value("string"),
            "question_id": Value("string"),
            "question": Value("string"),
            "options": List(Value("string")),
            "answer": Value("string"),
            "question_type": Value("string"),
            "category": Value("string"),
        }
    )


def caption_features():
    """The ``datasets.Features`` of a SAVEn-Vid ``captions`` row: one video and its captioned segments."""
    from datasets import Features, List, Value

    segment = {name: Value("float64") for name in SEGMENT_FIELDS[:2]}
    segment.update({name: Value("string") for name in SEGMENT_FIELDS[2:]})
    return Features(
        {
            "video_id": Value("string"),
            "video": Value("string"),
            "duration": Value("float64"),
            "source": Value("string"),
            "segments": List(segment),
        }
    )
