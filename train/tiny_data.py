"""A small LLaVA-style training set on synthetic clips, for the `tiny_cpu` recipe, its tests and the benchmark.

Answers come from each clip's ground-truth timeline (what is on screen first, which sound plays first), so a model
can only get them right by looking and listening; a tiny model also simply memorises them, which is what the
loss-decrease test needs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml

from savenvideo.dataset_scripts.synthetic import ClipOptions, random_timeline, write_clip

TINY_RECIPE = Path(__file__).parent / "recipes" / "tiny_cpu.yaml"


def clip_conversations(timeline) -> list[list[dict]]:
    first_sound = timeline.sounds[0].describe() if timeline.sounds else "silence"
    return [
        [
            {"from": "human", "value": "<video>\nWhat is on screen at the start?"},
            {"from": "gpt", "value": timeline.visual_at(0.0).describe()},
        ],
        [
            {"from": "human", "value": "<video>\nWhich sound is heard first?"},
            {"from": "gpt", "value": first_sound},
        ],
    ]


def write_tiny_dataset(out_dir: str | Path, num_clips: int = 4, seconds: float = 3.0, seed: int = 0) -> Path:
    """Render `num_clips` small clips under `out_dir/clips` and write `out_dir/train.jsonl`; returns its path."""
    out_dir = Path(out_dir)
    (out_dir / "clips").mkdir(parents=True, exist_ok=True)
    records = []
    for index in range(num_clips):
        relative = f"clips/clip_{index:03d}.mp4"
        info = write_clip(
            out_dir / relative, random_timeline(seconds, seed + index), ClipOptions(size=(64, 64), fps=8)
        )
        for turn, conversation in enumerate(clip_conversations(info.timeline)):
            records.append({"id": f"clip{index}-q{turn}", "video": relative, "conversations": conversation})
    target = out_dir / "train.jsonl"
    target.write_text("".join(json.dumps(record) + "\n" for record in records))
    return target


def write_tiny_recipe(
    path: str | Path, checkpoint: str | Path, data: str | Path, output_dir: str | Path, **changes
) -> Path:
    """The `tiny_cpu` recipe with its inputs and output moved to these paths (and any other value changed)."""
    recipe = yaml.safe_load(TINY_RECIPE.read_text())
    recipe.update(
        model_name_or_path=str(checkpoint),
        dataset_mixture=[{"path": str(data)}],
        output_dir=str(output_dir),
        **changes,
    )
    path = Path(path)
    path.write_text(yaml.safe_dump(recipe, sort_keys=False))
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--num-clips", type=int, default=4)
    args = parser.parse_args()
    print(write_tiny_dataset(args.out_dir, num_clips=args.num_clips))
