"""Where the eval runner gets its questions and videos: a local dataset folder or a Hub dataset repo.

Both give AVBench records; a video is only ever located through the record format's path checks, so a crafted
row cannot make the runner read a file outside the dataset. Hub videos are downloaded one at a time when a
question needs them, so ``--limit 20`` fetches 20 videos, not the whole benchmark.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .avbench_errors import DatasetFolderError
from .avbench_records import AVBenchRecord, check_video_path
from .hub_dataset import LAYOUTS, read_dataset_folder


@dataclass(frozen=True)
class EvalDataset:
    """The questions of one split, and how to find their videos (``root`` for a folder, ``repo_id`` for the Hub)."""

    records: tuple[AVBenchRecord, ...]
    root: Path | None = None
    repo_id: str | None = None
    revision: str | None = None

    def video_path(self, record: AVBenchRecord) -> Path:
        """The local file of a record's video; raises ``UnsafeVideoPathError`` for a path that leaves the dataset."""
        if self.root is not None:
            return record.video_path(self.root)
        check_video_path(record.video, f"{self.repo_id} question {record.question_id!r}")
        from huggingface_hub import hf_hub_download

        return Path(hf_hub_download(self.repo_id, record.video, repo_type="dataset", revision=self.revision))


def load_eval_dataset(
    name: str, split: str = "test", config: str | None = None, revision: str | None = None
) -> EvalDataset:
    """The questions of ``split`` from a folder written by ``write_dataset_folder`` or from a Hub dataset id."""
    folder = Path(name)
    if folder.is_dir():
        kind, records = read_dataset_folder(folder)
        questions = LAYOUTS[kind][0]
        if (split, config or questions.name) != (questions.split, questions.name):
            raise DatasetFolderError(
                folder,
                f"holds {kind} questions as config {questions.name!r}, split {questions.split!r}; "
                f"asked for config {config!r}, split {split!r}",
            )
        return EvalDataset(_unique(records, folder), root=folder)
    if folder.exists() or name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise DatasetFolderError(name, "is neither a dataset folder nor a Hub dataset id (owner/name)")
    from datasets import load_dataset

    rows = load_dataset(name, config, split=split, revision=revision)
    records = [AVBenchRecord.from_dict(row, f"{name} {split} row {index}") for index, row in enumerate(rows)]
    return EvalDataset(_unique(records, name), repo_id=name, revision=revision)


def _unique(records: list[AVBenchRecord], where: str | Path) -> tuple[AVBenchRecord, ...]:
    """The records, refused if two share a question id (the predictions log is keyed by it)."""
    repeated = sorted(qid for qid, n in Counter(record.question_id for record in records).items() if n > 1)
    if repeated:
        raise DatasetFolderError(where, f"question_id repeated: {', '.join(repeated[:5])}")
    return tuple(records)
