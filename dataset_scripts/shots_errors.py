"""Errors of the shot-segmentation stage: each names the offending file and says what is wrong with it."""

from __future__ import annotations

import os


class ShotSegmentationError(Exception):
    """A file given to shot segmentation cannot be used; `path` and `reason` say which and why."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class UnreadableVideoError(ShotSegmentationError):
    """The video is missing, is not a media file, has no video stream, or yields no decodable frames."""


class CheckpointError(ShotSegmentationError):
    """A model checkpoint is missing, unreadable, or does not fit the architecture."""
