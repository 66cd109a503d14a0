"""SAVEnVideo as a vLLM model: our PyTorch media path in front of vLLM's Qwen2.

The encoders, the TLP and the AVTS resampler are SAVEnVideo's own modules (``SAVEnVideoMediaEncoder``); the
language model is vLLM's ``Qwen2ForCausalLM`` (paged attention, CUDA graphs, tensor parallelism). vLLM writes
each video's fused tokens over the positions ``MediaLayout`` reserves, then runs the LLM on the merged embeddings.
Checkpoint weights load under ``CHECKPOINT_PREFIXES``.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn
from vllm.config import VllmConfig
from vllm.model_executor.models.interfaces import MultiModalEmbeddings, SupportsMultiModal
from vllm.model_executor.models.utils import (
    AutoWeightsLoader,
    WeightsMapper,
    init_vllm_registered_model,
    maybe_prefix,
)
from vllm.multimodal import MULTIMODAL_REGISTRY
from vllm.sequence import IntermediateTensors

from savenvideo.modeling.modeling_savenvideo import MEDIA_INPUTS

from .layout import MEDIA_PLACEHOLDER
from .media_encoder import CHECKPOINT_PREFIXES, SAVEnVideoMediaEncoder
from .vllm_processing import SAVEnVideoDummyInputsBuilder, SAVEnVideoMultiModalProcessor, SAVEnVideoProcessingInfo


@MULTIMODAL_REGISTRY.register_processor(
    SAVEnVideoMultiModalProcessor,
    info=SAVEnVideoProcessingInfo,
    dummy_inputs=SAVEnVideoDummyInputsBuilder,
)
class VllmSAVEnVideoForConditionalGeneration(nn.Module, SupportsMultiModal):
    hf_to_vllm_mapper = WeightsMapper(orig_to_new_prefix=CHECKPOINT_PREFIXES)

    @classmethod
    def get_placeholder_str(cls, modality: str, i: int) -> str | None:
        if modality.startswith("video"):
            return MEDIA_PLACEHOLDER
        raise ValueError(f"SAVEnVideo takes videos (with their sound), not {modality!r}")

    def __init__(self, *, vllm_config: VllmConfig, prefix: str = ""):
        super().__init__()
        config = vllm_config.model_config.hf_config
        self.config = config
        with self._mark_tower_model(vllm_config, "video"):
            self.media_encoder = SAVEnVideoMediaEncoder(config)
        with self._mark_language_model(vllm_config):
            self.language_model = init_vllm_registered_model(
                vllm_config=vllm_config,
                hf_config=config.text_config,
                prefix=maybe_prefix(prefix, "language_model"),
                architectures=["Qwen2ForCausalLM"],
            )

    def embed_multimodal(self, **kwargs: object) -> MultiModalEmbeddings:
        """One ``[num_tokens, hidden]`` tensor per video, in prompt order."""
        if kwargs.get("pixel_values_videos") is None:
            return []
        return tuple(self.media_encoder({name: kwargs.get(name) for name in MEDIA_INPUTS}))

    def forward(
        self,
        input_ids: torch.Tensor | None,
        positions: torch.Tensor,
        intermediate_tensors: IntermediateTensors | None = None,
        inputs_embeds: torch.Tensor | None = None,
        **kwargs: object,
    ) -> torch.Tensor | IntermediateTensors:
        if intermediate_tensors is not None:
            inputs_embeds = None
        return self.language_model.model(input_ids, positions, intermediate_tensors, inputs_embeds=inputs_embeds)

    def compute_logits(self, hidden_states: torch.Tensor) -> torch.Tensor | None:
        return self.language_model.compute_logits(hidden_states)

    def load_weights(self, weights: Iterable[tuple[str, torch.Tensor]]) -> set[str]:
        return AutoWeightsLoader(self).load_weights(weights, mapper=self.hf_to_vllm_mapper)
