"""Build the synthetic audio-visual benchmark: render the clips, ask the questions, write a dataset folder.

The folder is what ``datasets.load_dataset(folder)`` reads (Parquet splits declared in the README's YAML), with the
clips and their ground-truth ``.events.json`` beside it::

    OUT/README.md  data/train.parquet  data/test.parquet  videos/synth-00000.mp4(.events.json)  benchmark.json
    OUT/captions-train.jsonl  (timed captions of the train clips, for alignment training; see benchmark_captions)

Building is idempotent and resumable: ``benchmark.json`` (the config and counts) is written last, so a folder
that has it with the same config is reused as is, and an interrupted build skips the clips it already wrote.
Videos, not questions, are split, so no test clip is ever seen in training.
"""

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..avbench_records import QUESTION_TYPES, AVBenchRecord, qa_features
from .benchmark_captions import CAPTIONS, write_captions
from .benchmark_card import render_card
from .benchmark_config import BenchmarkConfig
from .benchmark_letters import balanced_letters, place_answer
from .benchmark_plan import ClipPlan, clip_rng, plan_clip
from .benchmark_questions import Question, ask_questions, can_ask
from .clip_info import ClipInfo, sidecar_path
from .errors import SyntheticClipError
from .writer import ClipOptions, write_clip

MANIFEST = "benchmark.json"
MANIFEST_FORMAT = "savenvideo-synthetic-benchmark/1"
SOURCE = "savenvideo-synthetic"
SPLITS = ("train", "test")


@dataclass(frozen=True)
class Benchmark:
    root: Path
    config: BenchmarkConfig
    splits: dict[str, list[AVBenchRecord]]

    def clip_path(self, record: AVBenchRecord) -> Path:
        return self.root / record.video


def plan_benchmark(config: BenchmarkConfig) -> list[ClipPlan]:
    """Every clip of the benchmark, in video order (cheap: nothing is rendered)."""
    return [
        plan_clip(config, index, lambda slots: can_ask(slots, config.questions_per_kind))
        for index in range(config.videos)
    ]


def split_of_videos(config: BenchmarkConfig) -> list[str]:
    """``train`` or ``test`` for each video index, a seeded draw of ``config.test_videos`` test videos."""
    order = np.random.default_rng([config.seed, len("split")]).permutation(config.videos)
    test = set(order[: config.test_videos].tolist())
    return ["test" if index in test else "train" for index in range(config.videos)]


def build_benchmark(out_dir: str | Path, config: BenchmarkConfig, progress: bool = True) -> Benchmark:
    """Write the benchmark of ``config`` to ``out_dir`` (or reuse the one already there); returns its records."""
    root = Path(out_dir)
    existing = _read_manifest(root)
    if existing is not None:
        if existing != config:
            raise SyntheticClipError(
                root, f"holds a benchmark built with {existing}; choose another folder or delete this one"
            )
        if not (root / CAPTIONS).is_file():  # a folder from before captions existed
            write_captions(root, plan_benchmark(config), split_of_videos(config), _video_path)
        return load_benchmark(root)
    plans = plan_benchmark(config)
    (root / "videos").mkdir(parents=True, exist_ok=True)
    options = ClipOptions(size=(config.width, config.height), fps=config.fps)
    for plan in tqdm(plans, desc="synth-benchmark clips", unit="clip", disable=not progress):
        path = root / _video_path(plan)
        if not _already_written(path, plan):
            write_clip(path, plan.timeline, options)
    splits = benchmark_records(config, plans)
    write_captions(root, plans, split_of_videos(config), _video_path)
    features = qa_features()
    from datasets import Dataset

    (root / "data").mkdir(exist_ok=True)
    for split, records in splits.items():
        rows = [record.to_qa_row() for record in records]
        Dataset.from_list(rows, features=features).to_parquet(str(root / "data" / f"{split}.parquet"))
    (root / "README.md").write_text(render_card(config, splits), encoding="utf-8")
    manifest = {
        "format": MANIFEST_FORMAT,
        "config": config.to_dict(),
        "questions": {split: len(records) for split, records in splits.items()},
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return Benchmark(root, config, splits)


def load_benchmark(out_dir: str | Path) -> Benchmark:
    """A finished benchmark folder's config and records."""
    import pyarrow.parquet as pq

    root = Path(out_dir)
    config = _read_manifest(root)
    if config is None:
        raise SyntheticClipError(root, f"has no {MANIFEST}: it is not a finished synthetic benchmark")
    splits = {}
    for split in SPLITS:
        path = root / "data" / f"{split}.parquet"
        rows = pq.read_table(path).to_pylist()
        splits[split] = [AVBenchRecord.from_dict(row, f"{path} row {i}") for i, row in enumerate(rows)]
    return Benchmark(root, config, splits)


def _read_manifest(root: Path) -> BenchmarkConfig | None:
    path = root / MANIFEST
    if not path.is_file():
        return None
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != MANIFEST_FORMAT:
        raise SyntheticClipError(path, f"format {manifest.get('format')!r} is not {MANIFEST_FORMAT!r}")
    return BenchmarkConfig.from_dict(manifest["config"])


def _video_path(plan: ClipPlan) -> str:
    return f"videos/{plan.video_id}.mp4"


def _already_written(path: Path, plan: ClipPlan) -> bool:
    """A clip from an interrupted build: complete (the writer renames it into place) with the planned events."""
    if not (path.is_file() and sidecar_path(path).is_file()):
        return False
    try:
        return ClipInfo.load(path).timeline == plan.timeline
    except (ValueError, KeyError, OSError):
        return False


def benchmark_records(config: BenchmarkConfig, plans: list[ClipPlan]) -> dict[str, list[AVBenchRecord]]:
    """Ask every clip's questions, then give each (split, kind) group its exactly balanced correct letters."""
    splits = split_of_videos(config)
    asked: dict[tuple[str, str], list[tuple[ClipPlan, int, Question]]] = defaultdict(list)
    for index, plan in enumerate(plans):
        for number, question in enumerate(
            ask_questions(plan, config.questions_per_kind, clip_rng(config, index, "questions"))
        ):
            asked[splits[index], question.kind].append((plan, number, question))
    records: dict[str, list[AVBenchRecord]] = {split: [] for split in SPLITS}
    for split_number, split in enumerate(SPLITS):
        for kind_number, kind in enumerate(QUESTION_TYPES):
            group = asked[split, kind]
            rng = np.random.default_rng([config.seed, split_number, kind_number])
            for (plan, number, question), letter in zip(group, balanced_letters(len(group), rng)):
                records[split].append(_record(config, plan, number, question, letter, rng))
        records[split].sort(key=lambda record: record.question_id)
    return records


def _record(config, plan: ClipPlan, number: int, question: Question, letter: str, rng) -> AVBenchRecord:
    return AVBenchRecord(
        video_id=plan.video_id,
        video=_video_path(plan),
        duration=float(config.seconds),
        source=SOURCE,
        question_id=f"{plan.video_id}-q{number}",
        question=question.text,
        options=tuple(place_answer(question.answer, question.distractors, letter, rng)),
        answer=letter,
        question_type=question.kind,
        category=question.needs,
    )
