"""The models the eval runner can question, behind one small interface: turn a batch of questions into model
inputs, then generate greedily (num_beams=1, no sampling, as in the paper's evaluation).

- ``savenvideo``: a SAVEnVideo checkpoint (remote code). ``no_audio`` withholds the audio track by clearing its
  masks, the paper's "w/o audio input" ablation; ``blind`` gives its language model the text alone.
- ``any-to-any``: any transformers model whose processor's chat template takes a video item (loaded with
  ``AutoModelForMultimodalLM``, else ``AutoModelForImageTextToText``). It receives frames only: transformers
  processors do not read a video's sound unless asked to, so ``no_audio`` changes nothing for it.
- ``causal-lm``: a text-only LLM (``AutoModelForCausalLM``), for the ``blind`` leakage baseline.

Preparing inputs decodes the videos; an error listed in ``media_errors`` means one of the batch's videos cannot
be read, and the runner then retries the questions one by one to find it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .eval_prompt import user_message

MODEL_TYPES = ("auto", "savenvideo", "any-to-any", "causal-lm")


@dataclass(frozen=True)
class Question:
    """What one question shows the model: the prompt text and the video (None when blind)."""

    prompt: str
    video: Path | None


@dataclass(frozen=True)
class ModelConfig:
    """How to load and run the model; ``model_type="auto"`` reads it from the checkpoint's config.json."""

    model: str
    model_type: str = "auto"
    blind: bool = False
    no_audio: bool = False
    max_new_tokens: int = 32
    num_frames: int | None = None  # None: the processor's own (16 for SAVEnVideo, the paper's)
    device: str | None = None  # None: cuda when available
    dtype: str = "auto"

    def __post_init__(self):
        if self.model_type not in MODEL_TYPES:
            raise ValueError(f"model_type must be one of {MODEL_TYPES}, got {self.model_type!r}")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")


def detect_model_type(model: str) -> str:
    """savenvideo, causal-lm or any-to-any, from config.json alone (no remote code runs to find out)."""
    from transformers import PretrainedConfig

    config, _ = PretrainedConfig.get_config_dict(model)
    if config.get("model_type") == "savenvideo":
        return "savenvideo"
    architectures = config.get("architectures") or []
    if architectures and all(name.endswith("ForCausalLM") for name in architectures):
        return "causal-lm"
    return "any-to-any"


def load_model(config: ModelConfig) -> EvalModel:
    """The model wrapper for ``config``; a text-only model is refused unless the run is blind."""
    model_type = detect_model_type(config.model) if config.model_type == "auto" else config.model_type
    if model_type == "causal-lm" and not config.blind:
        raise ValueError(f"{config.model} is a text-only model: it can only run --blind")
    wrapper = {"savenvideo": SAVEnVideoEvalModel, "any-to-any": AnyToAnyEvalModel, "causal-lm": CausalLMEvalModel}[
        model_type
    ]
    return wrapper(config)


class EvalModel:
    """Shared loading and greedy generation; subclasses build the inputs."""

    media_errors: tuple[type[BaseException], ...] = ()

    def __init__(self, config: ModelConfig):
        import torch

        self.config = config
        self.device = config.device or ("cuda" if torch.cuda.is_available() else "cpu")

    def inputs(self, questions: Sequence[Question]) -> Any:
        raise NotImplementedError

    def generate(self, inputs: Any) -> list[str]:
        """Greedy answers to a batch prepared by :meth:`inputs`, without the prompt."""
        import torch

        with torch.inference_mode():
            output = self.model.generate(
                **inputs,
                max_new_tokens=self.config.max_new_tokens,
                do_sample=False,
                num_beams=1,
                pad_token_id=self.tokenizer.pad_token_id,
            )
        answers = self.tokenizer.batch_decode(output[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
        return [answer.strip() for answer in answers]

    def _processor_kwargs(self) -> dict[str, Any]:
        return {} if self.config.num_frames is None else {"num_frames": self.config.num_frames}


class SAVEnVideoEvalModel(EvalModel):
    def __init__(self, config: ModelConfig):
        super().__init__(config)
        from transformers import AutoModel, AutoProcessor

        self.processor = AutoProcessor.from_pretrained(config.model, trust_remote_code=True)
        self.tokenizer = self.processor.tokenizer
        self.model = AutoModel.from_pretrained(config.model, trust_remote_code=True, dtype=config.dtype)
        self.model.to(self.device).eval()
        # The processor is remote code: its error class lives in its own module, not in savenvideo.processing.
        self.media_errors = () if config.blind else (sys.modules[type(self.processor).__module__].VideoDecodeError,)

    def inputs(self, questions: Sequence[Question]) -> Any:
        batch = self.processor.apply_chat_template(
            [[user_message(q.prompt, q.video)] for q in questions],
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
            padding_side="left",
            processor_kwargs=self._processor_kwargs(),
        )
        if self.config.blind:
            # Without media inputs the model skips its encoders: the language model reads the text alone.
            batch = {key: batch[key] for key in ("input_ids", "attention_mask")}
        else:
            if self.config.no_audio:
                batch["audio_features"].zero_()
                batch["audio_feature_mask"].zero_()
                batch["audio_window_mask"].zero_()
            # Only the pixels follow the model's dtype; times stay float32 (docs/model_inputs.md).
            batch["pixel_values_videos"] = batch["pixel_values_videos"].to(self.model.dtype)
        return {key: value.to(self.device) for key, value in batch.items()}


class AnyToAnyEvalModel(EvalModel):
    def __init__(self, config: ModelConfig):
        super().__init__(config)
        import transformers

        self.processor = transformers.AutoProcessor.from_pretrained(config.model)
        self.tokenizer = getattr(self.processor, "tokenizer", self.processor)
        self.tokenizer.padding_side = "left"
        auto = getattr(transformers, "AutoModelForMultimodalLM", None) or transformers.AutoModelForImageTextToText
        self.model = auto.from_pretrained(config.model, dtype=config.dtype).to(self.device).eval()
        # Each library decodes video its own way and raises its own errors (RuntimeError, OSError, av's, ...).
        self.media_errors = () if config.blind else (Exception,)

    def inputs(self, questions: Sequence[Question]) -> Any:
        batch = self.processor.apply_chat_template(
            [[user_message(q.prompt, q.video)] for q in questions],
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
            processor_kwargs={"padding": True, **self._processor_kwargs()},
        )
        return batch.to(self.device, dtype=self.model.dtype)


class CausalLMEvalModel(EvalModel):
    def __init__(self, config: ModelConfig):
        super().__init__(config)
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(config.model, padding_side="left")
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(config.model, dtype=config.dtype).to(self.device).eval()

    def inputs(self, questions: Sequence[Question]) -> Any:
        if self.tokenizer.chat_template:
            texts = [
                self.tokenizer.apply_chat_template(
                    [{"role": "user", "content": q.prompt}], add_generation_prompt=True, tokenize=False
                )
                for q in questions
            ]
            special = False  # the template wrote them
        else:
            texts, special = [f"{q.prompt}\nAnswer:" for q in questions], True
        batch = self.tokenizer(texts, padding=True, return_tensors="pt", add_special_tokens=special)
        return batch.to(self.device)
