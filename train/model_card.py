"""The Hub model card (README.md) of a SAVEnVideo checkpoint: page metadata, runnable usage code, limits, citation.

``pipeline_tag: any-to-any``. The Hub knows both ``any-to-any`` and ``video-text-to-text``, but SAVEnVideo also
takes images and audio alone, and transformers has an ``any-to-any`` pipeline that loads it (it has no
video-text-to-text pipeline), so the Hub's "Use this model" snippet for that tag runs; ``video-text-to-text`` is kept
as a tag for search. Custom-code models get no live inference widget, so each ``widget:`` example carries its
recorded answer as a static ``output``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import EvalResult, ModelCard, ModelCardData

TEMPLATE = Path(__file__).with_name("model_card_template.md")
EXAMPLES_FOLDER = "examples"
PIPELINE_TAG = "any-to-any"
TAGS = ["custom_code", "video-llm", "audio-visual", "long-video", "video-text-to-text", "savenvideo"]
DEFAULT_QUESTION = "What happens in this video, and what can you hear?"
DEFAULT_SUMMARY = (
    "SAVEnVideo is an audio-visual large language model for long videos (the SAVEn-Vid paper): it watches frames "
    "sampled over the whole video with SigLIP, listens to the sound around each frame with BEATs, and answers "
    "questions about both with a Qwen2 language model."
)


@dataclass(frozen=True)
class CardExample:
    """A widget example. `video` is a URL, or a local file that is copied into the checkpoint's examples/ folder."""

    video: str | Path
    question: str
    answer: str
    title: str | None = None


def hub_file_url(repo_id: str, path: str) -> str:
    """Where a file of the model repo is served from, for widgets and for the usage code."""
    return f"https://huggingface.co/{repo_id}/resolve/main/{path}"


def _is_url(value: str | Path) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def _place_example(example: CardExample, checkpoint_dir: Path, repo_id: str) -> str:
    """The example's URL once the checkpoint is pushed as `repo_id` (copying a local video in first)."""
    if _is_url(example.video):
        return str(example.video)
    source = Path(example.video)
    if not source.is_file():
        raise FileNotFoundError(f"example video {source} is neither a URL nor a file")
    target = checkpoint_dir / EXAMPLES_FOLDER / source.name
    if target.exists() and target.read_bytes() != source.read_bytes():
        raise ValueError(f"two different example videos are named {source.name}")
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.resolve() != target.resolve():
        shutil.copyfile(source, target)
    return hub_file_url(repo_id, f"{EXAMPLES_FOLDER}/{source.name}")


def _cell(text: str) -> str:
    """Text that stays inside one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _literal(text: str) -> str:
    """A Python string literal (JSON strings are valid Python), so questions with quotes keep the code runnable."""
    return json.dumps(text, ensure_ascii=False)


def write_model_card(
    checkpoint_dir: str | Path,
    *,
    repo_id: str,
    base_model: str | Sequence[str] | None = None,
    space_url: str | None = None,
    examples: Sequence[CardExample] = (),
    results: Sequence[EvalResult] | None = None,
    datasets: str | Sequence[str] | None = None,
    license: str = "apache-2.0",
    summary: str = DEFAULT_SUMMARY,
) -> Path:
    """Write `checkpoint_dir/README.md` for the checkpoint as it will be on the Hub under `repo_id`; returns its path.

    Local example videos are copied into `checkpoint_dir/examples/` and referenced by their Hub URLs. The numbers
    the card states (frames, audio window, media tokens) are read from the checkpoint's processor config, so write
    the card after the processor is saved.
    """
    checkpoint_dir = Path(checkpoint_dir)
    processor = json.loads((checkpoint_dir / "processor_config.json").read_text())
    widget = [
        {
            "src": _place_example(example, checkpoint_dir, repo_id),
            "prompt": example.question,
            "example_title": example.title or example.question,
            "output": {"text": example.answer},
        }
        for example in examples
    ]
    card_data = ModelCardData(
        base_model=list(base_model) if isinstance(base_model, (list, tuple)) else base_model,
        datasets=list(datasets) if isinstance(datasets, (list, tuple)) else datasets,
        license=license,
        language=["en"],
        library_name="transformers",
        pipeline_tag=PIPELINE_TAG,
        tags=list(TAGS),
        model_name=repo_id.split("/")[-1],
        eval_results=list(results) if results else None,
        widget=widget or None,
    )
    first_video = widget[0]["src"] if widget else "video.mp4"
    card = ModelCard.from_template(
        card_data,
        template_path=str(TEMPLATE),
        model_name=repo_id.split("/")[-1],
        summary=summary,
        space_url=space_url,
        model_id_literal=_literal(repo_id),
        video_literal=_literal(first_video),
        question_literal=_literal(examples[0].question if examples else DEFAULT_QUESTION),
        num_frames=processor["num_frames"],
        window_seconds=f"{processor['audio_window_seconds']:g}",
        num_media_tokens=processor["num_video_tokens"] + processor["num_audio_tokens"],
        examples=[
            {
                "name": Path(item["src"]).name,
                "src": item["src"],
                "question": _cell(item["prompt"]),
                "answer": _cell(item["output"]["text"]),
            }
            for item in widget
        ],
        results=list(results or []),
    )
    path = checkpoint_dir / "README.md"
    card.save(path)
    return path
