"""What the Space does besides drawing its page: load a SAVEnVideo checkpoint, answer, and show what it used.

The checkpoint is remote code (AutoModel / AutoProcessor with ``trust_remote_code``), so a Space that names a Hub
model in ``SAVENVIDEO_MODEL`` runs without the ``savenvideo`` package. Only the offline fallback (a tiny
random-weight checkpoint built at startup) and the example clips need it.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from PIL import Image
from transformers import AutoModel, AutoProcessor

logger = logging.getLogger(__name__)

MODEL_ENV = "SAVENVIDEO_MODEL"
THUMBNAIL_SIDE = 160
SOUND_COLOUR = "#f28e2b"
SILENCE_COLOUR = "#c8c8c8"
FRAME_COLOUR = "#1f4e79"


class UnreadableVideo(Exception):
    """The upload is not a video the processor can decode; the message is meant for the person who uploaded it."""


@dataclass
class Answer:
    """The model's answer and what it was given: frames with their times, audio windows, notes for the reader."""

    text: str
    frames: list[tuple[Image.Image, str]]
    audio_plot: Figure
    notes: list[str] = field(default_factory=list)


def _is_decode_error(error: BaseException) -> bool:
    # The processor's VideoDecodeError lives in a transformers_modules.* module created at load time.
    return any(cls.__name__ == "VideoDecodeError" for cls in type(error).__mro__)


def build_tiny_checkpoint() -> Path:
    """A fresh tiny random-weight checkpoint in a temporary folder (never stale after a code change)."""
    from savenvideo.train.tiny_checkpoint import build_tiny_checkpoint as build

    return build(Path(tempfile.mkdtemp(prefix="savenvideo-space-")) / "tiny-checkpoint", seed=0)


def write_example_clips() -> list[list[str]]:
    """Synthetic clips (one with sound, one without) and a question for each, as gr.Examples rows."""
    from savenvideo.dataset_scripts.synthetic import ClipOptions, random_timeline, write_clip

    folder = Path(tempfile.mkdtemp(prefix="savenvideo-space-examples-"))
    with_sound = write_clip(
        folder / "tones-and-shapes.mp4", random_timeline(20.0, seed=1), ClipOptions(size=(320, 180))
    )
    silent = write_clip(
        folder / "silent-colours.mp4", random_timeline(8.0, seed=2), ClipOptions(size=(320, 180), audio=False)
    )
    return [
        [str(with_sound.path), "What sound plays at 00:00:05, and what is on screen then?"],
        [str(silent.path), "What colour fills the screen at the start?"],
    ]


