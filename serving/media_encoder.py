"""SAVEnVideo's media path (SigLIP, BEATs, TLP, AVTS resampler) without its language model, for serving engines.

An engine such as vLLM runs the LLM with its own kernels and only asks for the vectors that replace each video's
placeholders. The methods below are SAVEnVideoModel's own, borrowed rather than rewritten, so a served model fuses
exactly what ``generate`` fuses in transformers; only the Qwen2 backbone is left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from savenvideo.modeling.modeling_savenvideo import MEDIA_INPUTS, SAVEnVideoModel

# Checkpoint key prefixes -> names in a serving model that holds this encoder as `media_encoder` and a causal LM
# (with `model` and `lm_head`) as `language_model`. Applied in order, each at most once.
CHECKPOINT_PREFIXES = {
    "model.language_model.": "language_model.model.",
    "lm_head.": "language_model.lm_head.",
    "model.": "media_encoder.",
}


class SAVEnVideoMediaEncoder(nn.Module):
    """Media inputs of docs/model_inputs.md -> ``[videos, num_video_tokens + num_audio_tokens, hidden]``."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        SAVEnVideoModel._build_media_modules(self, config)

    @property
    def dtype(self) -> torch.dtype:
        return self.vision_tower.dtype

    get_video_features = SAVEnVideoModel.get_video_features
    _encode_frames = SAVEnVideoModel._encode_frames
    get_audio_features = SAVEnVideoModel.get_audio_features
    _encode_audio = SAVEnVideoModel._encode_audio
    get_media_embeddings = SAVEnVideoModel.get_media_embeddings

    def forward(self, media: Mapping[str, torch.Tensor | Sequence[torch.Tensor]]) -> torch.Tensor:
        """Fused tokens of each video in the order the processor lays them out: video tokens, then audio tokens.

        A field may come as one tensor or as one tensor per video (vLLM batches items of different shapes, e.g.
        different numbers of query times, as a list); lists are padded, and padding is masked.
        """
        inputs = {name: stack_padded(media[name]) for name in MEDIA_INPUTS if media.get(name) is not None}
        video, audio = self.get_media_embeddings(**inputs)
        return video if audio is None else torch.cat((video, audio), dim=1)


def stack_padded(values: torch.Tensor | Sequence[torch.Tensor]) -> torch.Tensor:
    """One batch from per-video tensors, zero-padded (False for masks) at the end of every dimension."""
    if isinstance(values, torch.Tensor):
        return values
    shape = [max(sizes) for sizes in zip(*(value.shape for value in values))]
    batch = values[0].new_zeros((len(values), *shape))
    for index, value in enumerate(values):
        batch[(index, *(slice(0, size) for size in value.shape))] = value
    return batch
