"""The Audio-Visual Time-Spatial (AVTS) resampler (paper section 4.1.3).

A visual MLP and an audio MLP bring SigLIP and BEATs tokens to the LLM width; then M learnable queries go through
a small non-causal transformer decoder. In every layer they attend to each other and cross-attend to one memory
holding the visual tokens, the audio tokens and the time tokens. Whatever the length of the video, the LLM
receives M tokens.

How time enters (the TLP, `modeling_temporal_projection.py`, computes h(t) for every time):
- every visual token carries h(time of its frame) and every audio token h(centre of its window), added to its
  content. Both modalities thus share one absolute clock: a sound and the frame shown when it plays look alike
  in their time component, which is what lets the queries align them;
- every time named in the question (`query_times`) becomes one extra memory token h(t_q) + a learned
  query-time type embedding, masked by `query_time_mask`. A query that reads such a token in one layer carries
  h(t_q) into the next, where its dot product with the time component of the content favours the frames and
  sounds near t_q.

With the TLP (`use_time`) each query is also anchored at one frame's time (the M queries are shared out over the
F frames in order), and its cross-attention logits to a frame or sound are lowered by `slope * |time gap| / frame
spacing`, one learned slope per head and layer (ALiBi over time). At initialisation a query thus reads mostly the
picture and the sound of its own moment, so each fused token holds what was seen and heard together at one time:
a question that names a sound finds the picture in the same token. Heads start from geometric slopes, from
sharply local to nearly global, and training sets how far each one looks. The question's times and the null token
carry no bias.

Positions are added DETR-style to the attention keys and queries only, never to the values: the memory gets a
sinusoidal encoding of its index in the visual (frame-major) or audio (window-major) stream plus a learned
embedding of its slot inside a frame or window (which also tells the modalities apart); the queries get a
sinusoidal plus a learned embedding of their index. A learned null token that every query may attend to keeps
the softmax defined when a sample has nothing else (no frames, no sound, no times).
"""

import math

import torch
from torch import nn
from torch.nn import functional as F
from transformers.activations import ACT2FN
from transformers.modeling_layers import GradientCheckpointingLayer

from .configuration_savenvideo import SAVEnVideoConfig
from .modeling_temporal_projection import seconds_from


