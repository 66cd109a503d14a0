"""The model and processor a stage starts from: a saved checkpoint, or a fresh assembly of pretrained components."""

from __future__ import annotations

from pathlib import Path

from trl import ModelConfig

from savenvideo.modeling.modeling_savenvideo import SAVEnVideoForConditionalGeneration
from savenvideo.processing.processing_savenvideo import SAVEnVideoProcessor

from .arguments import SAVEnVideoScriptArguments


def starting_checkpoint(script_args: SAVEnVideoScriptArguments, model_args: ModelConfig, output_dir: str) -> str:
    """`model_name_or_path` (the previous stage's output), else SigLIP + BEATs + Qwen2 assembled once under
    `output_dir/assembled` (train/assemble.py); run it on the main process first."""
    if model_args.model_name_or_path:
        return model_args.model_name_or_path
    components = (script_args.vision_model_path, script_args.audio_model_path, script_args.language_model_path)
    if not all(components):
        raise ValueError("set model_name_or_path, or all of vision_model_path, audio_model_path, language_model_path")
    target = Path(output_dir) / "assembled"
    if not (target / "config.json").exists():
        from .assemble import assemble

        dtype = model_args.dtype if model_args.dtype not in (None, "auto") else "bfloat16"
        assemble(*components, out_dir=target, dtype=dtype)
    return str(target)


def load_model_and_processor(checkpoint: str, model_args: ModelConfig, trust_remote_code: bool = False):
    """The model class of this package; the processor's BEATs feature extractor is the checkpoint's remote code."""
    model = SAVEnVideoForConditionalGeneration.from_pretrained(
        checkpoint,
        revision=model_args.model_revision,
        dtype=model_args.dtype,
        attn_implementation=model_args.attn_implementation,
    )
    processor = SAVEnVideoProcessor.from_pretrained(
        checkpoint, revision=model_args.model_revision, trust_remote_code=trust_remote_code
    )
    return model, processor
