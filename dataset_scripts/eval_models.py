"""The models the eval runner can question, behind one small interface: turn a batch of questions into model
inputs, then generate greedily (num_beams=1, no sampling, as in the paper's evaluation) or, with likelihood
scoring, pick the option whose answer text the model finds most probable (lm-evaluation-harness's way of asking
multiple-choice questions of models that cannot be trusted to write a letter).

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

from .avbench_records import LETTERS
from .eval_prompt import user_message

MODEL_TYPES = ("auto", "savenvideo", "any-to-any", "causal-lm")


@dataclass(frozen=True)
class Question:
    """What one question shows the model: the prompt text and the video (None when blind); ``choices`` are the
    answers likelihood scoring compares, one per option (empty when the model generates)."""

    prompt: str
    video: Path | None
    choices: tuple[str, ...] = ()


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


def best_choice(scores: Sequence[float]) -> str:
    """The letter of the highest-scoring choice (the first one on a tie)."""
    return LETTERS[max(range(len(scores)), key=scores.__getitem__)]


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

    def choose(self, inputs: Any, questions: Sequence[Question]) -> list[list[float]]:
        """Log-likelihood of each question's choices (each followed by the end-of-turn token) after its prompt.

        One forward pass per batch: every prompt (left-padded) is repeated once per choice with the choice's
        tokens appended. Relative positions are all RoPE sees, so the padding in between changes nothing.
        """
        import torch

        end = self.model.generation_config.eos_token_id
        end = [end[0] if isinstance(end, list) else end] if end is not None else []
        counts = [len(q.choices) for q in questions]
        repeats = torch.tensor(counts, device=self.device)
        continuations = [
            self.tokenizer.encode(c, add_special_tokens=False) + end for q in questions for c in q.choices
        ]
        width = max(map(len, continuations))
        batch = {
            key: value.repeat_interleave(repeats, dim=0)
            for key, value in inputs.items()
            if torch.is_tensor(value) and value.shape[:1] == (len(questions),)
        }
        prompt_ids, prompt_mask = batch["input_ids"], batch["attention_mask"]
        tail = torch.full((len(continuations), width), self.tokenizer.pad_token_id, dtype=prompt_ids.dtype)
        tail_mask = torch.zeros_like(tail)
        for row, ids in enumerate(continuations):
            tail[row, : len(ids)] = torch.tensor(ids)
            tail_mask[row, : len(ids)] = 1
        batch["input_ids"] = torch.cat([prompt_ids, tail.to(self.device)], dim=1)
        batch["attention_mask"] = torch.cat([prompt_mask, tail_mask.to(self.device)], dim=1)
        with torch.inference_mode():
            logits = self.model(**batch).logits[:, prompt_ids.shape[1] - 1 : -1].float()
        picked = logits.log_softmax(-1).gather(-1, tail.to(self.device)[..., None])[..., 0]
        scores = (picked * tail_mask.to(self.device)).sum(-1).cpu()
        return [part.tolist() for part in scores.split(counts)]

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

    def choose(self, inputs: Any, questions: Sequence[Question]) -> list[list[float]]:
        # Their processors flatten video patches over the whole batch: there is no per-sample axis to repeat.
        raise NotImplementedError(
            f"likelihood scoring is not supported for {self.config.model} (any-to-any models): use --scoring generate"
        )

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
