"""A tiny random-weight SAVEnVideo checkpoint (model + processor + remote code) for tests and the offline demo.

Same architecture and code paths as the 7B model, with widths of a few dozen: it loads in well under a second
and answers (nonsense) on a CPU. Nothing is downloaded: the tokenizer is `build_tiny_tokenizer()`.
"""

from __future__ import annotations

import functools
from pathlib import Path

TINY_INIT = (3 * 64) ** -0.5
"""Initial weight scale of the tiny LLM, resampler and MLPs: PyTorch's default for a 64-wide linear layer. The
initializer_range of 0.02 that real configs use is made for widths in the thousands; at width 64 it leaves the
LLM unable to learn a lookup in thousands of steps (benchmarks/recall.py)."""
EMBED_STD = 1.0
"""Initial scale of the tiny LLM's token embeddings, PyTorch's default for `nn.Embedding` (see TINY_INIT)."""

# 32 px frames in 8 px patches (a 4x4 grid pooled to 2x2), 2 BEATs and 2 Qwen2 layers, 8 fused queries.
TINY_VISION = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "image_size": 32,
    "patch_size": 8,
    "vision_use_head": False,
}
TINY_AUDIO = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "patch_embed_dim": 16,
    "num_conv_pos_embeddings": 16,
    "num_conv_pos_embedding_groups": 4,
    "num_buckets": 32,
    "max_distance": 64,
}
TINY_TEXT = {
    "vocab_size": 768,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 2048,
    "tie_word_embeddings": False,
    "initializer_range": TINY_INIT,
}
TINY_SETTINGS = {
    "num_frames": 4,
    "vision_pool_size": 2,
    "audio_tokens_per_window": 2,
    "num_queries": 8,
    "resampler_num_layers": 2,
    "resampler_num_heads": 4,
    "resampler_intermediate_size": 128,
    "time_num_frequencies": 8,
    "initializer_range": TINY_INIT,
}


@functools.cache
def _special_token_ids() -> dict[str, int]:
    from savenvideo.processing.tiny_tokenizer import SPECIAL_TOKENS, build_tiny_tokenizer

    return dict(zip(SPECIAL_TOKENS, build_tiny_tokenizer().convert_tokens_to_ids(SPECIAL_TOKENS)))


def tiny_config(**overrides):
    """A `SAVEnVideoConfig` of the tiny model; keyword arguments override its top-level settings."""
    from savenvideo.modeling.configuration_savenvideo import SAVEnVideoConfig
    from savenvideo.processing.tiny_tokenizer import AUDIO_TOKEN, ENDOFTEXT, IM_END, VIDEO_TOKEN

    ids = _special_token_ids()
    text = {**TINY_TEXT, "bos_token_id": ids[ENDOFTEXT], "eos_token_id": ids[IM_END], "pad_token_id": ids[ENDOFTEXT]}
    settings = {
        "vision_config": {"model_type": "siglip_vision_model", **TINY_VISION},
        "audio_config": dict(TINY_AUDIO),
        "text_config": {"model_type": "qwen2", **text},
        "video_token_id": ids[VIDEO_TOKEN],
        "audio_token_id": ids[AUDIO_TOKEN],
        **TINY_SETTINGS,
        **overrides,
    }
    return SAVEnVideoConfig(**settings)


def build_tiny_model(seed: int = 0, **overrides):
    """The tiny `SAVEnVideoForConditionalGeneration` with seeded random weights, in eval mode."""
    import torch

    from savenvideo.modeling.modeling_savenvideo import SAVEnVideoForConditionalGeneration

    torch.manual_seed(seed)
    model = SAVEnVideoForConditionalGeneration(tiny_config(**overrides)).eval()
    torch.nn.init.normal_(model.get_input_embeddings().weight, 0.0, EMBED_STD)
    return model


def build_tiny_checkpoint(out_dir: str | Path, seed: int = 0, **overrides) -> Path:
    """Save the tiny model, its processor and the remote code of both to `out_dir`; returns the folder."""
    from savenvideo.processing.tiny_tokenizer import build_tiny_tokenizer
    from savenvideo.train.assemble import build_processor

    out_dir = Path(out_dir)
    model = build_tiny_model(seed, **overrides)
    model.generation_config.pad_token_id = model.config.text_config.pad_token_id
    model.generation_config.eos_token_id = model.config.text_config.eos_token_id
    model.save_pretrained(out_dir)
    build_processor(model.config, build_tiny_tokenizer()).save_pretrained(out_dir)
    return out_dir


def random_batch(
    config,
    text_lengths: tuple[int, ...] = (6, 9),
    frames: tuple[int, ...] | None = None,
    sound: tuple[bool, ...] | None = None,
    fbank_frames: int = 32,
    seed: int = 0,
) -> dict:
    """A left-padded batch shaped like the processor's output (docs/model_inputs.md), with random media and text.

    Sample i has `text_lengths[i]` text tokens around its placeholders, `frames[i]` real frames (default: all) and
    sound in every window if `sound[i]` (default: True). Times are 0.5 s apart; each sample names one time.
    """
    import torch

    generator = torch.Generator().manual_seed(seed)
    batch, num_frames = len(text_lengths), config.num_frames
    frames = frames or (num_frames,) * batch
    sound = sound or (True,) * batch
    size = config.vision_config.image_size
    placeholders = [config.video_token_id] * config.num_video_tokens + [
        config.audio_token_id
    ] * config.num_audio_tokens
    rows = []
    for length in text_lengths:
        text = torch.randint(0, 400, (length,), generator=generator).tolist()
        rows.append(text[: length // 2] + placeholders + text[length // 2 :])
    width = max(map(len, rows))
    pad = config.text_config.pad_token_id or 0
    times = torch.arange(num_frames, dtype=torch.float32).expand(batch, -1) * 0.5
    return {
        "input_ids": torch.tensor([[pad] * (width - len(r)) + r for r in rows]),
        "attention_mask": torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows]),
        "pixel_values_videos": torch.randn(batch, num_frames, 3, size, size, generator=generator)
        * (torch.arange(num_frames)[None, :] < torch.tensor(frames)[:, None])[:, :, None, None, None],
        "video_frame_mask": torch.arange(num_frames)[None, :] < torch.tensor(frames)[:, None],
        "video_frame_times": times.clone(),
        "audio_features": torch.randn(batch, num_frames, fbank_frames, 128, generator=generator)
        * torch.tensor(sound)[:, None, None, None],
        "audio_feature_mask": torch.tensor(sound)[:, None, None].expand(batch, num_frames, fbank_frames).clone(),
        "audio_window_mask": torch.tensor(sound)[:, None].expand(batch, num_frames).clone(),
        "audio_window_times": times.clone(),
        "query_times": torch.rand(batch, 1, generator=generator) * 0.5 * num_frames,
        "query_time_mask": torch.ones(batch, 1, dtype=torch.bool),
    }
