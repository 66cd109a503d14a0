"""Run Qwen2-VL, Qwen2-Audio or a Qwen2 / Qwen2.5 text model in-process with transformers: no server needed.

The model class comes from the checkpoint's ``architectures`` (Qwen2VLForConditionalGeneration,
Qwen2AudioForConditionalGeneration, Qwen2ForCausalLM, ...), the inputs from its ``AutoProcessor``: video clips
go in as sampled frames (``videos=``, each clip its own ``pixel_values_videos`` grid), audio clips as 16 kHz
waveforms (``audio=``, Whisper features). Requests with the same generation settings are batched (left padding);
if a batch fails, its requests are retried one by one so that one bad request never takes others down.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .engine_base import ChatRequest, Engine, EngineResult, error_text
from .engine_config import EngineConfig
from .engine_inputs import ModelInputs, load_model_inputs
from .engine_media import ClipFrames


def _metadata(clip: ClipFrames) -> dict[str, Any]:
    count = len(clip.frames)
    return {
        "total_num_frames": count,
        "fps": count / (clip.end - clip.start),
        "duration": clip.end - clip.start,
        "frames_indices": list(range(count)),
    }


@dataclass
class _Pending:
    index: int
    settings: tuple[int, float, int | None]  # max_new_tokens, temperature, seed (None when greedy)
    inputs: ModelInputs | None
    began: float


class TransformersEngine(Engine):
    def __init__(self, config: EngineConfig):
        import torch
        import transformers

        self.config = config
        self.processor = transformers.AutoProcessor.from_pretrained(config.model)
        model_config = transformers.AutoConfig.from_pretrained(config.model)
        architecture = (getattr(model_config, "architectures", None) or [None])[0]
        model_class = getattr(transformers, architecture or "", None) or transformers.AutoModelForCausalLM
        if config.device == "auto" and torch.cuda.is_available():
            # Spread a large model (Qwen2-VL-72B) over every visible GPU.
            self.model = model_class.from_pretrained(config.model, dtype=config.dtype, device_map="auto")
        else:
            device = "cpu" if config.device == "auto" else config.device
            self.model = model_class.from_pretrained(config.model, dtype=config.dtype).to(device)
        self.model.eval()
        self.tokenizer = getattr(self.processor, "tokenizer", self.processor)
        self.tokenizer.padding_side = "left"
        self.takes_video = getattr(self.processor, "video_processor", None) is not None
        self.feature_extractor = getattr(self.processor, "feature_extractor", None)
        self.sample_rate = getattr(self.feature_extractor, "sampling_rate", 16_000)
        self.max_audio_samples = getattr(self.feature_extractor, "n_samples", None)  # Qwen2-Audio: 30 s

    def _settings(self, request: ChatRequest) -> tuple[int, float, int | None]:
        config = self.config
        temperature = config.temperature if request.temperature is None else request.temperature
        seed = config.seed if request.seed is None else request.seed
        return (
            config.max_new_tokens if request.max_new_tokens is None else request.max_new_tokens,
            temperature,
            seed if temperature > 0 else None,
        )

    def _load(self, request: ChatRequest) -> ModelInputs:
        return load_model_inputs(
            request,
            self.config.num_frames,
            self.sample_rate,
            takes_video=self.takes_video,
            takes_audio=self.feature_extractor is not None,
            max_audio_samples=self.max_audio_samples,
        )

    def processor_inputs(self, batch: Sequence[ModelInputs]) -> Any:
        """The tensors ``model.generate`` gets for a batch (exposed so tests can check what the model sees)."""
        texts = [
            self.processor.apply_chat_template(item.messages, tokenize=False, add_generation_prompt=True)
            for item in batch
        ]
        kwargs: dict[str, Any] = {"text": texts, "padding": True, "return_tensors": "pt"}
        videos = [clip for item in batch for clip in item.videos]
        audios = [samples for item in batch for samples in item.audios]
        if videos:
            # Frames were already sampled from each clip's interval; their rate tells Qwen2.5-VL-style models
            # how much time a frame covers.
            kwargs["videos"] = [clip.frames for clip in videos]
            kwargs["video_metadata"] = [_metadata(clip) for clip in videos]
            kwargs["do_sample_frames"] = False
        if audios:
            kwargs["audio"] = audios
            kwargs["sampling_rate"] = self.sample_rate
        features = self.processor(**kwargs)
        if videos or audios:  # pixels and mel features in the model's dtype (token ids stay integers)
            return features.to(self.model.device, dtype=self.model.dtype)
        return features.to(self.model.device)

    def _run(self, batch: Sequence[_Pending]) -> list[str]:
        import torch

        max_new_tokens, temperature, seed = batch[0].settings
        inputs = self.processor_inputs([item.inputs for item in batch])
        options: dict[str, Any] = {"max_new_tokens": max_new_tokens, "do_sample": temperature > 0}
        if temperature > 0:
            options.update(temperature=temperature, top_p=self.config.top_p)
            if seed is not None:
                torch.manual_seed(seed)
        with torch.inference_mode():
            output = self.model.generate(**inputs, **options)
        new_tokens = output[:, inputs["input_ids"].shape[1] :]
        return self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)

    def _batches(self, pending: Sequence[_Pending]) -> list[list[_Pending]]:
        """Requests with equal generation settings, ``batch_size`` at a time."""
        groups: dict[tuple, list[_Pending]] = defaultdict(list)
        for item in pending:
            groups[item.settings].append(item)
        size = self.config.batch_size
        return [group[start : start + size] for group in groups.values() for start in range(0, len(group), size)]

    def generate(self, requests: Sequence[ChatRequest]) -> list[EngineResult]:
        results: list[EngineResult | None] = [None] * len(requests)

        def finish(item: _Pending, text: str | None, error: str | None = None) -> None:
            latency = time.perf_counter() - item.began
            results[item.index] = EngineResult(requests[item.index].request_id, text, error, latency)

        pending = []
        for index, request in enumerate(requests):
            item = _Pending(index, self._settings(request), None, time.perf_counter())
            try:
                item.inputs = self._load(request)
                pending.append(item)
            except Exception as exc:
                finish(item, None, error_text(exc))
        for batch in self._batches(pending):
            try:
                for item, text in zip(batch, self._run(batch)):
                    finish(item, text)
            except Exception as batch_error:
                if len(batch) == 1:
                    finish(batch[0], None, error_text(batch_error))
                    continue
                for item in batch:  # find the request that broke the batch; the others still get answers
                    try:
                        finish(item, self._run([item])[0])
                    except Exception as exc:
                        finish(item, None, error_text(exc))
        return results

    def close(self) -> None:
        self.model = None
