"""Convert Video-MME's released files into AVBench records.

The release (the ``lmms-lab/Video-MME`` dataset repo) has ``videomme/test-*.parquet`` with one row per question
- ``video_id`` ("001"), ``duration`` ("short" / "medium" / "long"), ``domain``, ``sub_category``, ``url``,
``videoID`` (the YouTube id, which names the video file), ``question_id`` ("001-1"), ``task_type``,
``question``, ``options`` (four strings labelled "A. ...") and ``answer`` (a letter) - and the videos, once
unzipped, in ``data/<videoID>.mp4``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .avbench_errors import ConversionError, RecordError
from .avbench_records import LETTERS, AVBenchRecord, infer_question_type
from .converted_benchmark import ConvertedBenchmark, index_media, probe_duration

SOURCE = "Video-MME"
FIELDS = ("video_id", "duration", "videoID", "question_id", "task_type", "question", "options", "answer")
_LABEL = re.compile(r"^\s*(?P<letter>[A-D])\.\s*")

CARD_VALUES = {
    "benchmark": "Video-MME",
    "homepage": "https://video-mme.github.io",
    "license_name": "video-mme-academic-research-only",
    "license_text": (
        "Video-MME is for academic research only: commercial use in any form is prohibited, and it may not be "
        "distributed, published, copied or modified, in whole or in part, without the authors' prior approval. "
        "The copyright of the videos belongs to their owners."
    ),
    "citation": (
        "Fu, C., Dai, Y., Luo, Y., Li, L., Ren, S., Zhang, R., Wang, Z., Zhou, C., Shen, Y., Zhang, M., et al. "
        "Video-MME: The First-Ever Comprehensive Evaluation Benchmark of Multi-modal LLMs in Video Analysis. "
        "arXiv:2405.21075, 2024."
    ),
    "conversion_notes": (
        "Each Video-MME question becomes one record: the option labels ('A. ') are removed, `category` keeps "
        "Video-MME's `task_type`, and `video` is `videos/<videoID>.<ext>`. Video-MME's coarse `duration` class "
        "is dropped; the measured length (when the video was available) replaces it, and the metric's "
        "duration buckets (under 2 min, 2-15 min, 15 min and more) reproduce Video-MME's short / medium / long "
        "split."
    ),
}


def find_annotation_files(src: str | os.PathLike) -> list[Path]:
    """The Parquet files of a release: ``src`` itself, or ``src/videomme/*.parquet``."""
    src = Path(src)
    if src.is_file():
        return [src]
    files = sorted((src / "videomme").glob("*.parquet"))
    if not files:
        raise ConversionError(src, "no videomme/*.parquet here; point at the Video-MME release or a Parquet file")
    return files


def convert_videomme(src: str | os.PathLike, media_dir: str | os.PathLike | None = None) -> ConvertedBenchmark:
    """Records of every question in the release at ``src``; videos are looked up in ``media_dir``
    (default: ``src/data`` when it exists) and measured when found."""
    import pyarrow.parquet as pq

    src = Path(src)
    if media_dir is None and (src / "data").is_dir():
        media_dir = src / "data"
    media = index_media(media_dir)
    records, found = [], {}
    for path in find_annotation_files(src):
        try:
            rows = pq.read_table(path).to_pylist()
        except Exception as error:  # pyarrow raises several unrelated types for a damaged file
            raise ConversionError(path, f"is not a readable Parquet file: {error}") from None
        for index, row in enumerate(rows):
            where = f"{path} row {index}"
            record = _record(row, where, media)
            records.append(record)
            if record.duration is not None:
                found[record.video] = media[row["videoID"]]
    return ConvertedBenchmark(records=records, media=found, card_values=CARD_VALUES)


def _record(row: dict, where: str, media: dict[str, Path]) -> AVBenchRecord:
    missing = [name for name in FIELDS if name not in row]
    if missing:
        raise ConversionError(where, f"not Video-MME's layout: missing field(s) {', '.join(missing)}")
    if not isinstance(row["options"], list):
        raise ConversionError(where, f"options must be a list, got {type(row['options']).__name__}")
    options = tuple(_strip_label(option, index, where) for index, option in enumerate(row["options"]))
    video_file = media.get(row["videoID"])
    suffix = video_file.suffix if video_file is not None else ".mp4"
    try:
        return AVBenchRecord(
            video_id=str(row["video_id"]),
            video=f"videos/{row['videoID']}{suffix}",
            duration=probe_duration(video_file) if video_file is not None else None,
            source=SOURCE,
            question_id=str(row["question_id"]),
            question=row["question"],
            options=options,
            answer=str(row["answer"]).strip().upper(),
            question_type=infer_question_type(row["question"], options),
            category=row["task_type"],
        )
    except RecordError as error:
        raise ConversionError(where, error.reason) from None


def _strip_label(option: object, index: int, where: str) -> str:
    """Video-MME labels every option "A. ..."; the label must match the option's position."""
    label = _LABEL.match(option) if isinstance(option, str) else None
    if label is None or index >= len(LETTERS) or label["letter"] != LETTERS[index]:
        expected = f"{LETTERS[index]}. " if index < len(LETTERS) else "at most four options"
        raise ConversionError(where, f"option {index} should start with {expected!r}, got {option!r}")
    return option[label.end() :].strip()
