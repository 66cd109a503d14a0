"""Resuming after a kill: the newest checkpoint that was written to the end.

`Trainer` writes `trainer_state.json` last, so a folder without it is a save that the kill interrupted;
`transformers.trainer_utils.get_last_checkpoint` would pick it and fail to load it.
"""

from __future__ import annotations

import re
from pathlib import Path

CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def last_complete_checkpoint(output_dir: str | Path) -> str | None:
    folders = [p for p in Path(output_dir).glob("checkpoint-*") if CHECKPOINT.match(p.name)]
    complete = [p for p in folders if (p / "trainer_state.json").is_file()]
    if not complete:
        return None
    return str(max(complete, key=lambda p: int(CHECKPOINT.match(p.name).group(1))))


def resolve_resume(resume_from_checkpoint: str | bool | None, output_dir: str | Path) -> str | None:
    """`true`/`last` -> the newest complete checkpoint in `output_dir` (None on a fresh start); a path stays."""
    if resume_from_checkpoint is None or str(resume_from_checkpoint).lower() in ("false", ""):
        return None
    if str(resume_from_checkpoint).lower() in ("true", "last"):
        return last_complete_checkpoint(output_dir) if Path(output_dir).is_dir() else None
    return str(resume_from_checkpoint)
