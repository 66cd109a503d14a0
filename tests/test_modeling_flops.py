"""benchmarks/flops.py counts what a real forward computes: checked on tiny SAVEnVideo and LLaVA-OneVision configs."""

import importlib.util
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode
from transformers import LlavaOnevisionConfig, LlavaOnevisionForConditionalGeneration

from savenvideo.train.tiny_checkpoint import TINY_TEXT, TINY_VISION, build_tiny_model, random_batch, tiny_config

SPEC = importlib.util.spec_from_file_location("flops", Path(__file__).parents[1] / "benchmarks" / "flops.py")
flops = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(flops)
MASKS = ("video_frame_mask", "audio_feature_mask", "audio_window_mask")


def forward_flops(model, **inputs) -> int:
    with FlopCounterMode(display=False) as counter:
        model(**inputs, logits_to_keep=1)
    return counter.get_total_flops()


def test_savenvideo_count_equals_a_real_prefill():
    model = build_tiny_model().requires_grad_(False)
    batch = random_batch(model.config, text_lengths=(13,), fbank_frames=48)
    counted = flops.savenvideo_prefill(tiny_config(), text_tokens=13, audio_frames=48)
    assert counted["llm_tokens"] == batch["input_ids"].shape[1]
    real = forward_flops(model, **{key: value for key, value in batch.items() if key not in MASKS})
    assert counted["flops"]["total"] == real
    assert {"vision tower", "audio tower", "AVTS resampler", "LLM", "LM head"} <= set(counted["flops"])


def test_llava_onevision_count_equals_a_real_prefill():
    config = LlavaOnevisionConfig(
        vision_config={"model_type": "siglip_vision_model", **TINY_VISION},
        text_config={"model_type": "qwen2", **TINY_TEXT},
        video_token_index=7,
        image_token_index=8,
    )
    counted = flops.llava_onevision_prefill(config, num_frames=3, text_tokens=5)
    assert counted["media_tokens"] == 3 * 2 * 2 + 1  # a 4x4 patch grid pooled to 2x2, plus the newline token
    torch.manual_seed(0)
    model = LlavaOnevisionForConditionalGeneration(config).eval().requires_grad_(False)
    input_ids = torch.tensor([[1, 2] + [7] * counted["media_tokens"] + [3, 4, 5]])
    pixels = torch.randn(1, 3, 3, 32, 32)
    real = forward_flops(
        model, input_ids=input_ids, attention_mask=torch.ones_like(input_ids), pixel_values_videos=pixels
    )
    assert counted["flops"]["total"] == real
