"""The tiny recipe end to end: the loss goes down, and the LoRA result merges into a checkpoint that loads anywhere."""

import json

import pytest
import torch
from transformers import AutoModel, AutoProcessor
from trl import ModelConfig, SFTConfig, TrlParser

from savenvideo.train.arguments import SAVEnVideoScriptArguments
from savenvideo.train.collator import SAVEnVideoCollator
from savenvideo.train.merge import merge_adapter
from savenvideo.train.pipeline import build_trainer
from savenvideo.train.tiny_checkpoint import build_tiny_checkpoint
from savenvideo.train.tiny_data import write_tiny_dataset, write_tiny_recipe

pytestmark = pytest.mark.slow
STEPS = 10


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny_sft")
    checkpoint = build_tiny_checkpoint(root / "checkpoint")
    data = write_tiny_dataset(root / "data", num_clips=3)
    (data.parent / "clips" / "corrupt.mp4").write_bytes(b"not a video" * 100)
    corrupt = {
        "id": "corrupt",
        "video": "clips/corrupt.mp4",
        "conversations": [{"from": "human", "value": "<video>\nWhat?"}, {"from": "gpt", "value": "-"}],
    }
    with data.open("a") as lines:
        lines.write(json.dumps(corrupt) + "\n")
    recipe = write_tiny_recipe(root / "recipe.yaml", checkpoint, data, root / "run", max_steps=STEPS)
    parser = TrlParser((SAVEnVideoScriptArguments, SFTConfig, ModelConfig))
    script_args, training_args, model_args = parser.parse_args_and_config(["--config", str(recipe)])
    trainer = build_trainer(script_args, training_args, model_args)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model on a shared CPU: more threads only spin against other processes
    try:
        trainer.train()
    finally:
        torch.set_num_threads(threads)
    trainer.save_model(training_args.output_dir)
    return trainer, checkpoint, root


def test_loss_decreases_on_the_tiny_recipe(trained):
    trainer, _, _ = trained
    logs = [entry for entry in trainer.state.log_history if "loss" in entry]
    losses = [entry["loss"] for entry in logs]
    assert len(losses) == STEPS
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.05, losses
    # the corrupt clip was met (every epoch) and skipped: counted, never fatal
    assert logs[-1]["dropped_decode_error"] >= 1 and logs[-1]["dropped_too_long"] == 0


def test_lora_save_merge_reload_gives_identical_logits(trained):
    trainer, checkpoint, root = trained
    merged = merge_adapter(checkpoint, root / "run", root / "merged")
    assert (merged / "modeling_savenvideo.py").is_file() and (merged / "processor_config.json").is_file()

    processor = AutoProcessor.from_pretrained(merged, trust_remote_code=True)
    batch = SAVEnVideoCollator(processor)([trainer.train_dataset[i] for i in range(3)])
    del batch["labels"], batch["dropped_samples"]
    reloaded = AutoModel.from_pretrained(merged, trust_remote_code=True).eval()
    base = AutoModel.from_pretrained(checkpoint, trust_remote_code=True).eval()
    with torch.no_grad():
        adapted = trainer.model.eval()(**batch).logits
        merged_logits = reloaded(**batch).logits
        base_logits = base(**batch).logits
    torch.testing.assert_close(merged_logits, adapted, rtol=1e-4, atol=1e-4)
    assert (merged_logits - base_logits).abs().max() > 1e-2  # the training changed something
