"""Convert MUSIC-AVQA's released question files into AVBench records.

The release has ``avqa-train.json``, ``avqa-val.json`` and ``avqa-test.json``: JSON lists whose items carry
``video_id`` ("00000272"), ``question_id`` (an integer), ``type`` (a JSON-encoded list such as
``["Audio-Visual", "Temporal"]``), ``question_content`` (a template with placeholders such as ``<Object>``,
``<FL>``, ``<LR>``), ``templ_values`` (a JSON-encoded list filling the placeholders in order),
``question_deleted`` (0 or 1) and ``anser`` (the answer word, spelled so in the release). Videos are
``<video_id>.mp4`` in the real and synthetic video folders.

MUSIC-AVQA is open-ended with a small answer vocabulary, while the AVBench format is multiple choice. Each
question therefore gets as options its correct answer and up to three other answers that the same question
template has in the same file (so a yes/no template offers "yes" and "no", a counting template offers
numbers), in a shuffled order fixed by the question id; deleted questions neither appear nor lend answers.
Multiple choice is easier than the open-ended protocol that papers usually report for MUSIC-AVQA, so scores on
this conversion are not comparable to them.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections import defaultdict
from pathlib import Path

from .avbench_errors import ConversionError, RecordError
from .avbench_records import LETTERS, AVBenchRecord, infer_question_type
from .converted_benchmark import ConvertedBenchmark, index_media, probe_duration

SOURCE = "MUSIC-AVQA"
FIELDS = ("video_id", "question_id", "type", "question_content", "templ_values", "anser")
_PLACEHOLDER = re.compile(r"<[^<>\s]+>")

CARD_VALUES = {
    "benchmark": "MUSIC-AVQA",
    "homepage": "https://gewu-lab.github.io/MUSIC-AVQA/",
    "license_name": "music-avqa-release-terms",
    "license_text": (
        "Use follows the terms of the MUSIC-AVQA release; its videos come from YouTube and remain the property "
        "of their owners."
    ),
    "citation": (
        "Li, G., Wei, Y., Tian, Y., Xu, C., Wen, J.-R., Hu, D. Learning to Answer Questions in Dynamic "
        "Audio-Visual Scenarios. In Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern "
        "Recognition (CVPR), 2022, pages 19108-19118."
    ),
    "conversion_notes": (
        "MUSIC-AVQA is open-ended; here each question is multiple choice between its answer and up to three "
        "other answers of the same question template in the same file, shuffled by a seed fixed per question. "
        "Templates are filled with `templ_values`; deleted questions and templates with a single answer are "
        "skipped. `category` is the question type, e.g. `Audio-Visual/Temporal`. Multiple choice is easier "
        "than the open-ended protocol, so these scores are not comparable with open-ended MUSIC-AVQA results."
    ),
}


def convert_music_avqa(
    src: str | os.PathLike, media_dir: str | os.PathLike | None = None, seed: int = 0
) -> ConvertedBenchmark:
    """Records of every usable question in the MUSIC-AVQA file ``src``; videos are looked up (recursively)
    in ``media_dir`` and measured when found."""
    src = Path(src)
    items = _read_items(src)
    media = index_media(media_dir)

    answers_by_template: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for index, item in enumerate(items):
        _check_item(item, f"{src} item {index}")
        if not item.get("question_deleted", 0):
            answer = item["anser"].strip()
            answers_by_template[_template_key(item)].setdefault(answer.casefold(), answer)

    records, found, skipped = [], {}, []
    for index, item in enumerate(items):
        where = f"{src} item {index}"
        question_id = str(item["question_id"])
        if item.get("question_deleted", 0):
            skipped.append((question_id, "marked question_deleted in the release"))
            continue
        pool = answers_by_template[_template_key(item)]
        answer = pool[item["anser"].strip().casefold()]
        others = sorted(text for key, text in pool.items() if key != answer.casefold())
        if not others:
            skipped.append((question_id, "its template has a single answer in this file, so no option to choose"))
            continue
        rng = random.Random(f"{seed}:{question_id}")
        options = [answer, *rng.sample(others, min(len(LETTERS) - 1, len(others)))]
        rng.shuffle(options)
        video_file = media.get(str(item["video_id"]))
        record = _record(item, where, question_id, tuple(options), answer, video_file)
        records.append(record)
        if video_file is not None:
            found[record.video] = video_file
    return ConvertedBenchmark(records=records, media=found, skipped=skipped, card_values=CARD_VALUES)


def _read_items(src: Path) -> list[dict]:
    try:
        items = json.loads(src.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConversionError(src, f"cannot be read: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise ConversionError(src, f"is not JSON: {error}") from None
    if not isinstance(items, list):
        raise ConversionError(src, "must hold a JSON list of questions, as avqa-test.json does")
    return items


def _check_item(item: object, where: str) -> None:
    if not isinstance(item, dict):
        raise ConversionError(where, "is not an object")
    missing = [name for name in FIELDS if name not in item]
    if missing:
        raise ConversionError(where, f"not MUSIC-AVQA's layout: missing field(s) {', '.join(missing)}")
    if not isinstance(item["anser"], str) or not item["anser"].strip():
        raise ConversionError(where, f"anser must be a non-empty string, got {item['anser']!r}")
    for name in ("type", "templ_values"):
        try:
            value = json.loads(item[name])
        except (TypeError, json.JSONDecodeError):
            raise ConversionError(where, f"{name} must be a JSON-encoded list, got {item[name]!r}") from None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConversionError(where, f"{name} must encode a list of strings, got {item[name]!r}")
    placeholders = len(_PLACEHOLDER.findall(item["question_content"]))
    if placeholders != len(json.loads(item["templ_values"])):
        raise ConversionError(
            where, f"question_content has {placeholders} placeholder(s) but templ_values fills {item['templ_values']}"
        )


def _template_key(item: dict) -> tuple[str, str]:
    return (item["type"], item["question_content"])


def _fill(template: str, values: list[str]) -> str:
    filled = iter(values)
    return _PLACEHOLDER.sub(lambda _: next(filled), template)


def _record(
    item: dict, where: str, question_id: str, options: tuple[str, ...], answer: str, video_file: Path | None
) -> AVBenchRecord:
    question = _fill(item["question_content"], json.loads(item["templ_values"]))
    video_id = str(item["video_id"])
    try:
        return AVBenchRecord(
            video_id=video_id,
            video=f"videos/{video_id}{video_file.suffix if video_file is not None else '.mp4'}",
            duration=probe_duration(video_file) if video_file is not None else None,
            source=SOURCE,
            question_id=question_id,
            question=question,
            options=options,
            answer=LETTERS[options.index(answer)],
            question_type=infer_question_type(question, options),
            category="/".join(json.loads(item["type"])),
        )
    except RecordError as error:
        raise ConversionError(where, error.reason) from None
