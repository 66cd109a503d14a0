"""Training data: LLaVA-style conversation files and HF datasets, one schema, weighted mixtures.

Every source becomes rows of ``{"id", "media", "modality", "messages"}``: `media` is a checked absolute path (or
None), `modality` is `video`, `image` (a one-frame video), `audio` (no frames) or `text`, and `messages` holds
`{"role", "content"}` turns with the `<video>`-style placeholders taken out. Decoding waits for the collator, which
runs in the dataloader workers.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import datasets
from datasets import Dataset, Features, List, Value

from savenvideo.dataset_scripts.eval_prompt import expected_answer, question_prompt

from .arguments import DatasetSource

logger = logging.getLogger(__name__)

MEDIA_KEYS = ("video", "image", "audio")
ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}
PLACEHOLDER = re.compile(r"<(?:video|image|audio)>\n?")
FEATURES = Features(
    {
        "id": Value("string"),
        "media": Value("string"),
        "modality": Value("string"),
        "messages": List({"role": Value("string"), "content": Value("string")}),
    }
)


def resolve_media(relative: str, root: str | os.PathLike | None) -> str:
    """The absolute path of `relative` under `root`; absolute paths and `..` escapes are refused.

    The check is lexical, so a media root may itself hold symbolic links to the real storage.
    """
    if root is None:
        raise ValueError(f"media path {relative!r} is relative but no media_root is set for its source")
    normalized = os.path.normpath(relative)
    if os.path.isabs(relative) or normalized == ".." or normalized.startswith(f"..{os.sep}"):
        raise ValueError(f"media path {relative!r} escapes the media root {str(root)!r}")
    return os.path.join(os.path.abspath(root), normalized)


def llava_messages(conversations: list[dict]) -> list[dict]:
    """LLaVA `{"from", "value"}` turns as `{"role", "content"}` without media placeholders."""
    messages = []
    for turn in conversations:
        if turn["from"] not in ROLES:
            raise ValueError(f"unknown conversation role {turn['from']!r}")
        messages.append({"role": ROLES[turn["from"]], "content": PLACEHOLDER.sub("", turn["value"]).strip()})
    return messages


def record_messages(row: dict, answer_with: str = "letter") -> list[dict]:
    """The conversation of one record, whichever of the supported layouts it uses. Multiple-choice questions get
    the evaluation's wording (dataset_scripts/eval_prompt.py) and are answered as ``answer_with`` says: train as
    the model will be asked."""
    if row.get("conversations"):
        return llava_messages(row["conversations"])
    if row.get("question") is not None:
        options = row.get("options")
        if not options:
            return [
                {"role": "user", "content": row["question"]},
                {"role": "assistant", "content": str(row["answer"]).strip()},
            ]
        return [
            {"role": "user", "content": question_prompt(row["question"], options, answer_with)},
            {"role": "assistant", "content": expected_answer(str(row["answer"]), options, answer_with)},
        ]
    if row.get("messages"):
        return [{"role": m["role"], "content": m["content"]} for m in row["messages"]]
    raise ValueError(f"record has no `conversations`, `question` or `messages`: keys {sorted(row)}")


def record_media(row: dict, media_root: str | None) -> tuple[str | None, str]:
    """(absolute media path or None, modality). Paths from `Video`/`Audio`/`Image` features are the library's own."""
    present = [key for key in MEDIA_KEYS if row.get(key) is not None]
    if len(present) > 1:
        raise ValueError(f"record has several media ({present}); one video, image or audio per sample")
    if not present:
        return None, "text"
    value = row[present[0]]
    if isinstance(value, dict):  # an undecoded datasets media feature
        if not value.get("path") or not os.path.isabs(value["path"]):
            raise ValueError("media stored as bytes in the dataset is not supported: reference files by path")
        return value["path"], present[0]
    if not isinstance(value, str):
        raise ValueError(f"{present[0]} must be one path, got {type(value).__name__}")
    return resolve_media(value, media_root), present[0]


def _read(source: DatasetSource) -> Dataset:
    path = Path(source.path)
    if path.suffix in (".json", ".jsonl"):
        return datasets.load_dataset("json", data_files=str(path), split=source.split)
    if (path / "state.json").exists() or (path / "dataset_dict.json").exists():
        loaded = datasets.load_from_disk(str(path))
        return loaded[source.split] if isinstance(loaded, datasets.DatasetDict) else loaded
    if path.is_dir():
        # datasets 5.2 keys its cache of a local folder on the folder's name, so edited files would be
        # served stale: re-read local folders every time.
        return datasets.load_dataset(
            source.path, name=source.name, split=source.split, download_mode="force_redownload"
        )
    return datasets.load_dataset(source.path, name=source.name, split=source.split)


def load_source(source: DatasetSource, media_root: str | None = None, num_proc: int | None = None) -> Dataset:
    """One mixture part in the common schema. Media root: the source's, else `media_root`, else its local folder."""
    raw = _read(source)
    for key in MEDIA_KEYS:
        if key in raw.features and hasattr(raw.features[key], "decode"):
            raw = raw.cast_column(key, type(raw.features[key])(decode=False))
    local = Path(source.path)
    root = source.media_root or media_root
    if root is None and local.exists():
        root = str(local if local.is_dir() else local.parent)
    label = local.stem or source.path

    def normalize(row: dict, index: int) -> dict:
        media, modality = record_media(row, root)
        return {
            "id": str(row["id"]) if row.get("id") is not None else f"{label}-{index}",
            "media": media,
            "modality": modality,
            "messages": record_messages(row, source.answer_with),
        }

    rows = raw.map(
        normalize,
        with_indices=True,
        remove_columns=raw.column_names,
        features=FEATURES,
        num_proc=num_proc,
        desc=f"Normalizing {label}",
    )
    check_media_present(rows, label, root)
    return rows


def check_media_present(rows: Dataset, label: str, root: str | None) -> None:
    """Stop before training when a source's media are all missing (a wrong media root, an unfetched folder).

    A few missing files are only warned about: the collator drops and counts them, as it does unreadable ones.
    Without this check a mistyped root would silently train on the other sources alone.
    """
    paths = {path for path in rows["media"] if path is not None and "://" not in path}
    missing = sorted(path for path in paths if not os.path.exists(path))
    if not missing:
        return
    if len(missing) == len(paths):
        raise FileNotFoundError(
            f"dataset source {label!r}: none of its {len(paths)} media files exists (e.g. {missing[0]}); "
            f"media root: {root!r}"
        )
    logger.warning(
        "dataset source %r: %d of %d media files are missing (e.g. %s); their samples will be dropped",
        label,
        len(missing),
        len(paths),
        missing[0],
    )


def load_mixture(
    sources: list[DatasetSource],
    media_root: str | None = None,
    seed: int = 0,
    stopping_strategy: str = "all_exhausted",
    num_proc: int | None = None,
) -> Dataset:
    """All sources in the common schema, interleaved at random in proportion to their weights (seeded)."""
    if any(source.weight < 0 for source in sources):
        raise ValueError(f"mixture weights must be non-negative, got {[s.weight for s in sources]}")
    sources = [source for source in sources if source.weight > 0]  # a zero weight would never be exhausted
    if not sources:
        raise ValueError("the dataset mixture is empty: list at least one source with a positive weight")
    parts = [load_source(source, media_root, num_proc) for source in sources]
    if len(parts) == 1:
        return parts[0]
    total = sum(source.weight for source in sources)
    probabilities = [source.weight / total for source in sources]
    return datasets.interleave_datasets(
        parts, probabilities=probabilities, seed=seed, stopping_strategy=stopping_strategy
    )
