"""
Supervised fine-tuning of SAVEnVideo, one paper stage per recipe (train/recipes/, train/README.md).

# Stage 1a on 8 GPUs
accelerate launch --config_file train/accelerate/ddp_8gpu.yaml train/sft.py --config train/recipes/align_visual.yaml

# The same code path on a tiny model and synthetic clips, on a CPU
accelerate launch --config_file train/accelerate/cpu.yaml train/sft.py --config train/recipes/tiny_cpu.yaml

# Resume after a crash or a kill, from the newest complete checkpoint in output_dir
accelerate launch ... train/sft.py --config train/recipes/savenvid.yaml --resume_from_checkpoint last
"""

from trl import ModelConfig, SFTConfig, TrlParser

from savenvideo.train.arguments import SAVEnVideoScriptArguments
from savenvideo.train.checkpoints import resolve_resume
from savenvideo.train.pipeline import build_trainer
from savenvideo.train.stages import trainable_table


def main(script_args, training_args, model_args):
    trainer = build_trainer(script_args, training_args, model_args)

    table = trainable_table(trainer.model)
    trainer.accelerator.print(f"Stage {script_args.stage}: trainable parameters\n{table}")

    checkpoint = resolve_resume(training_args.resume_from_checkpoint, training_args.output_dir)
    trainer.train(resume_from_checkpoint=checkpoint)

    trainer.save_model(training_args.output_dir)
    trainer.accelerator.print(f"Model saved to {training_args.output_dir}.")


if __name__ == "__main__":
    parser = TrlParser((SAVEnVideoScriptArguments, SFTConfig, ModelConfig))
    main(*parser.parse_args_and_config())
