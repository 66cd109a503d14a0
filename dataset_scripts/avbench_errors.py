"""Errors of the AVBench / SAVEn-Vid data tools: each names the file (and row) at fault and says why."""

from __future__ import annotations

import os


class AVBenchDataError(ValueError):
    """Bad benchmark data; ``where`` is the file (with a row or line when known) and ``reason`` what is wrong."""

    def __init__(self, where: str | os.PathLike, reason: str):
        self.where = os.fspath(where)
        self.reason = reason
        super().__init__(f"{self.where}: {reason}")


class RecordError(AVBenchDataError):
    """A record breaks the AVBench record format (a missing field, a wrong type, an impossible value)."""


class UnsafeVideoPathError(RecordError):
    """A record's video path is absolute, climbs out with '..', or resolves outside the dataset root."""


class DatasetFolderError(AVBenchDataError):
    """A dataset folder lacks its card, its configs or its data files, or references media it does not hold."""


class ConversionError(AVBenchDataError):
    """A benchmark release file does not have the published layout the converter expects."""


class PredictionLogError(AVBenchDataError):
    """A predictions log has a corrupt line that is not the last one, or repeats a question id."""
