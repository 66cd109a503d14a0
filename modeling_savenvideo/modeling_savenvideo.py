"""SAVEnVideo: a video LLM that hears as well as sees (SigLIP + BEATs + TLP + AVTS resampler + Qwen2).

The inputs are those of docs/model_inputs.md. The media are encoded, fused into `config.num_video_tokens`
vectors per video (plus `config.num_audio_tokens` for the MLP ablation), and written over the `<|video_pad|>`
(and `<|audio_pad|>`) placeholders of the text before the language model runs.
"""

import torch
from torch import nn
from torch.nn import functional as F
from transformers import AutoModel, GenerationMixin, PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import BaseModelOutputWithPast, CausalLMOutputWithPast
from transformers.utils.generic import can_return_tuple

from .configuration_savenvideo import SAVEnVideoConfig
from .modeling_avts_resampler import SAVEnVideoAVTSResampler
from .modeling_beats import BeatsModel
from .modeling_temporal_projection import SAVEnVideoTemporalLinearProjection

# transformers 5.24 renamed `past_key_values` to `cache` in model inputs and outputs; 5.20 has the old name.
CACHE_KEY = "cache" if "cache" in BaseModelOutputWithPast.__dataclass_fields__ else "past_key_values"

# What the processor reads from a clip (the same for every question about it), and then from the question's text.
CLIP_INPUTS = (
    "pixel_values_videos",
    "video_frame_mask",
    "video_frame_times",
    "audio_features",
    "audio_feature_mask",
    "audio_window_mask",
    "audio_window_times",
)
# Everything the processor adds besides the text; only the first forward of a cached generation needs it.
MEDIA_INPUTS = (*CLIP_INPUTS, "query_times", "query_time_mask")


class SAVEnVideoPreTrainedModel(PreTrainedModel):
    config: SAVEnVideoConfig
    config_class = SAVEnVideoConfig
    base_model_prefix = "model"
    input_modalities = ("video", "audio", "text")
    supports_gradient_checkpointing = True
    _no_split_modules = ["SiglipEncoderLayer", "BeatsEncoderLayer", "SAVEnVideoResamplerLayer", "Qwen2DecoderLayer"]
    _skip_keys_device_placement = [CACHE_KEY]
    _supports_sdpa = True

    def _init_weights(self, module):
        super()._init_weights(module)
        if isinstance(module, SAVEnVideoAVTSResampler) and module.uses_queries:
            std = self.config.initializer_range
            for parameter in (module.queries, module.null_token, module.query_time_embedding):
                if parameter is not None:
                    init.normal_(parameter, mean=0.0, std=std)
            if module.time_slopes is not None:
                # Geometric slopes per head, 4 down to 4 / 2**(2 (H - 1)): from a frame's own moment to the whole clip.
                heads = module.time_slopes.shape[1]
                slopes = 4.0 * 0.25 ** torch.arange(heads, dtype=torch.float32)
                init.copy_(module.time_slopes, slopes.expand_as(module.time_slopes))


