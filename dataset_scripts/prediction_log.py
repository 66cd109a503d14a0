"""The eval runner's predictions file: JSON lines, one per answered question, safe to kill and resume.

Each prediction is written, flushed and fsynced before the next question starts, so a crash or a kill loses at
most the question in flight. Reopening the log reads the question ids already answered (the runner skips them)
and cuts off a last line that a kill left half-written. Any other unreadable line is real damage and is
reported with its line number instead of being skipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .avbench_errors import PredictionLogError


def _scan(path: Path) -> tuple[list[dict[str, Any]], int, bool]:
    """The complete predictions in ``path``, the byte length they span, and whether a newline is missing
    after the last one (a kill between writing a line and its newline)."""
    if not path.exists():
        return [], 0, False
    data = path.read_bytes()
    predictions: list[dict[str, Any]] = []
    seen: set[str] = set()
    offset = 0
    lines = data.split(b"\n")
    for number, raw in enumerate(lines, start=1):
        is_last = number == len(lines)
        end = offset + len(raw) + (0 if is_last else 1)
        if raw.strip():
            prediction = _parse(raw, path, number, tolerate=is_last)
            if prediction is None:
                return predictions, offset, False
            question_id = prediction["question_id"]
            if question_id in seen:
                raise PredictionLogError(f"{path}:{number}", f"question_id {question_id!r} is logged twice")
            seen.add(question_id)
            predictions.append(prediction)
            if is_last:
                return predictions, end, True
        offset = end
    return predictions, offset, False


def _parse(raw: bytes, path: Path, number: int, tolerate: bool) -> dict[str, Any] | None:
    try:
        prediction = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        if tolerate:
            return None
        raise PredictionLogError(f"{path}:{number}", f"line is not JSON ({error})") from None
    if not isinstance(prediction, dict) or not isinstance(prediction.get("question_id"), str):
        raise PredictionLogError(f"{path}:{number}", "a prediction must be a JSON object with a string question_id")
    return prediction


def read_predictions(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Every complete prediction in the log, in the order written; a half-written last line is ignored."""
    return _scan(Path(path))[0]


class PredictionLog:
    """Append-only writer of a predictions log that resumes where an earlier run stopped.

    Use as a context manager; ``question_id in log`` tells whether a question was already answered.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        predictions, valid_bytes, needs_newline = _scan(self.path)
        self._done = {prediction["question_id"] for prediction in predictions}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() and self.path.stat().st_size != valid_bytes:
            os.truncate(self.path, valid_bytes)
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close() / __exit__
        if needs_newline:
            self._write("\n")

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._done

    def __len__(self) -> int:
        return len(self._done)

    @property
    def done(self) -> frozenset[str]:
        """Question ids already in the log."""
        return frozenset(self._done)

    def append(self, prediction: Mapping[str, Any]) -> None:
        """Write one prediction (a JSON-serialisable mapping with a string ``question_id``) durably."""
        question_id = prediction.get("question_id")
        if not isinstance(question_id, str):
            raise PredictionLogError(self.path, f"a prediction needs a string question_id, got {question_id!r}")
        if question_id in self._done:
            raise PredictionLogError(self.path, f"question_id {question_id!r} is already logged")
        self._write(json.dumps(dict(prediction), ensure_ascii=False) + "\n")
        self._done.add(question_id)

    def _write(self, text: str) -> None:
        self._file.write(text)
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> PredictionLog:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
