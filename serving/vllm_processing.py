"""vLLM's multimodal processing for SAVEnVideo: processing info, profiling dummy inputs and the processor.

Each video item is handed to the checkpoint's own SAVEnVideoProcessor (remote code), so the server sees the same
frames, frame times, audio windows and fbank features as transformers. The prompt's ``<|video_pad|>`` is replaced
by ``MediaLayout.placeholder_ids()``, the model's fused tokens are written over those positions.

Query times make the fused tokens depend on the question, not only on the video: the user turns are read from the
prompt, passed to the processor, and the times they name join the item's cache key, so neither the processor
cache nor the encoder cache gives one question's tokens to another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from transformers import BatchFeature
from vllm.multimodal.inputs import MultiModalFieldConfig
from vllm.multimodal.parse import MultiModalDataParser
from vllm.multimodal.processing import (
    BaseDummyInputsBuilder,
    BaseMultiModalProcessor,
    BaseProcessingInfo,
    PromptReplacement,
)

from savenvideo.modeling.modeling_savenvideo import MEDIA_INPUTS

from .layout import MEDIA_PLACEHOLDER, MediaLayout
from .query_text import mentioned_times, user_text
from .video_items import dummy_item, processor_video

# Per-request processor options that are ours, not SAVEnVideoProcessor's constructor arguments.
QUERY_TEXT_KEY = "savenvideo_query_text"
QUERY_TIMES_KEY = "savenvideo_query_times"


class SAVEnVideoProcessingInfo(BaseProcessingInfo):
    def get_layout(self) -> MediaLayout:
        return MediaLayout.from_config(self.get_hf_config())

    def get_data_parser(self) -> MultiModalDataParser:
        # The metadata carries the container (or frame times and sound): items must keep it.
        return MultiModalDataParser(
            video_needs_metadata=True,
            expected_hidden_size=self._get_expected_hidden_size(),
            allow_missing_mm_embeddings=self.allow_missing_mm_embeddings,
        )

    def get_supported_mm_limits(self) -> Mapping[str, int | None]:
        return {"video": 1}  # the processor and the training data have at most one video per sample

    def get_mm_max_tokens_per_item(
        self, seq_len: int, mm_counts: Mapping[str, int] | None = None
    ) -> Mapping[str, int]:
        return {"video": self.get_layout().num_tokens}


class SAVEnVideoDummyInputsBuilder(BaseDummyInputsBuilder[SAVEnVideoProcessingInfo]):
    def get_dummy_text(self, mm_counts: Mapping[str, int]) -> str:
        return MEDIA_PLACEHOLDER * mm_counts.get("video", 0)

    def get_dummy_mm_data(self, seq_len: int, mm_counts: Mapping[str, int], mm_options) -> dict:
        config = self.info.get_hf_config()
        item = dummy_item(config.num_frames, config.vision_config.image_size)
        return {"video": [item] * mm_counts.get("video", 0)}


class SAVEnVideoMultiModalProcessor(BaseMultiModalProcessor[SAVEnVideoProcessingInfo]):
    def apply(self, inputs, timing_ctx):
        """Add the prompt's user turns to the processor options: the query-time input of every video item."""
        prompt = self.info.get_tokenizer().decode(inputs.prompt)
        options = {**inputs.hf_processor_mm_kwargs, QUERY_TEXT_KEY: user_text(prompt)}
        return super().apply(replace(inputs, hf_processor_mm_kwargs=options), timing_ctx)

    def _get_mm_hashes(self, inputs):
        """Key items by the times the question names, not by its wording, so other questions reuse the cache."""
        options = dict(inputs.hf_processor_mm_kwargs)
        times = mentioned_times(options.pop(QUERY_TEXT_KEY, ""))
        if times:
            options[QUERY_TIMES_KEY] = times
        return super()._get_mm_hashes(replace(inputs, hf_processor_mm_kwargs=options))

    def _call_hf_processor(self, hf_data: Mapping[str, object], hf_kwargs: Mapping[str, object]) -> BatchFeature:
        """Run SAVEnVideoProcessor on each video alone; keep the media fields, one tensor per video."""
        options = dict(hf_kwargs)
        query_text = str(options.pop(QUERY_TEXT_KEY, ""))
        # The checkpoint's SAVEnVideoProcessor; `--mm-processor-kwargs` (e.g. decode_timeout) reach its constructor.
        processor = self.info.get_hf_processor(**options)
        outputs = []
        for index, (frames, metadata) in enumerate(hf_data.get("videos", [])):
            video = processor_video(frames, metadata)
            try:
                outputs.append(processor(text=MEDIA_PLACEHOLDER, videos=[video], query_texts=[query_text]))
            except Exception as error:  # the remote code's VideoDecodeError is not ours: a bad video is a bad request
                raise ValueError(f"video {index}: {error}") from error
        fields = {name: [output[name][0] for output in outputs] for name in MEDIA_INPUTS}
        # Times stay float32 (bfloat16 would round them by up to 16 s at two hours); only pixels take the model's dtype.
        dtype = self.info.ctx.model_config.dtype
        fields["pixel_values_videos"] = [pixels.to(dtype) for pixels in fields["pixel_values_videos"]]
        return BatchFeature(fields)

    def _get_mm_fields_config(
        self, hf_inputs: BatchFeature, hf_processor_mm_kwargs: Mapping[str, object]
    ) -> Mapping[str, MultiModalFieldConfig]:
        return {name: MultiModalFieldConfig.batched("video") for name in MEDIA_INPUTS}

    def _get_prompt_updates(self, mm_items, hf_processor_mm_kwargs, out_mm_kwargs) -> Sequence[PromptReplacement]:
        layout = self.info.get_layout()
        return [
            PromptReplacement(modality="video", target=[layout.video_token_id], replacement=layout.placeholder_ids())
        ]
