"""The work folder: one small JSON file per video and stage, each written atomically, so a kill loses nothing.

Every file is written to a hidden temporary sibling, fsynced, renamed over its final name, and the folder is
fsynced: after a crash (or ``kill -9``) a result file is either complete or absent, never half written. A stage
result exists exactly when the stage finished for that video, so resuming is "do what has no file"; stale
temporary files of a killed run are swept away on the next start.

Layout::

    WORK_DIR/config.json                    the settings the folder was started with (resuming checks them)
    WORK_DIR/videos/<video_id>/<stage>.json          {"ok": payload}
    WORK_DIR/videos/<video_id>/<stage>.failed.json   {"failed": {"reason": ..., "detail": ...}}
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

TMP_SUFFIX = ".tmp"


def dumps(value: Any) -> bytes:
    """Canonical JSON: the same value always gives the same bytes (resumed and uninterrupted runs compare equal)."""
    return (json.dumps(value, sort_keys=True, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def atomic_write(path: str | os.PathLike, data: bytes, durable: bool = True) -> None:
    """Replace ``path`` by ``data`` all at once; ``durable`` also survives a power cut (fsync file and folder)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if durable:
        _fsync_dir(path.parent)


def ok(payload: dict[str, Any]) -> dict[str, Any]:
    return {"ok": payload}


def failed(reason: str, detail: str = "") -> dict[str, Any]:
    return {"failed": {"reason": reason, "detail": detail}}


class WorkDir:
    """Stage results of every video under ``root``; see the module doc for the layout.

    A failed result goes to ``<stage>.failed.json`` so that a folder listing tells every video's state without
    reading a file (a million-file collection resumes at once). When a retry succeeds the ``ok`` file is written
    first and the failure removed after; if a kill falls in between, the ``ok`` file wins.
    """

    def __init__(self, root: str | os.PathLike, durable: bool = True):
        self.root = Path(root)
        self.videos = self.root / "videos"
        self.durable = durable

    def path(self, video_id: str, stage: str, failure: bool = False) -> Path:
        return self.videos / video_id / (f"{stage}.failed.json" if failure else f"{stage}.json")

    def read(self, video_id: str, stage: str) -> dict[str, Any] | None:
        """The stage's result for the video, or None when the stage has not finished for it."""
        for failure in (False, True):
            try:
                return json.loads(self.path(video_id, stage, failure).read_bytes())
            except FileNotFoundError:
                continue
        return None

    def write(self, video_id: str, stage: str, result: dict[str, Any]) -> None:
        if set(result) not in ({"ok"}, {"failed"}):
            raise ValueError(f"a stage result is {{'ok': ...}} or {{'failed': ...}}, got keys {sorted(result)}")
        failure = "failed" in result
        atomic_write(self.path(video_id, stage, failure), dumps(result), self.durable)
        if not failure:
            self.path(video_id, stage, True).unlink(missing_ok=True)

    def states(self, video_id: str) -> dict[str, str]:
        """``{stage: "ok" | "failed"}`` for the stages that finished for the video."""
        try:
            names = os.listdir(self.videos / video_id)
        except FileNotFoundError:
            return {}
        states: dict[str, str] = {}
        for name in names:
            if name.startswith(".") or not name.endswith(".json"):
                continue
            if name.endswith(".failed.json"):
                states.setdefault(name[: -len(".failed.json")], "failed")
            else:
                states[name[: -len(".json")]] = "ok"
        return states

    def sweep(self) -> int:
        """Remove temporary files left by a killed run; returns how many."""
        count = 0
        if self.videos.is_dir():
            for folder in self.videos.iterdir():
                for stale in folder.glob(f".*{TMP_SUFFIX}"):
                    stale.unlink(missing_ok=True)
                    count += 1
        for stale in self.root.glob(f".*{TMP_SUFFIX}"):
            stale.unlink(missing_ok=True)
            count += 1
        return count

    def check_config(self, settings: dict[str, Any], fingerprint: str) -> None:
        """Record the settings on first use; refuse to resume a folder that was started with other ones."""
        path = self.root / "config.json"
        if path.exists():
            recorded = json.loads(path.read_bytes())
            if recorded.get("fingerprint") != fingerprint:
                raise ValueError(
                    f"{self.root} was started with other pipeline settings (fingerprint {recorded.get('fingerprint')},"
                    f" now {fingerprint}); use a new work folder or restore the settings in {path}"
                )
            return
        atomic_write(path, dumps({"fingerprint": fingerprint, "settings": settings}), self.durable)
