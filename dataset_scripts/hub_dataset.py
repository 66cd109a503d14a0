"""AVBench and SAVEn-Vid as Hub dataset repos of today's kind: Parquet files under data/, the videos beside them,
and a README.md whose YAML ``configs:`` tells ``datasets.load_dataset`` what to read (no loading script, which
datasets >= 4 no longer runs).

Layouts (``video`` paths in the rows are relative to the folder):

- ``avbench``: config ``default``, split ``test`` = ``data/test.parquet``; one row per question.
- ``savenvid``: config ``qa``, split ``train`` = ``data/qa/train.parquet`` (one row per question) and config
  ``captions``, split ``train`` = ``data/captions/train.parquet`` (one row per video with its segments).

Parquet rather than JSON lines because it stores the exact ``datasets.Features`` (lists of strings, segment
structs, null durations) that JSON type inference would guess.
"""

from __future__ import annotations

import os
import shutil
import string
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .avbench_errors import DatasetFolderError, RecordError
from .avbench_records import QUESTION_TYPES, AVBenchRecord, Segment, caption_features, qa_features, resolve_video_path

CARDS_DIR = Path(__file__).parent / "cards"


@dataclass(frozen=True)
class DataConfig:
    """One ``configs:`` entry of a dataset card: a config name, its single split and its data file."""

    name: str
    split: str
    path: str
    rows: str  # "qa" (one row per question) or "captions" (one row per video)


LAYOUTS = {
    "avbench": (DataConfig("default", "test", "data/test.parquet", "qa"),),
    "savenvid": (
        DataConfig("qa", "train", "data/qa/train.parquet", "qa"),
        DataConfig("captions", "train", "data/captions/train.parquet", "captions"),
    ),
}


@dataclass(frozen=True)
class FolderReport:
    """What :func:`validate_dataset_folder` found in a folder that passed."""

    kind: str
    records: tuple[AVBenchRecord, ...]
    missing_media: tuple[str, ...]

    @property
    def num_videos(self) -> int:
        return len({record.video for record in self.records})


def write_dataset_folder(
    records: Iterable[AVBenchRecord],
    out_dir: str | os.PathLike,
    kind: str = "avbench",
    copy_media_from: str | os.PathLike | Mapping[str, str | os.PathLike] | None = None,
    card_template: str | None = None,
    card_values: Mapping[str, str] | None = None,
) -> Path:
    """Write ``records`` as a dataset folder that ``datasets.load_dataset(out_dir)`` reads back.

    ``copy_media_from`` is either a directory whose layout mirrors the records' ``video`` paths (every video
    must be there) or a mapping from ``video`` path to source file (only the mapped videos are copied).
    ``card_template`` names a file in ``cards/`` (default: the kind's own); ``card_values`` fills its extra
    ``$placeholders``. The folder must not exist yet or be empty, so nothing is silently overwritten.
    Segments belong to a video: reading the folder back gives them to every question of a captioned video.
    """
    if kind not in LAYOUTS:
        raise ValueError(f"kind must be one of {sorted(LAYOUTS)}, got {kind!r}")
    records = list(records)
    out_dir = Path(out_dir)
    _check_records(records, out_dir, kind)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise DatasetFolderError(out_dir, "the output folder is not empty; choose a new one")

    from datasets import Dataset

    for config in LAYOUTS[kind]:
        if config.rows == "qa":
            rows, features = [record.to_qa_row() for record in records], qa_features()
        else:
            rows, features = _caption_rows(records, out_dir), caption_features()
        target = out_dir / config.path
        target.parent.mkdir(parents=True, exist_ok=True)
        Dataset.from_list(rows, features=features).to_parquet(str(target))
    if copy_media_from is not None:
        _copy_media(records, out_dir, copy_media_from)
    (out_dir / "README.md").write_text(
        render_card(records, kind, card_template or kind, card_values or {}), encoding="utf-8"
    )
    return out_dir


def _check_records(records: list[AVBenchRecord], out_dir: Path, kind: str) -> None:
    if not records:
        raise DatasetFolderError(out_dir, "no records to write")
    for record in records:
        if not isinstance(record, AVBenchRecord):
            raise TypeError(f"records must be AVBenchRecord objects, got {type(record).__name__}")
    repeated = [qid for qid, n in Counter(r.question_id for r in records).items() if n > 1]
    if repeated:
        raise DatasetFolderError(out_dir, f"question_id repeated: {', '.join(sorted(repeated)[:5])}")
    captioned = any(record.segments is not None for record in records)
    if kind == "avbench" and captioned:
        raise DatasetFolderError(out_dir, "AVBench rows carry no segments; write captions with kind='savenvid'")
    if kind == "savenvid" and not captioned:
        raise DatasetFolderError(out_dir, "SAVEn-Vid needs its captions config, but no record carries segments")


