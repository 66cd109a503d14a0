"""What a benchmark converter returns, and the media lookup the converters share.

Converters turn another benchmark's released files into AVBench records so that one runner and one metric
evaluate everything. Videos are named ``videos/<file name>`` in the records; when the original videos are on
disk the converter maps each such path to its file (copied by ``write_dataset_folder``) and measures its
duration, otherwise the duration stays unknown (null).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .avbench_errors import ConversionError
from .avbench_records import AVBenchRecord

VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".mov", ".avi")


@dataclass(frozen=True)
class ConvertedBenchmark:
    """Records of a converted benchmark, the source file of each video found, what was skipped and why, and
    the values that fill the ``converted`` dataset card."""

    records: list[AVBenchRecord]
    media: Mapping[str, Path]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    card_values: Mapping[str, str] = field(default_factory=dict)


def index_media(media_dir: str | os.PathLike | None) -> dict[str, Path]:
    """Video files under ``media_dir`` (searched recursively) by file stem; two files with one stem refuse."""
    if media_dir is None:
        return {}
    media_dir = Path(media_dir)
    if not media_dir.is_dir():
        raise ConversionError(media_dir, "the media directory does not exist")
    found: dict[str, Path] = {}
    for path in sorted(media_dir.rglob("*")):
        if path.suffix.lower() in VIDEO_SUFFIXES and path.is_file():
            if path.stem in found:
                raise ConversionError(path, f"two videos share the name {path.stem!r}: {found[path.stem]} and this")
            found[path.stem] = path
    return found


def probe_duration(path: Path) -> float:
    """Length of a media file in seconds, read from the container (no decoding)."""
    import av

    try:
        with av.open(str(path)) as container:
            if container.duration is not None:
                return container.duration / av.time_base
            streams = [s for s in container.streams if s.duration is not None and s.time_base is not None]
            if streams:
                return max(float(s.duration * s.time_base) for s in streams)
    except av.FFmpegError as error:
        raise ConversionError(path, f"cannot be opened as media: {error}") from None
    raise ConversionError(path, "the container states no duration")
