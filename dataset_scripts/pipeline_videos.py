"""The collection: which files are videos, their ids, and which shard each belongs to.

Shards are decided by a stable hash of each video's path relative to the collection folder, so every machine of
a cluster agrees on the split without talking to the others, and adding videos never moves existing ones
between shards.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Video:
    """``relpath`` is POSIX and relative to the collection folder (the record's ``video`` field)."""

    video_id: str
    relpath: str
    path: str


def shard_of(relpath: str, num_shards: int) -> int:
    digest = hashlib.sha256(relpath.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % num_shards


def _base_id(relpath: str) -> str:
    stem = relpath.rsplit(".", 1)[0] if "." in Path(relpath).name else relpath
    return _UNSAFE.sub("_", stem.replace("/", "__")).strip("_") or "video"


def discover(root: str | os.PathLike, extensions: Iterable[str]) -> list[Video]:
    """Every video file under ``root`` (by extension, case-insensitive), sorted by relative path.

    Ids are the relative path without extension, '/' written '__' and other unsafe characters '_'; paths that
    would share an id get a short hash of their path appended.
    """
    root = Path(root).resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: the videos folder does not exist")
    suffixes = {
        extension.lower() if extension.startswith(".") else f".{extension.lower()}" for extension in extensions
    }
    relpaths = sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.suffix.lower() in suffixes and path.is_file() and not path.name.startswith(".")
    )
    counts = Counter(_base_id(relpath) for relpath in relpaths)
    videos = []
    for relpath in relpaths:
        video_id = _base_id(relpath)
        if counts[video_id] > 1:
            video_id = f"{video_id}-{hashlib.sha256(relpath.encode()).hexdigest()[:8]}"
        videos.append(Video(video_id, relpath, str(root / relpath)))
    return videos


def select_shard(videos: list[Video], num_shards: int, shard_index: int) -> list[Video]:
    if num_shards < 1 or not 0 <= shard_index < num_shards:
        raise ValueError(f"needs num_shards >= 1 and 0 <= shard_index < num_shards, got {num_shards}, {shard_index}")
    return [video for video in videos if shard_of(video.relpath, num_shards) == shard_index]