def sinusoidal_embedding(length: int, dim: int, device=None, dtype=None) -> torch.Tensor:
    """The fixed sin/cos position table of "Attention Is All You Need", `[length, dim]`."""
    positions = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    frequencies = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim, device=device, dtype=torch.float32)
    table[:, 0::2] = torch.sin(positions * frequencies)
    table[:, 1::2] = torch.cos(positions * frequencies[: dim // 2])
    return table.to(dtype)


class SAVEnVideoMultimodalProjector(nn.Module):
    """Two-layer MLP from an encoder's width to the LLM's (one for the frames, one for the sound)."""

    def __init__(self, in_features: int, out_features: int, hidden_act: str):
        super().__init__()
        self.linear_1 = nn.Linear(in_features, out_features)
        self.act = ACT2FN[hidden_act]
        self.linear_2 = nn.Linear(out_features, out_features)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.linear_2(self.act(self.linear_1(hidden_states)))


class SAVEnVideoResamplerAttention(nn.Module):
    """Multi-head attention whose keys and queries (not values) carry position embeddings; SDPA underneath."""

    def __init__(self, hidden_size: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = hidden_size // num_heads
        self.q_proj = nn.Linear(hidden_size, hidden_size)
        self.k_proj = nn.Linear(hidden_size, hidden_size)
        self.v_proj = nn.Linear(hidden_size, hidden_size)
        self.o_proj = nn.Linear(hidden_size, hidden_size)

    def forward(
        self,
        hidden_states: torch.Tensor,
        key_value_states: torch.Tensor,
        query_position: torch.Tensor,
        key_position: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        batch, length, _ = hidden_states.shape

        def heads(x):
            return x.view(batch, -1, self.num_heads, self.head_dim).transpose(1, 2)

        query = heads(self.q_proj(hidden_states + query_position))
        key = heads(self.k_proj(key_value_states + key_position))
        value = heads(self.v_proj(key_value_states))
        output = F.scaled_dot_product_attention(query, key, value, attn_mask=attention_mask)
        return self.o_proj(output.transpose(1, 2).reshape(batch, length, -1))


class SAVEnVideoResamplerLayer(GradientCheckpointingLayer):
    """Pre-norm decoder layer without causal mask: query self-attention, cross-attention to the memory, MLP."""

    def __init__(self, config: SAVEnVideoConfig):
        super().__init__()
        hidden_size = config.text_config.hidden_size
        self.self_attn_layer_norm = nn.LayerNorm(hidden_size)
        self.self_attn = SAVEnVideoResamplerAttention(hidden_size, config.resampler_num_heads)
        self.cross_attn_layer_norm = nn.LayerNorm(hidden_size)
        self.cross_attn = SAVEnVideoResamplerAttention(hidden_size, config.resampler_num_heads)
        self.mlp_layer_norm = nn.LayerNorm(hidden_size)
        self.fc1 = nn.Linear(hidden_size, config.resampler_intermediate_size)
        self.act = ACT2FN[config.projector_hidden_act]
        self.fc2 = nn.Linear(config.resampler_intermediate_size, hidden_size)

    def forward(
        self,
        hidden_states: torch.Tensor,
        query_position: torch.Tensor,
        memory: torch.Tensor,
        memory_position: torch.Tensor,
        memory_mask: torch.Tensor,
    ) -> torch.Tensor:
        residual = self.self_attn_layer_norm(hidden_states)
        hidden_states = hidden_states + self.self_attn(residual, residual, query_position, query_position)
        residual = self.cross_attn_layer_norm(hidden_states)
        hidden_states = hidden_states + self.cross_attn(residual, memory, query_position, memory_position, memory_mask)
        residual = self.mlp_layer_norm(hidden_states)
        return hidden_states + self.fc2(self.act(self.fc1(residual)))


class SAVEnVideoAVTSResampler(nn.Module):
    """The visual and audio MLPs and, with `projector_type="avts"`, the query decoder that fuses them with time."""

    def __init__(self, config: SAVEnVideoConfig):
        super().__init__()
        hidden_size = config.text_config.hidden_size
        self.visual_mlp = SAVEnVideoMultimodalProjector(
            config.vision_config.hidden_size, hidden_size, config.projector_hidden_act
        )
        self.audio_mlp = (
            SAVEnVideoMultimodalProjector(config.audio_config.hidden_size, hidden_size, config.projector_hidden_act)
            if config.use_audio
            else None
        )
        self.uses_queries = config.projector_type == "avts"
        if not self.uses_queries:
            return
        self.queries = nn.Parameter(torch.zeros(config.num_queries, hidden_size))
        self.query_position_embedding = nn.Embedding(config.num_queries, hidden_size)
        self.visual_position_embedding = nn.Embedding(config.vision_pool_size**2, hidden_size)
        self.audio_position_embedding = (
            nn.Embedding(config.audio_tokens_per_window, hidden_size) if config.use_audio else None
        )
        self.query_time_embedding = nn.Parameter(torch.zeros(hidden_size)) if config.use_time else None
        self.time_slopes = (
            nn.Parameter(torch.zeros(config.resampler_num_layers, config.resampler_num_heads))
            if config.use_time
            else None
        )
        self.null_token = nn.Parameter(torch.zeros(hidden_size))
        self.memory_layer_norm = nn.LayerNorm(hidden_size)
        self.layers = nn.ModuleList(SAVEnVideoResamplerLayer(config) for _ in range(config.resampler_num_layers))
        self.layer_norm = nn.LayerNorm(hidden_size)
        self.output_projection = nn.Linear(hidden_size, hidden_size)

    def _stream(self, tokens: torch.Tensor, slot_embedding: nn.Embedding) -> tuple[torch.Tensor, torch.Tensor]:
        """Flatten `[batch, groups, slots, dim]` and build its key positions (stream index + slot in group)."""
        batch, groups, slots, dim = tokens.shape
        position = sinusoidal_embedding(groups * slots, dim, tokens.device, tokens.dtype)
        position = position + slot_embedding.weight.repeat(groups, 1)
        return tokens.reshape(batch, groups * slots, dim), position.expand(batch, -1, -1)

    def forward(
        self,
        visual_embeds: torch.Tensor,
        visual_mask: torch.Tensor,
        audio_embeds: torch.Tensor | None = None,
        audio_mask: torch.Tensor | None = None,
        query_time_embeds: torch.Tensor | None = None,
        query_time_mask: torch.Tensor | None = None,
        visual_times: torch.Tensor | None = None,
        audio_times: torch.Tensor | None = None,
    ) -> torch.Tensor:
        r"""
        visual_embeds (`[batch, frames, slots, hidden]`): visual MLP outputs (time already added), `visual_mask` the
            same without `hidden` (True = real). `audio_embeds` / `audio_mask`: the same per audio window.
        query_time_embeds (`[batch, queries, hidden]`): h(t) of the times named in the question, `query_time_mask`
            True for real ones.
        visual_times (`[batch, frames]`) / audio_times (`[batch, windows]`): seconds of each frame and window centre;
            with the TLP they anchor the queries in time (see the module docstring).

        Returns the fused tokens, `[batch, num_queries, hidden]`.
        """
        batch, _, _, dim = visual_embeds.shape
        tokens, positions, masks = [], [], []
        streams = [(visual_embeds, visual_mask, self.visual_position_embedding)]
        if audio_embeds is not None:
            streams.append((audio_embeds, audio_mask, self.audio_position_embedding))
        for embeds, mask, slot_embedding in streams:
            stream, position = self._stream(embeds, slot_embedding)
            tokens.append(stream)
            positions.append(position)
            masks.append(mask.reshape(batch, -1))
        if query_time_embeds is not None:
            tokens.append(query_time_embeds + self.query_time_embedding)
            positions.append(torch.zeros_like(query_time_embeds))
            masks.append(query_time_mask)
        tokens.append(self.null_token.to(visual_embeds.dtype).expand(batch, 1, dim))
        positions.append(torch.zeros_like(tokens[-1]))
        masks.append(torch.ones(batch, 1, dtype=torch.bool, device=visual_embeds.device))

        memory = self.memory_layer_norm(torch.cat(tokens, dim=1))
        memory_position = torch.cat(positions, dim=1)
        memory_mask = torch.cat(masks, dim=1).bool()[:, None, None, :]
        time_gaps = None
        if self.time_slopes is not None and visual_times is not None:
            time_gaps = self._time_gaps(
                visual_embeds, visual_mask, visual_times, audio_embeds, audio_times, memory.shape[1]
            )

        num_queries = self.queries.shape[0]
        query_position = sinusoidal_embedding(num_queries, dim, memory.device, memory.dtype)
        query_position = (query_position + self.query_position_embedding.weight).expand(batch, -1, -1)
        hidden_states = self.queries.to(memory.dtype).expand(batch, -1, -1)
        for index, layer in enumerate(self.layers):
            mask = memory_mask
            if time_gaps is not None:
                bias = -self.time_slopes[index].to(memory.dtype)[None, :, None, None] * time_gaps[:, None]
                mask = bias.masked_fill(~memory_mask, torch.finfo(memory.dtype).min)
            hidden_states = layer(hidden_states, query_position, memory, memory_position, mask)
        return self.output_projection(self.layer_norm(hidden_states))

    def _time_gaps(
        self, visual_embeds, visual_mask, visual_times, audio_embeds, audio_times, memory_length: int
    ) -> torch.Tensor:
        """`[batch, queries, memory]`: |anchor time of each query - time of each memory token| in frame spacings;
        zero for tokens without a time of their own (the question's times, the null token)."""
        batch, frames = visual_embeds.shape[:2]
        visual_times = seconds_from(visual_times)
        real = visual_mask[:, :, 0]
        count = real.sum(1)
        span = visual_times.masked_fill(~real, -torch.inf).amax(1) - visual_times.masked_fill(~real, torch.inf).amin(1)
        spacing = torch.where(count > 1, span / (count - 1).clamp(min=1), torch.ones_like(span)).clamp(min=1e-3)
        anchors = (torch.arange(self.queries.shape[0], device=visual_times.device) * frames) // self.queries.shape[0]
        anchor_times = visual_times[:, anchors]  # [batch, queries]
        times = [visual_times.repeat_interleave(visual_embeds.shape[2], dim=1)]
        if audio_embeds is not None:
            audio_times = seconds_from(audio_times) if audio_times is not None else visual_times
            times.append(audio_times.repeat_interleave(audio_embeds.shape[2], dim=1))
        gaps = (anchor_times[:, :, None] - torch.cat(times, dim=1)[:, None, :]).abs() / spacing[:, None, None]
        return F.pad(gaps, (0, memory_length - gaps.shape[-1])).to(visual_embeds.dtype)


__all__ = ["SAVEnVideoAVTSResampler", "SAVEnVideoMultimodalProjector", "SAVEnVideoResamplerLayer"]
