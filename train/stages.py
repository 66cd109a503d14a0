"""The paper's training stages (section 4.2) as parameter selections on module names.

A stage names, as regular expressions searched in parameter names of the unwrapped model, the parameters that train
in full; LoRA stages add adapters on the language model's projections (see `train/lora.py`) and hand the fully trained
modules to PEFT as `modules_to_save`, so that they are saved with the adapter.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from torch import nn

RESAMPLER_AND_TLP = (r"^model\.resampler\.", r"^model\.time_projection\.")


@dataclass(frozen=True)
class Stage:
    name: str
    trainable: tuple[str, ...]
    lora: bool
    why: str


STAGES = {
    stage.name: stage
    for stage in (
        Stage(
            "align_visual",
            (r"^model\.resampler\.(?!audio_)", r"^model\.time_projection\."),
            lora=False,
            why="visual alignment: visual MLP, TLP, the resampler's attention and queries; not its audio parts",
        ),
        Stage(
            "align_audio",
            RESAMPLER_AND_TLP,
            lora=False,
            why="audio alignment: the audio MLP (and audio position embedding) unfrozen on top of stage 1a",
        ),
        Stage(
            "av_temporal",
            RESAMPLER_AND_TLP,
            lora=True,
            why="audio-visual temporal fine-tuning: LoRA on the LLM, resampler and TLP keep training",
        ),
        Stage(
            "savenvid",
            RESAMPLER_AND_TLP,
            lora=True,
            why="SAVEn-Vid instruction tuning: same parameters as av_temporal",
        ),
        Stage(
            "full",
            (r".",),
            lora=False,
            why="every parameter, encoders and LLM included: for a model that starts from random weights (the "
            "offline demo), where a frozen random LLM could never learn; not a stage of the paper",
        ),
    )
}


def get_stage(name: str) -> Stage:
    if name not in STAGES:
        raise ValueError(f"unknown stage {name!r}; known: {sorted(STAGES)}")
    return STAGES[name]


def select_parameters(model: nn.Module, stage: Stage) -> list[str]:
    """Names of the parameters that the stage trains in full; refuses a selection that matches nothing."""
    patterns = [re.compile(p) for p in stage.trainable]
    selected = [name for name, _ in model.named_parameters() if any(p.search(name) for p in patterns)]
    if not selected:
        raise ValueError(
            f"stage {stage.name!r} selects no parameter of {type(model).__name__} (patterns {stage.trainable}); "
            "the model's module names do not match what the stage expects"
        )
    return selected


def freeze_for_stage(model: nn.Module, stage: Stage) -> list[str]:
    """Train exactly the stage's parameters (full-training stages); returns their names."""
    selected = set(select_parameters(model, stage))
    for name, param in model.named_parameters():
        param.requires_grad_(name in selected)
    return sorted(selected)


def modules_to_save(model: nn.Module, stage: Stage) -> list[str]:
    """The smallest set of whole modules that covers the stage's selection, for PEFT's `modules_to_save`.

    PEFT copies whole modules, so a selection that covers only part of a module's own parameters is refused.
    """
    selected = set(select_parameters(model, stage))
    covered = {
        name
        for name, module in model.named_modules()
        if name and (params := [f"{name}.{p}" for p, _ in module.named_parameters()]) and selected.issuperset(params)
    }
    roots = sorted(name for name in covered if name.rpartition(".")[0] not in covered)
    reached = {f"{root}.{p}" for root in roots for p, _ in model.get_submodule(root).named_parameters()}
    if reached != selected:
        raise ValueError(f"stage {stage.name!r} selects parts of modules: {sorted(selected - reached)[:5]}")
    return roots


# Readable groups for the table, first match wins (names without the `model.` / PEFT prefixes).
PARAMETER_GROUPS = (
    (r"^resampler\.visual_mlp\.", "resampler: visual MLP"),
    (r"^resampler\.audio_", "resampler: audio MLP + positions"),
    (r"^resampler\.", "resampler: attention + queries"),
    (r"^time_projection\.", "TLP (time_projection)"),
)
PEFT_WRAPPERS = ("base_model.model.", "modules_to_save.default.")


def parameter_group(name: str) -> str | None:
    """The group of a parameter: `resampler: visual MLP`, `language_model (LoRA)`, `vision_tower`, ...

    PEFT's frozen `original_module` copies of `modules_to_save` give None: they would count the module twice.
    """
    if ".original_module." in name:
        return None
    for wrapper in PEFT_WRAPPERS:
        name = name.replace(wrapper, "")
    name = name.removeprefix("model.")
    group = next((group for pattern, group in PARAMETER_GROUPS if re.search(pattern, name)), name.split(".")[0])
    return f"{group} (LoRA)" if ".lora_" in name else group


def trainable_table(model: nn.Module) -> str:
    """A table of module group -> trainable / total parameters."""
    trainable, total = defaultdict(int), defaultdict(int)
    for name, param in model.named_parameters():
        group = parameter_group(name)
        if group is None:
            continue
        total[group] += param.numel()
        if param.requires_grad:
            trainable[group] += param.numel()
    width = max(len(group) for group in total)
    lines = [f"{'module group':<{width}}  {'trainable':>13}  {'total':>13}"]
    lines += [f"{group:<{width}}  {trainable[group]:>13,}  {total[group]:>13,}" for group in total]
    lines.append(f"{'all':<{width}}  {sum(trainable.values()):>13,}  {sum(total.values()):>13,}")
    return "\n".join(lines)
