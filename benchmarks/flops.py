"""LLM input tokens and forward FLOPs for one 16-frame video and a short question: SAVEnVideo vs LLaVA-OneVision-7B.

Both models are built at their real 7B shapes on the meta device (no weights, no memory) and run under
`torch.utils.flop_counter.FlopCounterMode`, which derives matmul, convolution and attention FLOPs from shapes.
The pass measured is generate's prefill: encoders, projector/resampler, the LLM over media + text tokens, and the
LM head for the last position. Both LLMs are the same Qwen2-7B; the text is the same number of tokens.
`tests/test_modeling_flops.py` checks on a tiny config that this count equals a real forward's.

    python benchmarks/flops.py [--out benchmarks/results/flops.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode, register_flop_formula, sdpa_flop_count

# ChatML system prompt, user turn with <|vision_start|>...<|vision_end|> and a one-line question, assistant header.
TEXT_TOKENS = 40
NUM_FRAMES = 16
AUDIO_FRAMES = 198  # BEATs fbank frames of one 2 s audio window
RESULTS = Path(__file__).parent / "results" / "flops.json"

COMPONENTS = {
    "SiglipVisionModel": "vision tower",
    "BeatsModel": "audio tower",
    "SAVEnVideoMultimodalProjector": "visual/audio MLPs",
    "LlavaOnevisionMultiModalProjector": "projector",
    "SAVEnVideoTemporalLinearProjection": "TLP",
    "SAVEnVideoAVTSResampler": "AVTS resampler",
    "Qwen2Model": "LLM",
    "Linear": "LM head",
}


@register_flop_formula(torch.ops.aten._scaled_dot_product_flash_attention_for_cpu)
def _cpu_attention_flops(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs) -> int:
    """PyTorch counts SDPA only for its CUDA kernels; on CPU (and meta) it dispatches to this one."""
    return sdpa_flop_count(query_shape, key_shape, value_shape)


def _by_component(counter: FlopCounterMode) -> dict[str, int]:
    counts = counter.get_flop_counts()
    flops = {COMPONENTS.get(name, name): sum(ops.values()) for name, ops in counts.items() if "." not in name}
    flops["total"] = flops.pop("Global")
    return flops


def _meta(*shape, dtype=torch.float32) -> torch.Tensor:
    return torch.zeros(shape, dtype=dtype, device="meta")


def _llm(language_model, length: int, hidden_size: int) -> torch.Tensor:
    """The LLM over `length` input embeddings. A ready 4D causal mask is used as-is, where a 2D one would be
    inspected (`.all()`) and meta tensors have no values."""
    mask = torch.zeros(1, 1, length, length, device="meta")
    return language_model(inputs_embeds=_meta(1, length, hidden_size), attention_mask=mask, use_cache=False)[0]


def savenvideo_prefill(config, text_tokens: int = TEXT_TOKENS, audio_frames: int = AUDIO_FRAMES) -> dict:
    """LLM input tokens and FLOPs per component of SAVEnVideo for one video with sound and one query time."""
    from savenvideo.modeling.modeling_savenvideo import SAVEnVideoForConditionalGeneration

    with torch.device("meta"):
        model = SAVEnVideoForConditionalGeneration(config).eval().requires_grad_(False)
    frames, size = config.num_frames, config.vision_config.image_size
    with FlopCounterMode(display=False) as counter:
        video_embeds, audio_embeds = model.model.get_media_embeddings(
            pixel_values_videos=_meta(1, frames, 3, size, size),
            video_frame_times=_meta(1, frames),
            audio_features=_meta(1, frames, audio_frames, config.audio_config.num_mel_bins),
            audio_window_times=_meta(1, frames),
            query_times=_meta(1, 1),
            query_time_mask=_meta(1, 1, dtype=torch.bool),
        )
        media_tokens = video_embeds.shape[1] + (0 if audio_embeds is None else audio_embeds.shape[1])
        hidden = _llm(model.model.language_model, media_tokens + text_tokens, config.text_config.hidden_size)
        model.lm_head(hidden[:, -1:])
    return {"media_tokens": media_tokens, "llm_tokens": media_tokens + text_tokens, "flops": _by_component(counter)}


def llava_onevision_config():
    """LLaVA-OneVision-7B: SigLIP so400m without its last layer (the library's default) and the same Qwen2-7B."""
    from transformers import LlavaOnevisionConfig

    from savenvideo.modeling.configuration_savenvideo import SAVEnVideoConfig

    return LlavaOnevisionConfig(text_config=SAVEnVideoConfig().text_config.to_dict())


def llava_onevision_prefill(config, num_frames: int = NUM_FRAMES, text_tokens: int = TEXT_TOKENS) -> dict:
    """The same for LLaVA-OneVision: 196 pooled tokens per frame plus one newline token, no audio."""
    from transformers import LlavaOnevisionForConditionalGeneration

    with torch.device("meta"):
        model = LlavaOnevisionForConditionalGeneration(config).eval().requires_grad_(False)
    size = config.vision_config.image_size
    with FlopCounterMode(display=False) as counter:
        video = model.model.get_video_features(_meta(1, num_frames, 3, size, size))
        media_tokens = getattr(video, "pooler_output", video).shape[1]
        hidden = _llm(model.model.language_model, media_tokens + text_tokens, config.text_config.hidden_size)
        model.lm_head(hidden[:, -1:])
    return {"media_tokens": media_tokens, "llm_tokens": media_tokens + text_tokens, "flops": _by_component(counter)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON file to write")
    args = parser.parse_args(argv)

    from savenvideo.modeling.configuration_savenvideo import SAVEnVideoConfig

    config = SAVEnVideoConfig()
    ours = savenvideo_prefill(config)
    llava = llava_onevision_prefill(llava_onevision_config())
    ratio = ours["flops"]["total"] / llava["flops"]["total"]

    print(f"One {NUM_FRAMES}-frame video (2 s audio windows), {TEXT_TOKENS} text tokens; prefill TFLOPs")
    print(f"{'':22}{'SAVEnVideo':>12}{'LLaVA-OV-7B':>14}")
    print(f"{'media tokens':22}{ours['media_tokens']:>12}{llava['media_tokens']:>14}")
    print(f"{'LLM input tokens':22}{ours['llm_tokens']:>12}{llava['llm_tokens']:>14}")
    for name in dict.fromkeys([*COMPONENTS.values(), "total"]):
        cells = [f"{result['flops'][name] / 1e12:.3f}" if name in result["flops"] else "-" for result in (ours, llava)]
        if cells == ["-", "-"]:
            continue
        print(f"{name:22}{cells[0]:>12}{cells[1]:>14}")
    print(f"SAVEnVideo / LLaVA-OneVision total FLOPs: {ratio:.3f} (goal <= 1/3)")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    settings = {
        "num_frames": NUM_FRAMES,
        "text_tokens": TEXT_TOKENS,
        "audio_frames_per_window": AUDIO_FRAMES,
        "num_queries": config.num_queries,
        "vision_pool_size": config.vision_pool_size,
        "audio_tokens_per_window": config.audio_tokens_per_window,
        "resampler_num_layers": config.resampler_num_layers,
        "torch": torch.__version__,
    }
    result = {"settings": settings, "savenvideo": ours, "llava_onevision_7b": llava, "flops_ratio": ratio}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
