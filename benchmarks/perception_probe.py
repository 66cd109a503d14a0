"""Do the fused media tokens carry what each shot shows and sounds like? A probe that leaves the LLM out.

The demo's tiny model describes every test clip alike (README), which could mean the media path (encoders, TLP,
resampler) passes nothing on, or that the language model never learns to read what it passes on. This benchmark
tells the two apart: it trains the media path of the demo's tiny model together with one linear layer that reads
all media tokens of a clip at once and names each shot's colour, form and sound (cross-entropy per shot), on the
demo's synthetic benchmark, and scores the held-out clips. No text, no LLM.

Variants: the AVTS resampler as built (queries anchored at frame times), the same with its time slopes held at
zero (every query free to read any moment, as before the anchoring), without the TLP (``use_time=False``), and
the MLP projector (one token per pooled patch and per audio step, nothing fused). The baseline of each attribute
is the most common label among the training shots.

    python benchmarks/perception_probe.py [--steps 400] [--variants avts avts_unanchored no_tlp mlp]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

import torch
from torch.nn import functional as F

from savenvideo.dataset_scripts.synthetic.benchmark_builder import build_benchmark, plan_benchmark, split_of_videos
from savenvideo.dataset_scripts.synthetic.benchmark_captions import CAPTION_REQUEST
from savenvideo.modeling.modeling_savenvideo import CLIP_INPUTS
from savenvideo.train.collator import SAVEnVideoCollator
from savenvideo.train.demo import DEMO_MODEL, DemoConfig
from savenvideo.train.tiny_checkpoint import build_tiny_checkpoint, build_tiny_model

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "perception_probe.json"
CACHE = HERE / "cache" / "learnability"  # the same benchmark as benchmarks/learnability.py
ATTRIBUTES = {
    "colour": lambda slot: slot.visual.colour.name,
    "form": lambda slot: slot.visual.form,
    "sound": lambda slot: slot.sound.label,
}
VARIANTS = {
    "avts": {},
    "avts_unanchored": {},  # the AVTS resampler with its time slopes zeroed and frozen
    "no_tlp": {"use_time": False},
    "mlp": {"projector_type": "mlp"},
}


def clip_media(benchmark, config) -> dict[str, dict[str, torch.Tensor]]:
    """Every clip's processed media (one row each), decoded once with the demo's processor."""
    from transformers import AutoProcessor

    with tempfile.TemporaryDirectory() as folder:
        build_tiny_checkpoint(folder, num_frames=config.slots, **DEMO_MODEL)
        collator = SAVEnVideoCollator(AutoProcessor.from_pretrained(folder, trust_remote_code=True))
    media = {}
    for split in ("train", "test"):
        for record in benchmark.splits[split]:
            if record.video_id in media:
                continue
            path = str(benchmark.clip_path(record))
            messages = [{"role": "user", "content": CAPTION_REQUEST}, {"role": "assistant", "content": "-"}]
            batch = collator([{"id": record.video_id, "media": path, "modality": "video", "messages": messages}])
            media[record.video_id] = {key: batch[key] for key in CLIP_INPUTS}
    return media


def slot_labels(plans, classes: dict[str, list[str]]) -> dict[str, torch.Tensor]:
    """`{video_id: [shots, attributes]}` class indices."""
    return {
        plan.video_id: torch.tensor(
            [[classes[name].index(read(slot)) for name, read in ATTRIBUTES.items()] for slot in plan.slots]
        )
        for plan in plans
    }


def build_variant(name: str, num_frames: int):
    model = build_tiny_model(0, num_frames=num_frames, **{**DEMO_MODEL, **VARIANTS[name]})
    if name == "avts_unanchored":
        torch.nn.init.zeros_(model.model.resampler.time_slopes)
        model.model.resampler.time_slopes.requires_grad_(False)
    return model.train()


def probe(name: str, media, labels, classes, train_ids, test_ids, args, num_frames: int) -> list[dict]:
    model = build_variant(name, num_frames)
    config = model.config
    tokens = config.num_video_tokens + config.num_audio_tokens
    sizes = [len(values) for values in classes.values()]
    head = torch.nn.Linear(tokens * config.text_config.hidden_size, num_frames * sum(sizes))
    media_path = [p for n, p in model.model.named_parameters() if not n.startswith("language_model.")]
    optimizer = torch.optim.AdamW([*media_path, *head.parameters()], lr=args.learning_rate, weight_decay=0.0)

    def forward(ids: list[str]) -> tuple[torch.Tensor, list[torch.Tensor]]:
        batch = {key: torch.cat([media[i][key] for i in ids]) for key in CLIP_INPUTS}
        visual, audio = model.model.get_media_embeddings(**batch)
        fused = visual if audio is None else torch.cat([visual, audio], 1)
        logits = head(fused.flatten(1)).view(len(ids), num_frames, -1).split(sizes, -1)
        target = torch.stack([labels[i] for i in ids])
        loss = sum(F.cross_entropy(part.flatten(0, 1), target[..., k].flatten()) for k, part in enumerate(logits))
        return loss, [(part.argmax(-1) == target[..., k]).float().mean() for k, part in enumerate(logits)]

    rng, history, start = random.Random(args.seed), [], time.perf_counter()
    for step in range(1, args.steps + 1):
        loss, _ = forward(rng.sample(train_ids, args.batch_size))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if step % args.eval_every == 0 or step == args.steps:
            with torch.no_grad():
                _, right = forward(test_ids)
            row = {"step": step, "seconds": round(time.perf_counter() - start, 1)}
            row.update({attribute: round(float(r), 3) for attribute, r in zip(ATTRIBUTES, right)})
            history.append(row)
            print(name, " ".join(f"{key}={value}" for key, value in row.items()), flush=True)
    return history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    config = DemoConfig().benchmark
    benchmark = build_benchmark(CACHE / f"benchmark-{config.fingerprint()}", config, progress=False)
    plans = plan_benchmark(config)
    splits = dict(zip((plan.video_id for plan in plans), split_of_videos(config)))
    start = time.perf_counter()
    media = clip_media(benchmark, config)
    processing = round(time.perf_counter() - start, 1)
    classes = {
        name: sorted({read(slot) for plan in plans for slot in plan.slots}) for name, read in ATTRIBUTES.items()
    }
    labels = slot_labels(plans, classes)
    train_ids = sorted(i for i in media if splits[i] == "train")
    test_ids = sorted(i for i in media if splits[i] == "test")
    prior = {}
    for name, read in ATTRIBUTES.items():
        common = Counter(read(slot) for plan in plans if splits[plan.video_id] == "train" for slot in plan.slots)
        label = common.most_common(1)[0][0]
        test_shots = [read(slot) for plan in plans if splits[plan.video_id] == "test" for slot in plan.slots]
        prior[name] = sum(shot == label for shot in test_shots) / len(test_shots)

    runs = {
        name: probe(name, media, labels, classes, train_ids, test_ids, args, config.slots) for name in args.variants
    }
    print(
        f"\nheld-out shots ({len(test_ids)} clips), after {args.steps} steps: accuracy (x the most-common-label prior)"
    )
    print(f"{'variant':<18}" + "".join(f"{name:>16}" for name in ATTRIBUTES))
    print(f"{'prior':<18}" + "".join(f"{prior[name]:>16.3f}" for name in ATTRIBUTES))
    for name, history in runs.items():
        last = history[-1]
        cells = "".join(f"{last[a]:>9.3f} ({last[a] / prior[a]:>4.1f}x)" for a in ATTRIBUTES)
        print(f"{name:<18}{cells}")
    report = {
        "machine": {"platform": platform.platform(), "torch": torch.__version__, "threads": args.threads},
        "benchmark": dataclasses.asdict(config),
        "model": DEMO_MODEL,
        "arguments": {key: value for key, value in vars(args).items() if key != "out"},
        "processing_seconds": processing,
        "prior": prior,
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
