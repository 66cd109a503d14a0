"""benchmarks/perception_probe.py: its labels are the plans' own, and its variants are the models they claim."""

import importlib.util
import sys
from pathlib import Path

import torch

SPEC = importlib.util.spec_from_file_location(
    "perception_probe", Path(__file__).parents[1] / "benchmarks" / "perception_probe.py"
)
probe = sys.modules["perception_probe"] = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(probe)


def test_labels_name_each_shot_colour_form_and_sound():
    from savenvideo.dataset_scripts.synthetic.benchmark_builder import plan_benchmark
    from savenvideo.dataset_scripts.synthetic.benchmark_config import BenchmarkConfig

    plans = plan_benchmark(BenchmarkConfig(videos=3))
    classes = {name: sorted({read(s) for p in plans for s in p.slots}) for name, read in probe.ATTRIBUTES.items()}
    labels = probe.slot_labels(plans, classes)
    for plan in plans:
        assert labels[plan.video_id].shape == (len(plan.slots), 3)
        for slot, (colour, form, sound) in zip(plan.slots, labels[plan.video_id].tolist()):
            assert f"{classes['colour'][colour]} {classes['form'][form]}" == slot.visual.label
            assert classes["sound"][sound] == slot.sound.label


def test_variants_differ_only_where_they_say():
    anchored, unanchored = probe.build_variant("avts", 5), probe.build_variant("avts_unanchored", 5)
    assert torch.all(anchored.model.resampler.time_slopes > 0)
    assert torch.all(unanchored.model.resampler.time_slopes == 0)
    assert not unanchored.model.resampler.time_slopes.requires_grad
    assert probe.build_variant("no_tlp", 5).model.time_projection is None
    assert probe.build_variant("mlp", 5).config.projector_type == "mlp"