def _caption_rows(records: list[AVBenchRecord], where: Path) -> list[dict[str, Any]]:
    """One row per video that has segments; all records of a video must agree on them."""
    videos: dict[str, AVBenchRecord] = {}
    for record in records:
        if record.segments is None:
            continue
        seen = videos.setdefault(record.video_id, record)
        if (seen.video, seen.duration, seen.source, seen.segments) != (
            record.video,
            record.duration,
            record.source,
            record.segments,
        ):
            raise DatasetFolderError(where, f"video {record.video_id!r} has records that disagree on its captions")
    return [
        {
            "video_id": record.video_id,
            "video": record.video,
            "duration": record.duration,
            "source": record.source,
            "segments": [segment.to_dict() for segment in record.segments],
        }
        for record in videos.values()
    ]


def _copy_media(
    records: list[AVBenchRecord], out_dir: Path, source: str | os.PathLike | Mapping[str, str | os.PathLike]
) -> None:
    for video in sorted({record.video for record in records}):
        if isinstance(source, Mapping):
            if video not in source:
                continue
            origin = Path(source[video])
        else:
            origin = resolve_video_path(video, source)
        if not origin.is_file():
            raise DatasetFolderError(origin, f"video {video!r} named by the records is not there")
        target = resolve_video_path(video, out_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, target)


def render_card(records: list[AVBenchRecord], kind: str, template: str, values: Mapping[str, str]) -> str:
    """The README.md of a dataset folder: the template in ``cards/`` filled with the folder's statistics."""
    path = CARDS_DIR / f"{template}.md"
    if not path.is_file():
        raise ValueError(f"no card template {template!r} in {CARDS_DIR}")
    durations = [record.duration for record in records if record.duration is not None]
    by_type = Counter(record.question_type for record in records)
    by_source = Counter(record.source for record in records)
    stats = {
        "num_questions": str(len(records)),
        "num_videos": str(len({record.video_id for record in records})),
        "num_captioned_videos": str(len({r.video_id for r in records if r.segments is not None})),
        "hours": f"{sum(durations) / 3600:.1f}",
        "mean_duration": f"{sum(durations) / len(durations):.0f}" if durations else "unknown",
        "question_type_table": _table(("question_type", "questions"), [(t, by_type[t]) for t in QUESTION_TYPES]),
        "source_table": _table(("source", "questions"), sorted(by_source.items())),
        "configs": _configs_yaml(kind),
    }
    try:
        return string.Template(path.read_text(encoding="utf-8")).substitute({**stats, **values})
    except KeyError as error:
        raise ValueError(f"card template {path} needs a value for ${error.args[0]}") from None


def _table(header: tuple[str, str], rows: list[tuple[str, int]]) -> str:
    lines = [f"| {header[0]} | {header[1]} |", "|---|---:|"]
    lines.extend(f"| {name} | {count} |" for name, count in rows)
    return "\n".join(lines)


def _configs_yaml(kind: str) -> str:
    lines = ["configs:"]
    for config in LAYOUTS[kind]:
        lines += [f"- config_name: {config.name}", "  data_files:", f"  - split: {config.split}"]
        lines.append(f"    path: {config.path}")
    return "\n".join(lines)


def read_card_configs(folder: str | os.PathLike) -> list[dict[str, Any]]:
    """The ``configs:`` list of a folder's README.md front matter."""
    import yaml

    card = Path(folder) / "README.md"
    if not card.is_file():
        raise DatasetFolderError(card, "missing: a dataset folder needs a README.md with YAML configs")
    text = card.read_text(encoding="utf-8")
    if not text.startswith("---\n") or "\n---" not in text[4:]:
        raise DatasetFolderError(card, "has no YAML front matter between '---' lines")
    try:
        header = yaml.safe_load(text[4 : text.index("\n---", 4)]) or {}
    except yaml.YAMLError as error:
        raise DatasetFolderError(card, f"front matter is not valid YAML: {error}") from None
    configs = header.get("configs") if isinstance(header, dict) else None
    if not isinstance(configs, list) or not configs:
        raise DatasetFolderError(card, "front matter has no 'configs:' list")
    return configs