class SAVEnVideoModel(SAVEnVideoPreTrainedModel):
    """Encoders, TLP, resampler and the Qwen2 backbone; returns the LLM's last hidden state (no LM head)."""

    def __init__(self, config: SAVEnVideoConfig):
        super().__init__(config)
        self._build_media_modules(config)
        self.language_model = AutoModel.from_config(config.text_config)
        self.post_init()

    def _build_media_modules(self, config: SAVEnVideoConfig) -> None:
        """Encoders, TLP and resampler: everything before the LLM (the vLLM plugin builds the same set)."""
        self.vision_tower = AutoModel.from_config(config.vision_config)
        self.audio_tower = BeatsModel(config.audio_config) if config.use_audio else None
        self.time_projection = (
            SAVEnVideoTemporalLinearProjection(
                config.time_num_frequencies,
                config.time_min_period,
                config.time_max_period,
                config.text_config.hidden_size,
            )
            if config.use_time
            else None
        )
        self.resampler = SAVEnVideoAVTSResampler(config)

    def get_input_embeddings(self):
        return self.language_model.get_input_embeddings()

    def set_input_embeddings(self, value):
        self.language_model.set_input_embeddings(value)

    def get_video_features(
        self, pixel_values_videos: torch.Tensor, video_frame_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Visual MLP outputs `[batch, frames, vision_pool_size**2, hidden]`; frames that are padding stay zero.

        With a mask only real frames go through SigLIP, so an image (one real frame of F) costs one frame, not F.
        """
        batch, frames = pixel_values_videos.shape[:2]
        if video_frame_mask is None:
            return self._encode_frames(pixel_values_videos.flatten(0, 1)).unflatten(0, (batch, frames))
        video_frame_mask = video_frame_mask.bool()
        pool = self.config.vision_pool_size
        output = pixel_values_videos.new_zeros(
            batch, frames, pool * pool, self.config.text_config.hidden_size, dtype=self.dtype
        )
        real_frames = pixel_values_videos[video_frame_mask]
        if real_frames.shape[0] == 0:
            return output
        return output.index_put((video_frame_mask,), self._encode_frames(real_frames).to(output.dtype))

    def _encode_frames(self, frames: torch.Tensor) -> torch.Tensor:
        """`[n, 3, S, S]` frames -> `[n, vision_pool_size**2, hidden]`: SigLIP, average pooling, visual MLP."""
        outputs = self.vision_tower(frames.to(self.vision_tower.dtype), output_hidden_states=True)
        hidden_states = outputs.hidden_states[self.config.vision_feature_layer]
        side = int(hidden_states.shape[1] ** 0.5)
        grid = hidden_states.transpose(1, 2).reshape(hidden_states.shape[0], -1, side, side)
        pooled = F.adaptive_avg_pool2d(grid, self.config.vision_pool_size).flatten(2).transpose(1, 2)
        return self.resampler.visual_mlp(pooled)

    def get_audio_features(
        self,
        audio_features: torch.Tensor,
        audio_feature_mask: torch.Tensor | None = None,
        audio_window_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Audio MLP outputs `[batch, windows, audio_tokens_per_window, hidden]` and their mask (True = sound).

        With a window mask, windows without sound skip BEATs and come back zero and masked.
        """
        batch, windows = audio_features.shape[:2]
        if audio_window_mask is None:
            masks = None if audio_feature_mask is None else audio_feature_mask.flatten(0, 1)
            features, mask = self._encode_audio(audio_features.flatten(0, 1), masks)
            return features.unflatten(0, (batch, windows)), mask.unflatten(0, (batch, windows))
        audio_window_mask = audio_window_mask.bool()
        steps = self.config.audio_tokens_per_window
        output = audio_features.new_zeros(batch, windows, steps, self.config.text_config.hidden_size, dtype=self.dtype)
        output_mask = torch.zeros(batch, windows, steps, dtype=torch.bool, device=audio_features.device)
        if not audio_window_mask.any():
            return output, output_mask
        masks = None if audio_feature_mask is None else audio_feature_mask[audio_window_mask]
        features, mask = self._encode_audio(audio_features[audio_window_mask], masks)
        output = output.index_put((audio_window_mask,), features.to(output.dtype))
        return output, output_mask.index_put((audio_window_mask,), mask)

    def _encode_audio(
        self, windows: torch.Tensor, feature_mask: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """`[n, T, 128]` fbank windows -> `[n, audio_tokens_per_window, hidden]` and its mask: BEATs, pooling, MLP.

        BEATs patches are averaged over frequency, then (mask-aware) over time down to `audio_tokens_per_window`.
        """
        encoded = self.audio_tower(windows, attention_mask=None if feature_mask is None else feature_mask.long())
        mel_patches = self.config.audio_config.num_mel_bins // self.config.audio_config.patch_size
        hidden_states = encoded.last_hidden_state.unflatten(1, (-1, mel_patches))
        patch_mask = encoded.attention_mask.unflatten(1, (-1, mel_patches)).to(hidden_states.dtype)[..., None]
        hidden_states = (hidden_states * patch_mask).sum(2) / patch_mask.sum(2).clamp(min=1)
        time_mask = patch_mask.amax(2)  # [windows, time patches, 1]
        steps = self.config.audio_tokens_per_window
        summed = F.adaptive_avg_pool1d((hidden_states * time_mask).transpose(1, 2), steps).transpose(1, 2)
        coverage = F.adaptive_avg_pool1d(time_mask.transpose(1, 2), steps).transpose(1, 2)
        pooled = summed / coverage.clamp(min=torch.finfo(coverage.dtype).tiny)
        return self.resampler.audio_mlp(pooled), coverage[..., 0] > 0

    def get_media_embeddings(
        self,
        pixel_values_videos: torch.Tensor,
        video_frame_mask: torch.Tensor | None = None,
        video_frame_times: torch.Tensor | None = None,
        audio_features: torch.Tensor | None = None,
        audio_feature_mask: torch.Tensor | None = None,
        audio_window_mask: torch.Tensor | None = None,
        audio_window_times: torch.Tensor | None = None,
        query_times: torch.Tensor | None = None,
        query_time_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The vectors that replace the placeholders: `([batch, num_video_tokens, hidden], [batch, num_audio_tokens,
        hidden] or None)`. With the AVTS resampler every token is a fused query and the second item is None."""
        batch = pixel_values_videos.shape[0]
        visual = self.get_video_features(pixel_values_videos, video_frame_mask)
        if video_frame_mask is None:
            visual_mask = torch.ones(visual.shape[:3], dtype=torch.bool, device=visual.device)
        else:
            visual_mask = video_frame_mask.bool()[:, :, None].expand(visual.shape[:3])

        audio = audio_mask = None
        if self.config.use_audio and audio_features is not None:
            audio, audio_mask = self.get_audio_features(audio_features, audio_feature_mask, audio_window_mask)
        elif self.config.use_audio and self.config.projector_type == "mlp":
            # The MLP ablation has audio placeholders even when no audio inputs are given: fill them with zeros.
            steps = self.config.audio_tokens_per_window
            audio = visual.new_zeros(batch, self.config.num_frames, steps, visual.shape[-1])
            audio_mask = torch.zeros(audio.shape[:3], dtype=torch.bool, device=audio.device)

        query_time_embeds = None
        if self.time_projection is not None:
            if video_frame_times is not None:
                visual = visual + self.time_projection(video_frame_times)[:, :, None]
            if audio is not None and audio_window_times is not None:
                audio = audio + self.time_projection(audio_window_times)[:, :, None]
            if query_times is not None:
                query_time_embeds = self.time_projection(query_times)
                if query_time_mask is None:
                    query_time_mask = torch.ones(query_times.shape, dtype=torch.bool, device=query_times.device)

        if self.config.projector_type == "avts":
            fused = self.resampler(
                visual,
                visual_mask,
                audio,
                audio_mask,
                query_time_embeds,
                query_time_mask,
                video_frame_times,
                audio_window_times,
            )
            return fused, None
        visual = (visual * visual_mask[..., None]).flatten(1, 2)
        if audio is not None:
            audio = (audio * audio_mask[..., None]).flatten(1, 2)
        return visual, audio

    def _scatter_placeholders(
        self,
        input_ids: torch.LongTensor | None,
        inputs_embeds: torch.Tensor,
        token_id: int,
        features: torch.Tensor,
        token_name: str,
    ) -> torch.Tensor:
        """Write `features[i]` over sample i's placeholders; samples without placeholders (text only) are skipped."""
        if input_ids is None:
            placeholder = self.get_input_embeddings()(torch.tensor(token_id, device=inputs_embeds.device))
            mask = (inputs_embeds == placeholder).all(-1)
        else:
            mask = input_ids == token_id
        counts = mask.sum(-1)
        per_sample = features.shape[1]
        if features.shape[0] != mask.shape[0] or bool(((counts != 0) & (counts != per_sample)).any()):
            raise ValueError(
                f"{token_name} placeholders per sample {counts.tolist()} do not match the media features: "
                f"{features.shape[0]} samples x {per_sample} tokens. Every sample with media needs exactly "
                f"{per_sample} {token_name} tokens; the processor's num_video_tokens/num_audio_tokens must equal "
                "the model config's (see docs/model_inputs.md)."
            )
        features = features[counts > 0].reshape(-1, inputs_embeds.shape[-1]).to(inputs_embeds.dtype)
        return inputs_embeds.masked_scatter(mask[..., None].expand_as(inputs_embeds), features)

    @can_return_tuple
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        use_cache: bool | None = None,
        pixel_values_videos: torch.Tensor | None = None,
        video_frame_mask: torch.Tensor | None = None,
        video_frame_times: torch.Tensor | None = None,
        audio_features: torch.Tensor | None = None,
        audio_feature_mask: torch.Tensor | None = None,
        audio_window_mask: torch.Tensor | None = None,
        audio_window_times: torch.Tensor | None = None,
        query_times: torch.Tensor | None = None,
        query_time_mask: torch.Tensor | None = None,
        **kwargs,
    ) -> BaseModelOutputWithPast:
        r"""Media inputs: see docs/model_inputs.md. Other keyword arguments (the KV cache, `output_hidden_states`,
        ...) go to the language model unchanged."""
        if (input_ids is None) ^ (inputs_embeds is not None):
            raise ValueError("Specify exactly one of input_ids or inputs_embeds.")
        if inputs_embeds is None:
            inputs_embeds = self.get_input_embeddings()(input_ids)

        if pixel_values_videos is not None:
            video_embeds, audio_embeds = self.get_media_embeddings(
                pixel_values_videos,
                video_frame_mask,
                video_frame_times,
                audio_features,
                audio_feature_mask,
                audio_window_mask,
                audio_window_times,
                query_times,
                query_time_mask,
            )
            inputs_embeds = self._scatter_placeholders(
                input_ids, inputs_embeds, self.config.video_token_id, video_embeds, "<|video_pad|>"
            )
            if audio_embeds is not None:
                inputs_embeds = self._scatter_placeholders(
                    input_ids, inputs_embeds, self.config.audio_token_id, audio_embeds, "<|audio_pad|>"
                )

        return self.language_model(
            attention_mask=attention_mask,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            **kwargs,
        )


class SAVEnVideoForConditionalGeneration(SAVEnVideoPreTrainedModel, GenerationMixin):
    """SAVEnVideo with its LM head: `model` (the backbone above) + `lm_head`, the layout TRL's fused head expects."""

    _tied_weights_keys = {"lm_head.weight": "model.language_model.embed_tokens.weight"}

    def __init__(self, config: SAVEnVideoConfig):
        super().__init__(config)
        self.model = SAVEnVideoModel(config)
        self.lm_head = nn.Linear(config.text_config.hidden_size, config.text_config.vocab_size, bias=False)
        self.post_init()

    def get_input_embeddings(self):
        return self.model.get_input_embeddings()

    def set_input_embeddings(self, value):
        self.model.set_input_embeddings(value)

    def get_output_embeddings(self) -> nn.Module:
        return self.lm_head

    def set_output_embeddings(self, new_embeddings: nn.Module):
        self.lm_head = new_embeddings

    def get_video_features(self, pixel_values_videos, video_frame_mask=None):
        return self.model.get_video_features(pixel_values_videos, video_frame_mask)

    def get_audio_features(self, audio_features, audio_feature_mask=None, audio_window_mask=None):
        return self.model.get_audio_features(audio_features, audio_feature_mask, audio_window_mask)

    @can_return_tuple
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int | torch.Tensor = 0,
        pixel_values_videos: torch.Tensor | None = None,
        video_frame_mask: torch.Tensor | None = None,
        video_frame_times: torch.Tensor | None = None,
        audio_features: torch.Tensor | None = None,
        audio_feature_mask: torch.Tensor | None = None,
        audio_window_mask: torch.Tensor | None = None,
        audio_window_times: torch.Tensor | None = None,
        query_times: torch.Tensor | None = None,
        query_time_mask: torch.Tensor | None = None,
        **kwargs,
    ) -> CausalLMOutputWithPast:
        r"""labels (`[batch, length]`): next-token targets, -100 where no loss is taken (prompt, media, padding).
        logits_to_keep (`int` or tensor): compute logits for the last N positions only (0 = all)."""
        outputs = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            pixel_values_videos=pixel_values_videos,
            video_frame_mask=video_frame_mask,
            video_frame_times=video_frame_times,
            audio_features=audio_features,
            audio_feature_mask=audio_feature_mask,
            audio_window_mask=audio_window_mask,
            audio_window_times=audio_window_times,
            query_times=query_times,
            query_time_mask=query_time_mask,
            **kwargs,
        )
        hidden_states = outputs.last_hidden_state
        keep = slice(-logits_to_keep, None) if isinstance(logits_to_keep, int) else logits_to_keep
        logits = self.lm_head(hidden_states[:, keep, :])

        loss = None
        if labels is not None:
            loss = self.loss_function(
                logits=logits, labels=labels, vocab_size=self.config.text_config.vocab_size, **kwargs
            )
        return CausalLMOutputWithPast(
            loss=loss,
            logits=logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
            **{CACHE_KEY: getattr(outputs, CACHE_KEY)},
        )

    def prepare_inputs_for_generation(self, *args, is_first_iteration: bool | None = False, **kwargs):
        """Media only on the first step: with a KV cache, later steps see one new token and no placeholders."""
        model_inputs = super().prepare_inputs_for_generation(*args, is_first_iteration=is_first_iteration, **kwargs)
        if not is_first_iteration and kwargs.get("use_cache", True):
            for key in MEDIA_INPUTS:
                model_inputs.pop(key, None)
        return model_inputs


SAVEnVideoForConditionalGeneration.register_for_auto_class("AutoModel")

__all__ = ["SAVEnVideoForConditionalGeneration", "SAVEnVideoModel", "SAVEnVideoPreTrainedModel"]
