"""Tiny random Qwen2 / Qwen2-VL / Qwen2-Audio checkpoints, built offline, to run every engine without the Hub.

They have the real architectures, processors and special tokens (so media reach the model in the real form and
`transformers serve` or vLLM can load them), only with a few hundred parameters per layer: their replies are
gibberish, but every shape, token expansion and generation call is the one a 72B model goes through.
"""

from __future__ import annotations

import os
from pathlib import Path

from savenvideo.processing.tiny_tokenizer import build_tiny_tokenizer

IMAGE_PAD, VIDEO_PAD = "<|image_pad|>", "<|video_pad|>"
VISION_START, VISION_END = "<|vision_start|>", "<|vision_end|>"
AUDIO_PAD, AUDIO_BOS, AUDIO_EOS = "<|AUDIO|>", "<|audio_bos|>", "<|audio_eos|>"

# Qwen2-VL's chat layout: each image or video becomes vision_start + one pad token (the processor expands it).
QWEN2_VL_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_TEXT = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 4096,
}


def _tokenizer(extra_tokens: list[str]):
    tokenizer = build_tiny_tokenizer()
    tokenizer.add_special_tokens({"additional_special_tokens": extra_tokens}, replace_extra_special_tokens=False)
    return tokenizer


def _text_ids(tokenizer) -> dict[str, int]:
    return {
        "vocab_size": len(tokenizer),
        "bos_token_id": tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        "eos_token_id": tokenizer.convert_tokens_to_ids("<|im_end|>"),
        "pad_token_id": tokenizer.convert_tokens_to_ids("<|endoftext|>"),
    }


def _save(model, processor, folder: Path, ids: dict[str, int]) -> Path:
    model.generation_config.eos_token_id = ids["eos_token_id"]
    model.generation_config.pad_token_id = ids["pad_token_id"]
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def build_tiny_qwen2(folder: str | os.PathLike, seed: int = 0, **sizes: int) -> Path:
    """A random 2-layer Qwen2ForCausalLM with the tiny ChatML tokenizer: the fusion / question model's stand-in.
    ``sizes`` override the text sizes (GPU kernels want e.g. ``hidden_size=128, num_attention_heads=2``)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    tokenizer = _tokenizer([])
    ids = _text_ids(tokenizer)
    model = Qwen2ForCausalLM(Qwen2Config(**{**_TEXT, **sizes}, **ids, tie_word_embeddings=True))
    return _save(model, tokenizer, Path(folder), ids)


def build_tiny_qwen2_vl(folder: str | os.PathLike, seed: int = 0) -> Path:
    """A random Qwen2VLForConditionalGeneration with a Qwen2-VL image + video processor limited to small pictures."""
    import torch
    from transformers import (
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
    )

    torch.manual_seed(seed)
    tokenizer = _tokenizer([IMAGE_PAD])
    ids = _text_ids(tokenizer)
    head_dim = _TEXT["hidden_size"] // _TEXT["num_attention_heads"]
    config = Qwen2VLConfig(
        text_config={
            **_TEXT,
            **ids,
            "rope_parameters": {"rope_type": "default", "mrope_section": [1, 1, head_dim // 2 - 2]},
        },
        vision_config={
            "depth": 1,
            "embed_dim": 32,
            "hidden_size": _TEXT["hidden_size"],
            "num_heads": 2,
            "mlp_ratio": 2,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
        },
        image_token_id=tokenizer.convert_tokens_to_ids(IMAGE_PAD),
        video_token_id=tokenizer.convert_tokens_to_ids(VIDEO_PAD),
        vision_start_token_id=tokenizer.convert_tokens_to_ids(VISION_START),
        vision_end_token_id=tokenizer.convert_tokens_to_ids(VISION_END),
        **ids,
    )
    model = Qwen2VLForConditionalGeneration(config)
    pixels = {"shortest_edge": 56 * 56, "longest_edge": 112 * 112}  # at most 8 x 8 patches of 14 per frame
    processor = Qwen2VLProcessor(
        image_processor=Qwen2VLImageProcessor(size=pixels),
        video_processor=Qwen2VLVideoProcessor(size=pixels),
        tokenizer=tokenizer,
        chat_template=QWEN2_VL_CHAT_TEMPLATE,
    )
    return _save(model, processor, Path(folder), ids)


def build_tiny_qwen2_audio(folder: str | os.PathLike, seed: int = 0) -> Path:
    """A random Qwen2AudioForConditionalGeneration with Qwen2-Audio's 128-bin, 30-second Whisper features."""
    import torch
    from transformers import (
        Qwen2AudioConfig,
        Qwen2AudioForConditionalGeneration,
        Qwen2AudioProcessor,
        WhisperFeatureExtractor,
    )

    torch.manual_seed(seed)
    tokenizer = _tokenizer([AUDIO_PAD, AUDIO_BOS, AUDIO_EOS])
    ids = _text_ids(tokenizer)
    config = Qwen2AudioConfig(
        audio_config={
            "d_model": 32,
            "encoder_layers": 1,
            "encoder_attention_heads": 2,
            "encoder_ffn_dim": 64,
            "num_mel_bins": 128,
            "max_source_positions": 1500,
        },
        text_config={"model_type": "qwen2", **_TEXT, **ids},
        audio_token_index=tokenizer.convert_tokens_to_ids(AUDIO_PAD),
    )
    model = Qwen2AudioForConditionalGeneration(config)
    extractor = WhisperFeatureExtractor(feature_size=128, sampling_rate=16_000, chunk_length=30)
    processor = Qwen2AudioProcessor(feature_extractor=extractor, tokenizer=tokenizer)
    return _save(model, processor, Path(folder), ids)
