"""LoRA on the language model only.

Qwen2's projection names (`q_proj`, ..., `down_proj`) may also appear in the vision tower or the resampler, so the
targets are a regular expression anchored on `model.language_model` rather than bare module names.
"""

from __future__ import annotations

import re

from peft import LoraConfig
from trl import ModelConfig

QWEN2_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def language_model_targets(projections: list[str] | str | None) -> str:
    """A PEFT `target_modules` regex (full match) for these projections inside the language model."""
    if isinstance(projections, str):
        projections = [projections]
    names = "|".join(re.escape(p) for p in (projections or QWEN2_PROJECTIONS))
    return rf"model\.language_model\..*\.({names})"


def build_lora_config(model_args: ModelConfig, modules_to_save: list[str]) -> LoraConfig:
    """LoRA from the recipe's `lora_*` settings; `modules_to_save` train in full and are saved with the adapter."""
    return LoraConfig(
        r=model_args.lora_r,
        lora_alpha=model_args.lora_alpha,
        lora_dropout=model_args.lora_dropout,
        target_modules=language_model_targets(model_args.lora_target_modules),
        modules_to_save=[*modules_to_save, *(model_args.lora_modules_to_save or [])],
        use_rslora=model_args.use_rslora,
        use_dora=model_args.use_dora,
        task_type=model_args.lora_task_type,
    )
