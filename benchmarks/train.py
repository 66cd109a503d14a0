"""Benchmark: the tiny training recipe on the CPU, and whether data loading can keep an H100 busy at 7B.

    python benchmarks/train.py [--steps 12] [--warmup 2] [--threads N] [--out benchmarks/results/train.json]

Part 1 runs `train/recipes/tiny_cpu.yaml` (the real code path: dataset, collator with video decoding, LoRA, TRL's
trainer) on a tiny model and synthetic clips, with `dataloader_num_workers: 0` so that each step's time splits
into data (the collator: decoding + processor) and compute (forward, backward, optimizer). It reports samples/s,
the median step split and the process's peak RSS. On a CPU that other processes share, torch's intra-op threads
spin against them: `--threads 1` shows how much of a slow step that is.

Part 2 is an estimate, not a measurement: the samples/s one H100 consumes when training the 7B model, from the
prefill FLOPs in benchmarks/results/flops.json and the assumptions in H100_ASSUMPTIONS, against the samples/s one
CPU core decodes according to benchmarks/results/processor.json (the processor on 10-min and 60-min clips).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
H100_ASSUMPTIONS = {
    "peak_bf16_tflops": 989.0,  # H100 SXM, dense
    "model_flops_utilization": 0.4,
    "text_tokens_per_sample": 128,  # prompt + answer, on top of the media tokens (flops.json measures 40)
    # Frozen encoders run forward only. The LLM (frozen or LoRA) runs forward, backward for the activations and the
    # recomputation of gradient checkpointing: 3x its forward. The resampler, MLPs and TLP train in full: 4x.
    "encoder_passes": 1,
    "llm_passes": 3,
    "trained_passes": 4,
}


class TimedCollator:
    """Records the wall time of every collate call (all of a step's data work when there are no workers)."""

    def __init__(self, collator):
        self.collator = collator
        self.seconds: list[float] = []

    def __call__(self, examples):
        start = time.perf_counter()
        batch = self.collator(examples)
        self.seconds.append(time.perf_counter() - start)
        return batch


def tiny_run(steps: int, warmup: int) -> dict:
    from transformers import TrainerCallback
    from trl import ModelConfig, SFTConfig, TrlParser

    from savenvideo.train.arguments import SAVEnVideoScriptArguments
    from savenvideo.train.pipeline import build_trainer
    from savenvideo.train.tiny_checkpoint import build_tiny_checkpoint
    from savenvideo.train.tiny_data import write_tiny_dataset, write_tiny_recipe

    class StepClock(TrainerCallback):
        def __init__(self):
            self.ends = [time.perf_counter()]

        def on_step_end(self, args, state, control, **kwargs):
            self.ends.append(time.perf_counter())

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        checkpoint = build_tiny_checkpoint(root / "checkpoint")
        data = write_tiny_dataset(root / "data", num_clips=4)
        recipe = write_tiny_recipe(
            root / "recipe.yaml",
            checkpoint,
            data,
            root / "run",
            max_steps=warmup + steps,
            logging_steps=warmup + steps,
        )
        parser = TrlParser((SAVEnVideoScriptArguments, SFTConfig, ModelConfig))
        script_args, training_args, model_args = parser.parse_args_and_config(["--config", str(recipe)])
        trainer = build_trainer(script_args, training_args, model_args)
        collator = trainer.data_collator = TimedCollator(trainer.data_collator)
        clock = StepClock()
        trainer.add_callback(clock)
        clock.ends = [time.perf_counter()]
        trainer.train()

    step_s = [b - a for a, b in zip(clock.ends, clock.ends[1:])][warmup:]
    data_s = collator.seconds[warmup : warmup + len(step_s)]
    compute_s = [step - data for step, data in zip(step_s, data_s)]
    batch = training_args.per_device_train_batch_size
    return {
        "steps_measured": len(step_s),
        "batch_size": batch,
        "samples_per_s": batch * len(step_s) / sum(step_s),
        "step_s_median": statistics.median(step_s),
        "data_s_median": statistics.median(data_s),
        "compute_s_median": statistics.median(compute_s),
        "data_share": sum(data_s) / sum(step_s),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "dropped_samples": dict(collator.collator.counts),
    }


def h100_estimate() -> dict:
    """Samples/s one H100 trains at 7B, from the measured prefill FLOPs and the stated assumptions."""
    flops = json.loads((RESULTS / "flops.json").read_text())["savenvideo"]
    parts = flops["flops"]
    text_scale = (flops["media_tokens"] + H100_ASSUMPTIONS["text_tokens_per_sample"]) / flops["llm_tokens"]
    encoders = parts["vision tower"] + parts["audio tower"]
    trained = parts["visual/audio MLPs"] + parts["AVTS resampler"] + parts["TLP"]
    per_sample = (
        H100_ASSUMPTIONS["encoder_passes"] * encoders
        + H100_ASSUMPTIONS["trained_passes"] * trained
        + H100_ASSUMPTIONS["llm_passes"] * parts["LLM"] * text_scale
    )
    sustained = H100_ASSUMPTIONS["peak_bf16_tflops"] * 1e12 * H100_ASSUMPTIONS["model_flops_utilization"]
    return {"train_tflops_per_sample": per_sample / 1e12, "samples_per_s": sustained / per_sample}


def processor_feed() -> dict:
    """Samples/s one core decodes and preprocesses (16 frames + 16 audio windows), per clip length."""
    path = RESULTS / "processor.json"
    if not path.exists():
        return {}
    clips = json.loads(path.read_text())["clips"]
    feed = {}
    for seconds, clip in clips.items():
        processor = clip["backends"].get("torchcodec", {}).get("configs", {}).get("processor", {})
        if "wall_s" in processor:
            feed[f"{int(seconds) // 60} min" if int(seconds) >= 60 else f"{seconds} s"] = 1 / processor["wall_s"]
    return feed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12, help="measured steps")
    parser.add_argument("--warmup", type=int, default=2, help="steps left out of the figures")
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's choice)")
    parser.add_argument("--out", type=Path, default=RESULTS / "train.json")
    args = parser.parse_args(argv)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    load_before = os.getloadavg()[0]
    tiny = tiny_run(args.steps, args.warmup)
    tiny["load_average_1min"] = [load_before, os.getloadavg()[0]]  # a shared machine slows every figure down
    tiny["torch_threads"] = torch.get_num_threads()
    print(
        f"Tiny recipe on the CPU ({tiny['steps_measured']} steps of {tiny['batch_size']} samples, no workers, "
        f"{tiny['torch_threads']} torch threads)"
    )
    print(f"{'samples/s':<28}{tiny['samples_per_s']:>10.2f}")
    print(f"{'step s (median)':<28}{tiny['step_s_median']:>10.3f}")
    print(f"{'  data s (collator)':<28}{tiny['data_s_median']:>10.3f}")
    print(f"{'  compute s (fwd+bwd+opt)':<28}{tiny['compute_s_median']:>10.3f}")
    print(f"{'data share of step time':<28}{tiny['data_share']:>10.0%}")
    print(f"{'peak RSS MB':<28}{tiny['peak_rss_mb']:>10.0f}")
    print(f"{'load average before/after':<28}{tiny['load_average_1min'][0]:>5.1f}/{tiny['load_average_1min'][1]:.1f}")

    gpu = h100_estimate()
    feed = processor_feed()
    print(
        f"\nOne H100 training the 7B model (estimate; assumptions in H100_ASSUMPTIONS): "
        f"{gpu['train_tflops_per_sample']:.1f} TFLOP/sample -> {gpu['samples_per_s']:.1f} samples/s"
    )
    workers = {}
    if feed:
        print(f"{'clip length':<14}{'samples/s/core':>16}{'cores per H100':>16}")
        for length, rate in feed.items():
            workers[length] = math.ceil(gpu["samples_per_s"] / rate)
            print(f"{length:<14}{rate:>16.2f}{workers[length]:>16}")
    else:
        print("benchmarks/results/processor.json is missing: run benchmarks/processor.py for the per-core feed rate")

    report = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "tiny_cpu": tiny,
        "h100_7b_estimate": {**gpu, "assumptions": H100_ASSUMPTIONS},
        "processor_samples_per_s_per_core": feed,
        "dataloader_cores_per_h100": workers,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
