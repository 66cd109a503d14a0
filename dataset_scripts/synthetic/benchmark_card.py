"""The README.md of a synthetic benchmark folder: YAML ``configs`` for ``datasets.load_dataset`` plus a card that
says how the questions were made, what each kind needs, and the counts."""

from collections import Counter

from ..avbench_records import QUESTION_TYPES, AVBenchRecord
from .benchmark_config import BenchmarkConfig
from .benchmark_questions import NEEDS

CARD = """---
pretty_name: SAVEnVideo synthetic audio-visual benchmark
language:
- en
license: apache-2.0
task_categories:
- video-text-to-text
tags:
- audio-visual
- synthetic
- multiple-choice
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train.parquet
  - split: test
    path: data/test.parquet
---

# Synthetic audio-visual benchmark

Procedurally generated clips of coloured screens and moving shapes, each shot with one sound (tones, chirps,
noise, clicks), and multiple-choice questions that can only be answered by looking **and** listening, and for two
of the three kinds by knowing **when**. The ground truth is exact: every clip's events are in
`videos/<id>.mp4.events.json`. Options are always events of the same clip, so the text alone gives nothing away,
and correct letters are balanced exactly per split and kind (always answering "A" scores 25%).

Rows use the AVBench record format; `category` says what a question needs.

```python
from datasets import load_dataset

benchmark = load_dataset("PATH", split="test")  # video paths are relative to PATH
```

## Questions

| kind (`question_type`) | needs (`category`) | example |
|---|---|---|
| `no_timestamp` | {needs_no_timestamp} | What was on screen when the rising chirp played? (options: visuals) |
| `timestamp_in_question` | {needs_timestamp_in_question} | Which sound played over the red square that was on screen nearest to 00:05.0? (options: sounds) |
| `choose_time_range` | {needs_choose_time_range} | When did the buzz play over the blue screen? (options: time ranges of sounds) |

{counts}

## Generation

{videos} clips of {seconds:g} s, {width}x{height} at {fps} fps (H.264 + AAC), seed {seed}. Each clip is cut into
{slots} equal shots of {slot_seconds:.2f} s; each shot carries one sound that starts and ends inside it.
Visuals and sounds recur within a clip on purpose, so a sound or a visual alone does not single out a moment.
{similar_percent:.0f}% of the clips (`distractor_similarity` {similarity:g}) draw near-miss events: visuals of one colour
that differ only in form, and pure tones that differ only in pitch. {questions_per_kind} question(s) of each kind
per clip; {test_videos} clips (with all their questions) form the test split.

Made with `savenvideo synth-benchmark`.
"""


def render_card(config: BenchmarkConfig, splits: dict[str, list[AVBenchRecord]]) -> str:
    return CARD.format(
        **{f"needs_{kind}": needs for kind, needs in NEEDS.items()},
        counts=_count_table(splits),
        slots=config.slots,
        slot_seconds=config.slot_seconds,
        similar_percent=100 * config.distractor_similarity,
        similarity=config.distractor_similarity,
        **{key: value for key, value in config.to_dict().items() if key != "distractor_similarity"},
        test_videos=config.test_videos,
    )


def _count_table(splits: dict[str, list[AVBenchRecord]]) -> str:
    names = list(splits)
    counts = {split: Counter(record.question_type for record in records) for split, records in splits.items()}
    lines = ["| kind | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for kind in QUESTION_TYPES:
        lines.append(f"| `{kind}` | " + " | ".join(str(counts[split][kind]) for split in names) + " |")
    lines.append("| all | " + " | ".join(str(len(splits[split])) for split in names) + " |")
    return "\n".join(lines)
