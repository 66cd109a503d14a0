"""The AVBench manual review sheet: every test question with its options, key and the video's fused account.

The paper has people check each AVBench question for grammar and format, for redundancy and for answers that leak
from the text, and for questions that need only one modality. The CSV carries empty ``verdict`` (keep / drop),
``issue`` and ``note`` columns to fill in; giving the filled CSV as ``export.review_decisions`` leaves the
``drop`` rows out of the next export. The HTML page shows the same rows with the video player beside them.
"""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path

from .avbench_records import AVBenchRecord
from .pipeline_export import FinishedVideo
from .pipeline_store import atomic_write

COLUMNS = (
    "question_id",
    "video_id",
    "video",
    "question_type",
    "question",
    "option_A",
    "option_B",
    "option_C",
    "option_D",
    "answer",
    "events",
    "audio_visual_account",
    "verdict",
    "issue",
    "note",
)
ISSUES = "grammar_or_format, redundant, text_leak, single_modality, wrong_key, other"


def review_rows(rows: list[AVBenchRecord], videos: dict[str, FinishedVideo]) -> list[dict[str, str]]:
    table = []
    for record in rows:
        item = videos[record.video_id]
        row = {
            "question_id": record.question_id,
            "video_id": record.video_id,
            "video": record.video,
            "question_type": record.question_type,
            "question": record.question,
            "answer": record.answer,
            "events": str(len(item.segments)),
            "audio_visual_account": item.fused["audio_visual"],
            "verdict": "",
            "issue": "",
            "note": "",
        }
        row.update({f"option_{letter}": option for letter, option in zip("ABCD", record.options)})
        table.append(row)
    return table


def write_review(rows: list[AVBenchRecord], videos: dict[str, FinishedVideo], out_dir: Path, media_root: Path) -> None:
    """``avbench_review.csv`` and ``avbench_review.html`` in ``out_dir``; videos are linked from ``media_root``."""
    table = review_rows(rows, videos)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(table)
    atomic_write(out_dir / "avbench_review.csv", buffer.getvalue().encode("utf-8"))
    atomic_write(out_dir / "avbench_review.html", _page(table, media_root).encode("utf-8"))


def _page(table: list[dict[str, str]], media_root: Path) -> str:
    parts = [
        "<!doctype html><meta charset='utf-8'><title>AVBench review</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}section{border-top:1px solid #999;"
        "padding:1em 0}.key{font-weight:bold;color:#070}video{width:480px}details{color:#444}</style>",
        f"<h1>AVBench review: {len(table)} questions</h1>",
        "<p>For each question check grammar and format, redundancy, whether the text alone gives the answer away,"
        " and whether it needs both sound and picture. Record the verdict (keep / drop) and the issue"
        f" ({html.escape(ISSUES)}) in avbench_review.csv.</p>",
    ]
    for row in table:
        source = (media_root / row["video"]).resolve().as_uri()
        options = "".join(
            f"<li class='{'key' if letter == row['answer'] else ''}'>{letter}. {html.escape(row['option_' + letter])}</li>"
            for letter in "ABCD"
        )
        parts.append(
            f"<section id='{html.escape(row['question_id'])}'><h3>{html.escape(row['question_id'])}"
            f" <small>({html.escape(row['question_type'])}, {row['events']} events)</small></h3>"
            f"<video controls preload='none' src='{html.escape(source)}'></video>"
            f"<p>{html.escape(row['question'])}</p><ol style='list-style:none'>{options}</ol>"
            f"<details><summary>audio-visual account</summary><p>{html.escape(row['audio_visual_account'])}</p>"
            "</details></section>"
        )
    return "\n".join(parts) + "\n"
