"""Assemble an untrained SAVEnVideo from released components: SigLIP, BEATs and a Qwen2 causal LM.

The encoders and the LLM keep their pretrained weights; the TLP and the AVTS resampler (with its MLPs) are freshly
initialised, ready for the alignment stage. The model is built on the meta device and the loaded modules are put
in place, so a 7B model needs about its own size in memory, not twice that.
"""

from __future__ import annotations

from pathlib import Path

from savenvideo.processing.tiny_tokenizer import AUDIO_TOKEN, VIDEO_TOKEN, VISION_END, VISION_START

MEDIA_TOKENS = [VISION_START, VISION_END, VIDEO_TOKEN, AUDIO_TOKEN]


def load_siglip_vision(name_or_path: str, dtype=None):
    """The vision half of a SigLIP checkpoint (a full `SiglipModel` or a `SiglipVisionModel`), without its head."""
    from transformers import AutoConfig, SiglipVisionConfig, SiglipVisionModel

    config = AutoConfig.from_pretrained(name_or_path)
    vision_config = config.vision_config if hasattr(config, "vision_config") else config
    if not isinstance(vision_config, SiglipVisionConfig):
        raise ValueError(f"{name_or_path}: not a SigLIP checkpoint (model_type {config.model_type!r}).")
    vision_config.vision_use_head = False
    return SiglipVisionModel.from_pretrained(name_or_path, config=vision_config, dtype=dtype)


def add_media_tokens(tokenizer) -> dict[str, int]:
    """Add SAVEnVideo's media tokens the tokenizer lacks (Qwen2 has none of them); returns all four ids."""
    missing = [token for token in MEDIA_TOKENS if token not in tokenizer.get_vocab()]
    if missing:
        tokenizer.add_tokens(missing, special_tokens=True)
    return dict(zip(MEDIA_TOKENS, tokenizer.convert_tokens_to_ids(MEDIA_TOKENS)))


def build_processor(config, tokenizer):
    """The `SAVEnVideoProcessor` that feeds `config`'s model: its frame size, frame count and placeholder counts."""
    from savenvideo.processing.processing_savenvideo import SAVEnVideoProcessor

    return SAVEnVideoProcessor(
        image_processor=SAVEnVideoProcessor.default_image_processor(config.vision_config.image_size),
        tokenizer=tokenizer,
        num_frames=config.num_frames,
        num_video_tokens=config.num_video_tokens,
        num_audio_tokens=config.num_audio_tokens,
    )


def assemble(vision: str, audio: str | Path, text: str, out_dir: str | Path, dtype: str = "bfloat16", **overrides):
    """Build and save SAVEnVideo from a SigLIP id/folder, an official BEATs `.pt` and a Qwen2 id/folder.

    `overrides` are `SAVEnVideoConfig` settings (e.g. `num_queries=256`, `use_audio=False`). Writes the model,
    its remote code and the processor (whose tokenizer has the media tokens added) to `out_dir`, which is returned.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from savenvideo.modeling.configuration_savenvideo import SAVEnVideoConfig
    from savenvideo.modeling.modeling_beats import BeatsModel
    from savenvideo.modeling.modeling_savenvideo import SAVEnVideoForConditionalGeneration

    torch_dtype = getattr(torch, dtype)
    vision_model = load_siglip_vision(vision, dtype=torch_dtype)
    text_model = AutoModelForCausalLM.from_pretrained(text, dtype=torch_dtype)
    if text_model.config.model_type != "qwen2":
        raise ValueError(f"{text}: SAVEnVideo's LLM is Qwen2, got model_type {text_model.config.model_type!r}.")
    tokenizer = AutoTokenizer.from_pretrained(text)
    token_ids = add_media_tokens(tokenizer)
    use_audio = overrides.get("use_audio", True)
    audio_model = BeatsModel.from_original_checkpoint(audio).to(torch_dtype) if use_audio else None

    config = SAVEnVideoConfig(
        vision_config=vision_model.config,
        audio_config=audio_model.config if use_audio else None,
        text_config=text_model.config,
        video_token_id=token_ids[VIDEO_TOKEN],
        audio_token_id=token_ids[AUDIO_TOKEN],
        **overrides,
    )
    with torch.device("meta"):
        model = SAVEnVideoForConditionalGeneration(config)
    model.model.vision_tower = vision_model
    model.model.audio_tower = audio_model
    model.model.language_model = text_model.model
    model.lm_head = text_model.lm_head
    for name in ("resampler", "time_projection"):
        fresh = getattr(model.model, name)
        if fresh is None:
            continue
        fresh = fresh.to_empty(device="cpu")
        for module in fresh.modules():
            model._init_weights(module)
        setattr(model.model, name, fresh.to(torch_dtype))
    model.config.dtype = torch_dtype
    if len(tokenizer) > config.text_config.vocab_size:
        model.resize_token_embeddings(len(tokenizer), pad_to_multiple_of=64)
    model.generation_config = text_model.generation_config
    model.eval()

    out_dir = Path(out_dir)
    model.save_pretrained(out_dir)
    build_processor(model.config, tokenizer).save_pretrained(out_dir)
    return out_dir
