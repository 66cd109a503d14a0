"""Each stage trains exactly the paper's parameters, on the tiny model."""

import pytest
from peft import get_peft_model
from torch import nn
from trl import ModelConfig

from savenvideo.train.lora import build_lora_config
from savenvideo.train.stages import STAGES, Stage, freeze_for_stage, modules_to_save, trainable_table
from savenvideo.train.tiny_checkpoint import build_tiny_model

QWEN2_PROJECTIONS = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}


def names_under(model: nn.Module, *prefixes: str, exclude: tuple[str, ...] = ()) -> set[str]:
    return {n for n, _ in model.named_parameters() if n.startswith(prefixes) and not n.startswith(exclude)}


def trainable(model: nn.Module) -> set[str]:
    return {n for n, p in model.named_parameters() if p.requires_grad}


def test_align_visual_trains_visual_mlp_tlp_and_resampler_attention():
    model = build_tiny_model()
    freeze_for_stage(model, STAGES["align_visual"])
    expected = names_under(
        model,
        "model.resampler.",
        "model.time_projection.",
        exclude=("model.resampler.audio_mlp.", "model.resampler.audio_position_embedding."),
    )
    assert trainable(model) == expected
    assert "model.resampler.visual_mlp.linear_1.weight" in expected
    assert "model.resampler.layers.0.cross_attn.q_proj.weight" in expected
    assert "model.resampler.queries" in expected


def test_align_audio_adds_the_audio_mlp():
    model = build_tiny_model()
    freeze_for_stage(model, STAGES["align_audio"])
    assert trainable(model) == names_under(model, "model.resampler.", "model.time_projection.")
    assert "model.resampler.audio_mlp.linear_2.weight" in trainable(model)


def test_full_trains_every_parameter_without_lora():
    model = build_tiny_model()
    for param in model.model.vision_tower.parameters():
        param.requires_grad_(False)
    freeze_for_stage(model, STAGES["full"])
    assert trainable(model) == {n for n, _ in model.named_parameters()}
    assert not STAGES["full"].lora


@pytest.mark.parametrize("stage", ["av_temporal", "savenvid"])
def test_lora_stages_train_llm_adapters_and_save_resampler_and_tlp(stage):
    model = build_tiny_model()
    full = names_under(model, "model.resampler.", "model.time_projection.")
    saved = modules_to_save(model, STAGES[stage])
    assert saved == ["model.resampler", "model.time_projection"]
    config = build_lora_config(ModelConfig(use_peft=True, lora_r=4, lora_alpha=8), saved)
    peft_model = get_peft_model(model, config)

    lora = {n for n in trainable(peft_model) if ".lora_" in n}
    rest = trainable(peft_model) - lora
    assert {n.replace(".modules_to_save.default.", ".").removeprefix("base_model.model.") for n in rest} == full
    assert all(n.startswith("base_model.model.model.language_model.layers.") for n in lora)
    layers = model.config.text_config.num_hidden_layers
    adapted = {n.split(".lora_")[0] for n in lora}
    assert len(adapted) == layers * len(QWEN2_PROJECTIONS)
    assert {n.rsplit(".", 1)[1] for n in adapted} == QWEN2_PROJECTIONS
    # The resampler has q/k/v/o projections too; they train in full, never through LoRA.
    assert not any("resampler" in n for n in lora)


def test_the_table_lists_each_group_once_with_its_trainable_count():
    model = build_tiny_model()
    freeze_for_stage(model, STAGES["align_visual"])
    count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    rows = {line.rsplit(None, 2)[0]: line.split()[-2:] for line in trainable_table(model).splitlines()[1:]}
    assert rows["resampler: audio MLP + positions"][0] == "0"
    assert rows["language_model"][0] == "0" and rows["vision_tower"][0] == "0"
    assert rows["all"][0] == f"{count:,}"


def test_a_stage_that_matches_nothing_is_refused():
    empty = Stage("typo", (r"^model\.resamplr\.",), lora=False, why="")
    with pytest.raises(ValueError, match="selects no parameter"):
        freeze_for_stage(build_tiny_model(), empty)


def test_modules_to_save_refuses_part_of_a_module():
    partial = Stage("part", (r"^model\.resampler\.queries$",), lora=True, why="")
    with pytest.raises(ValueError, match="parts of modules"):
        modules_to_save(build_tiny_model(), partial)
