"""Configuration of SAVEnVideo: SigLIP vision + BEATs audio + Qwen2, fused by the TLP and the AVTS resampler."""

from typing import Literal

from huggingface_hub.dataclasses import strict
from transformers import AutoConfig, PretrainedConfig
from transformers.configuration_utils import SubConfigSpec

from .configuration_beats import BeatsConfig

# What `AutoModel.from_pretrained(..., trust_remote_code=True)` and its siblings resolve to in a saved checkpoint.
# Every head class points at the generating model, as other remote-code video LLMs do.
_AUTO_MAP = {
    "AutoConfig": "configuration_savenvideo.SAVEnVideoConfig",
    "AutoModel": "modeling_savenvideo.SAVEnVideoForConditionalGeneration",
    "AutoModelForCausalLM": "modeling_savenvideo.SAVEnVideoForConditionalGeneration",
    "AutoModelForImageTextToText": "modeling_savenvideo.SAVEnVideoForConditionalGeneration",
    "AutoModelForMultimodalLM": "modeling_savenvideo.SAVEnVideoForConditionalGeneration",
}


@strict
class SAVEnVideoConfig(PretrainedConfig):
    r"""
    Configuration of [`SAVEnVideoForConditionalGeneration`]. The defaults describe the 7B model of the paper:
    SigLIP so400m-patch14-384 frames, BEATs iter3+ audio, Qwen2-7B-Instruct, 16 frames fused into 384 LLM tokens.

    Args:
        vision_config (`dict` or `SiglipVisionConfig`): the frame encoder.
        audio_config (`dict` or `BeatsConfig`): the audio encoder.
        text_config (`dict` or `Qwen2Config`): the language model.
        video_token_id (`int`): id of `<|video_pad|>`, the placeholder the fused media tokens replace.
        audio_token_id (`int`): id of `<|audio_pad|>`, used only by the MLP ablation (audio tokens kept apart).
        num_frames (`int`): frames sampled per video (F in docs/model_inputs.md); also audio windows per video.
        vision_feature_layer (`int`): SigLIP hidden state to use (-2: the penultimate layer, as LLaVA-style models do).
        vision_pool_size (`int`): SigLIP's 27x27 patch grid is average-pooled to this side before the visual MLP.
        audio_tokens_per_window (`int`): BEATs patches of one window are pooled over frequency, then over time to this.
        projector_type (`str`): `"avts"` (the AVTS resampler) or `"mlp"` (ablation: pooled MLP outputs go to the LLM).
        projector_hidden_act (`str`): activation of the visual and audio MLPs.
        num_queries (`int`): M, the learnable queries of the resampler = LLM tokens per video.
        resampler_num_layers (`int`): decoder layers (self-attention, cross-attention, feed-forward) of the resampler.
        resampler_num_heads (`int`): attention heads of the resampler (its width is the LLM's hidden size).
        resampler_intermediate_size (`int`): feed-forward width of the resampler.
        use_audio (`bool`): ablation switch; `False` builds no audio tower and ignores every audio input.
        use_time (`bool`): ablation switch; `False` builds no TLP and ignores every time input.
        time_num_frequencies (`int`): sin/cos pairs of the TLP's time features f(t).
        time_min_period (`float`): shortest period of f(t) in seconds (resolves 0.1 s differences).
        time_max_period (`float`): longest period of f(t) in seconds (keeps f(t) unambiguous over a 3 h video).
        initializer_range (`float`): standard deviation of the resampler's and MLPs' initial weights.
    """

    model_type = "savenvideo"
    sub_configs_defaults = {
        "vision_config": SubConfigSpec(
            config_class=AutoConfig,
            model_type="siglip_vision_model",
            init_kwargs={
                "hidden_size": 1152,
                "intermediate_size": 4304,
                "num_hidden_layers": 27,
                "num_attention_heads": 16,
                "patch_size": 14,
                "image_size": 384,
                "vision_use_head": False,
            },
        ),
        "audio_config": SubConfigSpec(config_class=BeatsConfig),
        "text_config": SubConfigSpec(
            config_class=AutoConfig,
            model_type="qwen2",
            init_kwargs={
                "vocab_size": 152064,
                "hidden_size": 3584,
                "intermediate_size": 18944,
                "num_hidden_layers": 28,
                "num_attention_heads": 28,
                "num_key_value_heads": 4,
                "max_position_embeddings": 32768,
                "rms_norm_eps": 1e-6,
                "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0},
                "sliding_window": 131072,
                "max_window_layers": 28,
                "bos_token_id": 151643,
                "eos_token_id": 151645,
                "tie_word_embeddings": False,
            },
        ),
    }

    vision_config: dict | PretrainedConfig | None = None
    audio_config: dict | PretrainedConfig | None = None
    text_config: dict | PretrainedConfig | None = None
    video_token_id: int = 151648
    audio_token_id: int = 151649
    num_frames: int = 16
    vision_feature_layer: int = -2
    vision_pool_size: int = 14
    audio_tokens_per_window: int = 8
    projector_type: Literal["avts", "mlp"] = "avts"
    projector_hidden_act: str = "gelu"
    num_queries: int = 384
    resampler_num_layers: int = 2
    resampler_num_heads: int = 28
    resampler_intermediate_size: int = 7168
    use_audio: bool = True
    use_time: bool = True
    time_num_frequencies: int = 32
    time_min_period: float | int = 0.2
    time_max_period: float | int = 10800.0
    initializer_range: float = 0.02
    tie_word_embeddings: bool = False

    def __post_init__(self, **kwargs):
        kwargs.setdefault("auto_map", dict(_AUTO_MAP))
        super().__post_init__(**kwargs)
        # An LLM with tied input and output embeddings (e.g. small Qwen2 models) keeps them tied here.
        if not self.tie_word_embeddings and self.text_config.tie_word_embeddings:
            self.tie_word_embeddings = True

    def validate_architecture(self):
        """Part of `@strict` validation: settings the model cannot build."""
        if self.text_config.hidden_size % self.resampler_num_heads:
            raise ValueError(
                f"the resampler works at the LLM width ({self.text_config.hidden_size}), which must be a multiple of "
                f"resampler_num_heads ({self.resampler_num_heads})."
            )
        grid = self.vision_config.image_size // self.vision_config.patch_size
        if not 0 < self.vision_pool_size <= grid:
            raise ValueError(f"vision_pool_size ({self.vision_pool_size}) must be in 1..{grid} (SigLIP's patch grid).")
        if not 0 < self.time_min_period < self.time_max_period:
            raise ValueError("time periods must satisfy 0 < time_min_period < time_max_period.")

    @property
    def num_video_tokens(self) -> int:
        """`<|video_pad|>` placeholders per video: the fused queries, or every pooled frame patch for the MLP ablation."""
        if self.projector_type == "avts":
            return self.num_queries
        return self.num_frames * self.vision_pool_size**2

    @property
    def num_audio_tokens(self) -> int:
        """`<|audio_pad|>` placeholders per video: zero with the AVTS resampler, which fuses sound into the queries."""
        if self.projector_type == "avts" or not self.use_audio:
            return 0
        return self.num_frames * self.audio_tokens_per_window


SAVEnVideoConfig.register_for_auto_class()

__all__ = ["SAVEnVideoConfig"]
