"""Script arguments of `train/sft.py`, next to TRL's `SFTConfig` and `ModelConfig` in one `TrlParser`."""

from __future__ import annotations

from dataclasses import dataclass, field

from savenvideo.dataset_scripts.eval_prompt import ANSWER_STYLES


@dataclass
class DatasetSource:
    """One part of the training mixture.

    `path` is a LLaVA-style JSON / JSONL conversation file, a local dataset folder (saved with `save_to_disk`, or data
    files that `datasets.load_dataset` reads), or a Hub dataset id. Relative media paths in it resolve under
    `media_root` (default: the script's `media_root`, else the JSON file's folder).
    """

    path: str
    weight: float = 1.0
    media_root: str | None = None
    split: str = "train"
    name: str | None = None
    answer_with: str = "letter"
    """How multiple-choice records are answered: `letter` (the paper's) or `option`, the text of the right option
    (see dataset_scripts/eval_prompt.py); the prompt asks for the same."""

    def __post_init__(self):
        if self.answer_with not in ANSWER_STYLES:
            raise ValueError(f"answer_with must be one of {ANSWER_STYLES}, got {self.answer_with!r}")


@dataclass
class SAVEnVideoScriptArguments:
    """What to train (stage), on what (mixture), from what (a checkpoint in `model_name_or_path`, or components)."""

    stage: str = field(
        default="savenvid",
        metadata={
            "help": "Training stage: which parameters train (see train/stages.py).",
            "choices": ["align_visual", "align_audio", "av_temporal", "savenvid", "full"],
        },
    )
    dataset_mixture: list[DatasetSource] = field(
        default_factory=list,
        metadata={"help": "Mixture parts (set in the recipe YAML): path, weight, media_root, split, name."},
    )
    media_root: str | None = field(
        default=None, metadata={"help": "Default folder that relative media paths resolve under."}
    )
    mixture_stopping_strategy: str = field(
        default="all_exhausted",
        metadata={
            "help": "How `interleave_datasets` ends a weighted mixture: `all_exhausted` oversamples the smaller parts "
            "until every sample was seen once, `first_exhausted` stops with the first part.",
            "choices": ["all_exhausted", "first_exhausted"],
        },
    )
    num_frames: int | None = field(
        default=None,
        metadata={"help": "Frames sampled per video (the paper: 16); default: the checkpoint processor's setting."},
    )
    global_batch_size: int | None = field(
        default=None,
        metadata={
            "help": "Samples per optimizer step over all processes. When set, gradient_accumulation_steps is derived "
            "from it (global = per_device_train_batch_size x accumulation x world size), so one recipe fits 1, 8 or "
            "16 GPUs."
        },
    )
    vision_model_path: str | None = field(
        default=None, metadata={"help": "SigLIP checkpoint, to assemble a fresh model when no model_name_or_path."}
    )
    audio_model_path: str | None = field(
        default=None, metadata={"help": "BEATs checkpoint (converted), to assemble a fresh model."}
    )
    language_model_path: str | None = field(
        default=None, metadata={"help": "Qwen2 checkpoint (with its tokenizer), to assemble a fresh model."}
    )

    def __post_init__(self):
        # Mixture parts come from the YAML recipe as mappings.
        self.dataset_mixture = [
            part if isinstance(part, DatasetSource) else DatasetSource(**part) for part in self.dataset_mixture
        ]
