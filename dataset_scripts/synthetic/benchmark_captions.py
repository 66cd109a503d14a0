"""Timed audio-visual captions of the benchmark's training clips, the synthetic stand-in for SAVEn-Vid's captions.

The paper aligns its model on captions before it asks questions; a model trained from random weights needs the
same: a caption names every shot's picture and sound with the sound's time range, so it ties what the encoders
see and hear to the words and times the questions use. Captions are written for the train split only (as LLaVA-
style conversations that ``train/sft.py`` reads), so no test clip is described to the model.
"""

import json
from pathlib import Path

from .benchmark_plan import ClipPlan
from .benchmark_questions import format_range

CAPTIONS = "captions-train.jsonl"
"""Beside the dataset card, so that relative video paths resolve under the benchmark folder as in its splits."""
CAPTION_REQUEST = "Describe each shot in order: when its sound plays, what the sound is and what is on screen."


def describe_clip(plan: ClipPlan) -> str:
    """``00:00.3-00:01.6 the buzz over the red square; ...``, one clause per shot, in time order."""
    return "; ".join(
        f"{format_range(slot.sound_start, slot.sound_end)} the {slot.sound.label} over the {slot.visual.label}"
        for slot in plan.slots
    )


def caption_conversation(plan: ClipPlan, video: str) -> dict:
    return {
        "id": f"{plan.video_id}-caption",
        "video": video,
        "conversations": [
            {"from": "human", "value": f"<video>\n{CAPTION_REQUEST}"},
            {"from": "gpt", "value": describe_clip(plan)},
        ],
    }


def write_captions(root: Path, plans: list[ClipPlan], splits: list[str], video_path) -> Path:
    """``root/captions-train.jsonl`` for the clips of the train split; ``video_path(plan)`` is relative to root."""
    path = root / CAPTIONS
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as out:
        for plan, split in zip(plans, splits):
            if split == "train":
                out.write(json.dumps(caption_conversation(plan, video_path(plan))) + "\n")
    partial.replace(path)
    return path
