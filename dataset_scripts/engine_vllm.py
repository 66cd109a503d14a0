"""Run the captioning and writing models in-process with vLLM's offline ``LLM``: the fastest path on one GPU node.

vLLM is an optional extra (a GPU-only, 4 GB install), imported only when this engine is built. Prompts are rendered
with the checkpoint's own chat template (from its Hugging Face processor), media go in vLLM's
``multi_modal_data``: a video clip as its sampled frames (uint8 ``[T, H, W, 3]``, Qwen2-VL's video input), an
audio clip as ``(waveform, sample_rate)`` at the feature extractor's rate (Qwen2-Audio: 16 kHz). Each request
keeps its own ``SamplingParams``; if vLLM rejects a batch, its requests are retried one by one so only the bad one
fails.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from .engine_base import ChatRequest, Engine, EngineResult, error_text
from .engine_config import EngineConfig
from .engine_inputs import load_model_inputs


class VllmEngine(Engine):
    def __init__(self, config: EngineConfig):
        try:
            import vllm
        except ImportError as exc:
            raise ImportError(
                "the vllm engine needs vLLM and a CUDA GPU: pip install 'savenvideo[vllm]'; "
                "without a GPU use kind: transformers, or kind: http against a remote vLLM server"
            ) from exc
        from transformers import AutoProcessor

        self.config = config
        self._sampling_params = vllm.SamplingParams
        self.processor = AutoProcessor.from_pretrained(config.model)
        self.takes_video = getattr(self.processor, "video_processor", None) is not None
        self.feature_extractor = getattr(self.processor, "feature_extractor", None)
        self.sample_rate = getattr(self.feature_extractor, "sampling_rate", 16_000)
        self.max_audio_samples = getattr(self.feature_extractor, "n_samples", None)  # Qwen2-Audio: 30 s
        options: dict[str, Any] = {
            "model": config.model,
            "tensor_parallel_size": config.tensor_parallel_size,
            "dtype": config.dtype,
            "gpu_memory_utilization": config.gpu_memory_utilization,
        }
        if config.max_model_len:
            options["max_model_len"] = config.max_model_len
        if config.seed is not None:
            options["seed"] = config.seed
        limits = {"video": 1} if self.takes_video else {}
        if self.feature_extractor is not None:
            limits["audio"] = 1
        limits.update(config.limit_mm_per_prompt or {})
        if limits:  # text-only models refuse the option
            options["limit_mm_per_prompt"] = limits
        self.llm = vllm.LLM(**options)

    def sampling_params(self, request: ChatRequest) -> Any:
        config = self.config
        return self._sampling_params(
            max_tokens=config.max_new_tokens if request.max_new_tokens is None else request.max_new_tokens,
            temperature=config.temperature if request.temperature is None else request.temperature,
            top_p=config.top_p,
            seed=config.seed if request.seed is None else request.seed,
        )

    def vllm_input(self, request: ChatRequest) -> dict[str, Any]:
        """The prompt dict ``LLM.generate`` takes for one request (decodes its clips)."""
        inputs = load_model_inputs(
            request,
            self.config.num_frames,
            self.sample_rate,
            takes_video=self.takes_video,
            takes_audio=self.feature_extractor is not None,
            max_audio_samples=self.max_audio_samples,
        )
        prompt = self.processor.apply_chat_template(inputs.messages, tokenize=False, add_generation_prompt=True)
        media: dict[str, Any] = {}
        if inputs.videos:
            media["video"] = [clip.frames for clip in inputs.videos]
        if inputs.audios:
            media["audio"] = [(samples, self.sample_rate) for samples in inputs.audios]
        return {"prompt": prompt, "multi_modal_data": media} if media else {"prompt": prompt}

    def _texts(self, prompts: list[dict[str, Any]], params: list[Any]) -> list[str]:
        outputs = self.llm.generate(prompts, sampling_params=params, use_tqdm=False)
        return [output.outputs[0].text for output in outputs]

    def generate(self, requests: Sequence[ChatRequest]) -> list[EngineResult]:
        began = time.perf_counter()
        results: list[EngineResult | None] = [None] * len(requests)
        ready: list[tuple[int, dict[str, Any], Any]] = []
        for index, request in enumerate(requests):
            try:
                ready.append((index, self.vllm_input(request), self.sampling_params(request)))
            except Exception as exc:
                results[index] = EngineResult(request.request_id, None, error_text(exc), time.perf_counter() - began)
        if not ready:
            return results
        try:
            answered = zip(ready, self._texts([item[1] for item in ready], [item[2] for item in ready]))
            answers = [(item[0], text, None) for item, text in answered]
        except Exception:  # vLLM validates a whole batch up front: find the request(s) it refused
            answers = []
            for index, prompt, params in ready:
                try:
                    answers.append((index, self._texts([prompt], [params])[0], None))
                except Exception as exc:
                    answers.append((index, None, error_text(exc)))
        for index, text, error in answers:
            results[index] = EngineResult(requests[index].request_id, text, error, time.perf_counter() - began)
        return results

    def close(self) -> None:
        self.llm = None