def _frame_thumbnails(inputs, image_mean, image_std) -> list[tuple[Image.Image, str]]:
    """Undo SigLIP's normalisation: the thumbnails are the very pixels the vision tower saw."""
    mask = inputs["video_frame_mask"][0]
    pixels = inputs["pixel_values_videos"][0][mask].float()
    mean = torch.tensor(image_mean).view(1, 3, 1, 1)
    std = torch.tensor(image_std).view(1, 3, 1, 1)
    frames = ((pixels * std + mean).clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).numpy()
    thumbnails = []
    for index, (frame, time) in enumerate(zip(frames, inputs["video_frame_times"][0][mask].tolist())):
        image = Image.fromarray(frame)
        if max(image.size) < THUMBNAIL_SIDE:  # a tiny model's 32 px frames: show the pixels, not a blur
            image = image.resize((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.NEAREST)
        thumbnails.append((image, f"frame {index + 1} · {format_time(time)}"))
    return thumbnails


def format_time(seconds: float) -> str:
    """12.3 s, or 1:02:03.5 for long videos (people read video times as clock times)."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{rest:04.1f}" if hours else f"{minutes}:{rest:04.1f}"


def draw_audio_windows(inputs, window_seconds: float) -> Figure:
    """Top: each audio window as a bar on the time axis, the frame it belongs to as a dot. Bottom: its fbank."""
    frame_mask = inputs["video_frame_mask"][0]
    used = int(frame_mask.sum())  # a window per real frame; the slots after them are padding
    sound = inputs["audio_window_mask"][0][:used].tolist()
    centres = inputs["audio_window_times"][0][:used].tolist()
    frame_times = inputs["video_frame_times"][0][frame_mask].tolist()
    features = inputs["audio_features"][0][:used].float().numpy()
    feature_mask = inputs["audio_feature_mask"][0][:used].numpy()
    levels = features[feature_mask]  # one colour scale for all windows, so loud and quiet ones compare
    scale = {"vmin": float(levels.min()), "vmax": float(levels.max())} if levels.size else {}

    figure = Figure(figsize=(max(7.0, 1.1 * used), 4.2), layout="constrained")
    grid = figure.add_gridspec(2, used, height_ratios=[1.1, 1.0])
    timeline = figure.add_subplot(grid[0, :])
    for window, (centre, heard) in enumerate(zip(centres, sound), start=1):
        timeline.broken_barh(
            [(centre - window_seconds / 2, window_seconds)],
            (window - 0.35, 0.7),
            facecolors=SOUND_COLOUR if heard else SILENCE_COLOUR,
            hatch=None if heard else "//",
            edgecolor="white",
        )
    if frame_times:
        timeline.scatter(frame_times, range(1, len(frame_times) + 1), s=18, color=FRAME_COLOUR, zorder=3)
    timeline.yaxis.set_major_locator(MaxNLocator(nbins=8, integer=True, min_n_ticks=1))
    timeline.set_ylim(used + 0.6, 0.4)  # window 1 on top
    timeline.set_ylabel("window")
    timeline.set_xlabel("video time (s)")
    timeline.set_title(
        f"{sum(sound)} of {used} audio windows ({window_seconds:g} s each) hold sound; dots are the frames",
        fontsize=10,
    )
    timeline.spines[["top", "right"]].set_visible(False)

    for slot in range(used):
        axis = figure.add_subplot(grid[1, slot])
        axis.set_xticks([])
        axis.set_yticks([])
        axis.set_title(format_time(centres[slot]), fontsize=8)
        if sound[slot]:
            fbank = features[slot][feature_mask[slot]].T  # [128 mel bins, frames]
            axis.imshow(fbank, origin="lower", aspect="auto", cmap="magma", interpolation="nearest", **scale)
        else:
            axis.set_facecolor("#f0f0f0")
            axis.text(0.5, 0.5, "no\nsound", ha="center", va="center", fontsize=8, color="#666666")
        if slot == 0:
            axis.set_ylabel("mel bins", fontsize=8)
    return figure


class VideoAssistant:
    """One loaded checkpoint (model + processor) that answers questions about one video at a time."""

    def __init__(self, model_ref: str, label: str, notice: str = ""):
        self.label = label
        self.notice = notice
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = torch.bfloat16 if self.device == "cuda" else torch.float32
        self.processor = AutoProcessor.from_pretrained(model_ref, trust_remote_code=True)
        self.model = AutoModel.from_pretrained(model_ref, trust_remote_code=True, dtype=dtype).to(self.device).eval()

    @classmethod
    def from_environment(cls) -> VideoAssistant:
        """The model named by SAVENVIDEO_MODEL (Hub id or folder); a tiny random one if none is named or found."""
        name = os.environ.get(MODEL_ENV, "").strip()
        notice = ""
        if name:
            try:
                return cls(name, label=name)
            except OSError as error:  # not on the Hub, not cached while offline, or no such folder
                logger.warning("cannot load %s=%s (%s); using a tiny random checkpoint", MODEL_ENV, name, error)
                notice = f"`{MODEL_ENV}={name}` could not be loaded ({error.__class__.__name__}). "
        notice += (
            "Its weights are **random**: the page shows what the model receives, but the answers are "
            f"noise. Set `{MODEL_ENV}` to a trained checkpoint (a Hub id or a folder) for real answers."
        )
        return cls(str(build_tiny_checkpoint()), label="tiny random-weight checkpoint", notice=notice)

    def ask(self, video: str | None, question: str, max_new_tokens: int = 64) -> Answer:
        """Answer `question` about the video file `video`; raises UnreadableVideo or ValueError with a readable message."""
        if not video:
            raise ValueError("Upload a video (or pick an example) first.")
        question = (question or "").strip()
        if not question:
            raise ValueError("Type a question about the video.")
        conversation = [
            {"role": "user", "content": [{"type": "video", "path": video}, {"type": "text", "text": question}]}
        ]
        try:
            inputs = self.processor.apply_chat_template(
                conversation, add_generation_prompt=True, tokenize=True, return_dict=True
            )
        except Exception as error:
            if _is_decode_error(error):
                reason = getattr(error, "reason", str(error))
                raise UnreadableVideo(f"“{Path(video).name}” could not be read as a video: {reason}.") from error
            raise
        if not inputs["video_frame_mask"].any():
            raise UnreadableVideo(f"“{Path(video).name}” has no video frames (is it an audio file?).")
        model_inputs = inputs.copy()
        # Cast the pixels only: times stay float32, since bfloat16 would round them by seconds in a long video.
        model_inputs["pixel_values_videos"] = inputs["pixel_values_videos"].to(self.model.dtype)
        model_inputs = model_inputs.to(self.device)
        with torch.inference_mode():
            output = self.model.generate(**model_inputs, max_new_tokens=max_new_tokens, do_sample=False)
        text = self.processor.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True).strip()
        return Answer(
            text=text or "(the model gave an empty answer)",
            frames=_frame_thumbnails(
                inputs, self.processor.image_processor.image_mean, self.processor.image_processor.image_std
            ),
            audio_plot=draw_audio_windows(inputs, self.processor.audio_window_seconds),
            notes=self._notes(inputs),
        )

    @staticmethod
    def _notes(inputs) -> list[str]:
        notes = []
        frames = int(inputs["video_frame_mask"][0].sum())
        heard = int(inputs["audio_window_mask"][0].sum())
        if not heard:
            notes.append("**This video has no sound**: the model answered from its frames alone.")
        times = inputs["query_times"][0][inputs["query_time_mask"][0]].tolist()
        if times:
            notes.append("Times read from your question: " + ", ".join(format_time(t) for t in times) + ".")
        seen = f"The model saw {frames} frames, sampled evenly over the whole video"
        notes.append(seen + (f", and heard {heard} audio windows around them." if heard else "."))
        return notes
