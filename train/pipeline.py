"""Everything `train/sft.py` puts together, in one function that the tests and the benchmark share."""

from __future__ import annotations

import torch
from trl import ModelConfig, SFTConfig

from .arguments import SAVEnVideoScriptArguments
from .batching import accumulation_steps
from .collator import SAVEnVideoCollator
from .data import load_mixture
from .loading import load_model_and_processor, starting_checkpoint
from .lora import build_lora_config
from .stages import freeze_for_stage, get_stage, modules_to_save
from .trainer import SAVEnVideoTrainer


def keep_trainable_in_float32(model: torch.nn.Module) -> None:
    """Trainable weights in float32 under bf16 autocast: bf16's 8-bit mantissa rounds small updates away.

    Not for DeepSpeed, which keeps its own float32 master copy and casts the model itself.
    """
    for param in model.parameters():
        if param.requires_grad and param.is_floating_point():
            param.data = param.data.float()


def build_trainer(
    script_args: SAVEnVideoScriptArguments, training_args: SFTConfig, model_args: ModelConfig
) -> SAVEnVideoTrainer:
    stage = get_stage(script_args.stage)
    if model_args.use_peft != stage.lora:
        raise ValueError(f"stage {stage.name!r} {'needs' if stage.lora else 'trains without'} LoRA: set use_peft")
    # The collator reads the raw rows and decodes media itself.
    training_args.remove_unused_columns = False
    training_args.dataset_kwargs = {"skip_prepare_dataset": True}
    if script_args.global_batch_size:
        derived = accumulation_steps(
            script_args.global_batch_size, training_args.per_device_train_batch_size, training_args.world_size
        )
        if training_args.gradient_accumulation_steps not in (1, derived):
            raise ValueError(
                f"gradient_accumulation_steps={training_args.gradient_accumulation_steps} contradicts "
                f"global_batch_size={script_args.global_batch_size}: set only one"
            )
        training_args.gradient_accumulation_steps = derived

    with training_args.main_process_first(desc="assembling the model"):
        checkpoint = starting_checkpoint(script_args, model_args, training_args.output_dir)
    model, processor = load_model_and_processor(checkpoint, model_args, training_args.trust_remote_code)
    if script_args.num_frames:
        processor.num_frames = script_args.num_frames  # saved with the result, so inference samples the same
    if stage.lora:
        peft_config = build_lora_config(model_args, modules_to_save(model, stage))
    else:
        freeze_for_stage(model, stage)
        peft_config = None

    with training_args.main_process_first(desc="loading the dataset mixture"):
        train_dataset = load_mixture(
            script_args.dataset_mixture,
            media_root=script_args.media_root,
            seed=training_args.seed,
            stopping_strategy=script_args.mixture_stopping_strategy,
            num_proc=training_args.dataset_num_proc,
        )
    collator = SAVEnVideoCollator(
        processor, max_length=training_args.max_length, dataset=train_dataset, seed=training_args.seed
    )
    trainer = SAVEnVideoTrainer(
        model=model,
        args=training_args,
        data_collator=collator,
        train_dataset=train_dataset,
        processing_class=processor,
        peft_config=peft_config,
    )
    if training_args.bf16 and training_args.deepspeed_plugin is None:
        keep_trainable_in_float32(trainer.model)
    return trainer