def folder_kind(folder: str | os.PathLike) -> str:
    """Which layout a folder's card declares; refuses any other configs."""
    declared = set()
    for entry in read_card_configs(folder):
        files = entry.get("data_files") if isinstance(entry, dict) else None
        if not isinstance(files, list) or len(files) != 1 or not isinstance(files[0], dict):
            raise DatasetFolderError(Path(folder) / "README.md", f"config {entry!r} must list one data file")
        declared.add((entry.get("config_name"), files[0].get("split"), files[0].get("path")))
    for kind, layout in LAYOUTS.items():
        if declared == {(c.name, c.split, c.path) for c in layout}:
            return kind
    raise DatasetFolderError(Path(folder) / "README.md", f"configs {sorted(map(str, declared))} match no known layout")


def read_dataset_folder(folder: str | os.PathLike) -> tuple[str, list[AVBenchRecord]]:
    """The kind and the records of a dataset folder, with SAVEn-Vid captions attached to their questions."""
    import pyarrow.parquet as pq

    folder = Path(folder)
    kind = folder_kind(folder)
    tables = {}
    for config in LAYOUTS[kind]:
        path = folder / config.path
        if not path.is_file():
            raise DatasetFolderError(path, f"missing: the data file of config {config.name!r}")
        try:
            tables[config.rows] = pq.read_table(path).to_pylist()
        except Exception as error:  # pyarrow raises several unrelated types for a damaged file
            raise DatasetFolderError(path, f"is not a readable Parquet file: {error}") from None
    captions = _read_captions(tables.get("captions", []), folder, folder / LAYOUTS["savenvid"][1].path)
    qa_path = folder / LAYOUTS[kind][0].path
    records = [
        AVBenchRecord.from_dict(dict(row, segments=captions.get(row.get("video_id"))), f"{qa_path} row {index}")
        for index, row in enumerate(tables["qa"])
    ]
    return kind, records


def _read_captions(rows: list[dict[str, Any]], folder: Path, path: Path) -> dict[str, list[dict[str, Any]]]:
    """Segments by video id, each caption row checked (its video path and every segment)."""
    captions = {}
    for index, row in enumerate(rows):
        where = f"{path} row {index}"
        try:
            for segment in row["segments"]:
                Segment(**segment)
        except RecordError as error:
            raise type(error)(where, error.reason) from None
        resolve_video_path(row["video"], folder, where)
        if row["video_id"] in captions:
            raise DatasetFolderError(where, f"video {row['video_id']!r} has a second captions row")
        captions[row["video_id"]] = row["segments"]
    return captions


def validate_dataset_folder(folder: str | os.PathLike, require_media: bool = True) -> FolderReport:
    """Check a folder before it is uploaded: card and configs, every row, every video path, and the videos."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetFolderError(folder, "is not a directory")
    kind, records = read_dataset_folder(folder)
    repeated = [qid for qid, n in Counter(r.question_id for r in records).items() if n > 1]
    if repeated:
        raise DatasetFolderError(folder, f"question_id repeated: {', '.join(sorted(repeated)[:5])}")
    missing = []
    for video in sorted({record.video for record in records}):
        if not resolve_video_path(video, folder, folder / "README.md").is_file():
            missing.append(video)
    if missing and require_media:
        raise DatasetFolderError(
            folder, f"{len(missing)} referenced video(s) are missing, e.g. {missing[0]!r} (or upload metadata only)"
        )
    return FolderReport(kind, tuple(records), tuple(missing))


def push_dataset_folder(
    folder: str | os.PathLike,
    repo_id: str,
    private: bool = False,
    revision: str | None = None,
    metadata_only: bool = False,
    api: Any = None,
):
    """Validate ``folder``, then create the dataset repo (if needed) and upload the folder in one commit.

    ``revision`` names a branch, created from the default branch when missing. ``metadata_only`` allows
    videos named by the rows to be absent (a release whose videos must be fetched from their sources).
    Returns huggingface-hub's ``CommitInfo``.
    """
    report = validate_dataset_folder(folder, require_media=not metadata_only)
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    api.create_repo(repo_id, repo_type="dataset", private=private or None, exist_ok=True)
    if revision is not None:
        api.create_branch(repo_id, repo_type="dataset", branch=revision, exist_ok=True)
    return api.upload_folder(
        repo_id=repo_id,
        folder_path=str(folder),
        repo_type="dataset",
        revision=revision,
        commit_message=f"Upload {report.kind} ({len(report.records)} questions, {report.num_videos} videos)",
    )
