"""Typed errors of the synthetic clip kit: each names the file (when there is one) and the reason."""

from pathlib import Path


class TimelineError(ValueError):
    """An event or timeline that cannot be rendered truthfully (bad times, unknown kind, overlap, ...)."""

    def __init__(self, reason: str, path: str | Path | None = None):
        self.reason = reason
        self.path = None if path is None else Path(path)
        super().__init__(reason if path is None else f"{path}: {reason}")


class SyntheticClipError(ValueError):
    """A clip request that cannot be written (unknown container, codec not allowed in it, odd size, ...)."""

    def __init__(self, path: str | Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")
