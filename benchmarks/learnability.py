"""Does the tiny demo model learn to see and hear, and to answer? Measured in minutes instead of a 10-minute demo.

`savenvideo demo` stays at chance (README), and each demo run costs 6-7 minutes, too slow to search for what
stops it. This benchmark keeps the demo's benchmark, tiny model and processor but processes every training and
test sample once, then trains the model with a plain AdamW loop over those cached batches (3-4x faster per step
than the trainer, which runs the processor on every visit). At each evaluation it reports:

- ``caption_words``: teacher-forced accuracy on the label words (colours, shapes, sounds) of the test clips'
  timed captions: perception.
- accuracy per question kind on the test split, by likelihood of each option's text (the demo's scoring).

The last evaluation is printed beside its baselines as a ratio: chance (0.25) for the questions, and for the
captions a media-blind describer (the label word most often following the previous token in training).

``--restate-steps N`` trains the first N steps on answers that name the question's cue before the option
("the buzz: red square"), a curriculum for the lookup (see benchmarks/recall.py); later steps answer directly.

    python benchmarks/learnability.py [--steps 800] [--question-weight 3] [--model '{"projector_type": "mlp"}']
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

import torch
from torch.nn import functional as F

from savenvideo.dataset_scripts.eval_models import best_choice
from savenvideo.dataset_scripts.eval_prompt import answer_choices, question_prompt
from savenvideo.dataset_scripts.synthetic.benchmark_builder import build_benchmark, plan_benchmark
from savenvideo.dataset_scripts.synthetic.benchmark_captions import CAPTION_REQUEST, describe_clip
from savenvideo.dataset_scripts.synthetic.benchmark_media_cache import remembered_media
from savenvideo.dataset_scripts.synthetic.benchmark_plan import clip_rng
from savenvideo.dataset_scripts.synthetic.benchmark_questions import ask_questions, format_time
from savenvideo.modeling.modeling_savenvideo import CLIP_INPUTS
from savenvideo.train.collator import IGNORE_INDEX, SAVEnVideoCollator
from savenvideo.train.demo import DEMO_MODEL, DemoConfig

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "learnability.json"
CACHE = HERE / "cache" / "learnability"


def cue(question) -> str:
    """What the question asks about, as a restated answer names it first."""
    if question.kind == "no_timestamp":
        return f"the {question.sound}"
    if question.kind == "timestamp_in_question":
        return f"the {question.visual} near {format_time(question.time)}"
    return f"the {question.sound} over the {question.visual}"


def sample(media: Path, prompt: str, answer: str) -> dict:
    """One row of train/data.py's schema."""
    messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]
    return {"id": media.stem, "media": str(media), "modality": "video", "messages": messages}


class SharedMedia:
    """One copy of each clip's media tensors for all of its samples. A sample's media are ~0.5 MB (five fbank
    windows, five frames) and the demo's benchmark makes ~9,100 rows (questions, their options, captions): a copy
    each held ~4.6 GB; shared, a whole run peaks at 3.0 GB RSS, the imports included."""

    def __init__(self, collator):
        self.collator = collator
        self.clips: dict[str, dict[str, torch.Tensor]] = {}

    def __call__(self, samples: list[dict]) -> dict:
        batch = self.collator(samples)
        clip = self.clips.setdefault(samples[0]["media"], {key: batch[key][:1].clone() for key in CLIP_INPUTS})
        rows = batch["input_ids"].shape[0]
        return {**batch, **{key: value.expand(rows, *value.shape[1:]) for key, value in clip.items()}}


def process_all(benchmark, config, collator) -> dict[str, list]:
    """Every sample the loop needs, processed once: questions (direct and restated), captions, test options."""
    processor, collator = collator.processor, SharedMedia(collator)
    plans = plan_benchmark(config)
    by_id = {plan.video_id: (index, plan) for index, plan in enumerate(plans)}
    asked = {}  # video id -> its questions with their structured queries, asked once per clip
    parts = {"direct": [], "restated": [], "captions": [], "test_options": [], "test_captions": []}
    with remembered_media(processor):
        for split in ("train", "test"):
            clips = {}  # video id -> its file, in the order the split lists them
            for record in benchmark.splits[split]:
                if record.video_id not in asked:
                    index, plan = by_id[record.video_id]
                    rng = clip_rng(config, index, "questions")
                    asked[record.video_id] = ask_questions(plan, config.questions_per_kind, rng)
                question = asked[record.video_id][int(record.question_id.rsplit("-q", 1)[1])]
                media = clips.setdefault(record.video_id, benchmark.clip_path(record))
                prompt = question_prompt(record.question, record.options, "option")
                if split == "train":
                    parts["direct"].append(collator([sample(media, prompt, question.answer)]))
                    restated = f"{cue(question)}: {question.answer}"
                    parts["restated"].append(collator([sample(media, prompt, restated)]))
                else:
                    choices = answer_choices(record.options, "option")
                    batch = collator([sample(media, prompt, choice) for choice in choices])
                    parts["test_options"].append((batch, record.answer, record.question_type))
            for video_id, media in sorted(clips.items()):
                caption = collator([sample(media, CAPTION_REQUEST, describe_clip(by_id[video_id][1]))])
                parts["captions" if split == "train" else "test_captions"].append(caption)
    words = {
        word
        for plan in plans
        for slot in plan.slots
        for word in (*slot.sound.label.split(), *slot.visual.label.split())
    }
    tokenizer = processor.tokenizer
    parts["label_ids"] = sorted({i for word in words for i in tokenizer.encode(f" {word}", add_special_tokens=False)})
    return parts


def stack(samples: list[dict]) -> dict[str, torch.Tensor]:
    """Cached one-sample batches as one right-padded batch."""
    pads = {"input_ids": 0, "attention_mask": 0, "labels": IGNORE_INDEX, "query_times": 0, "query_time_mask": 0}
    batch = {}
    for key in samples[0]:
        if key == "dropped_samples":
            continue
        if key in pads:
            width = max(item[key].shape[1] for item in samples)
            batch[key] = torch.cat(
                [F.pad(item[key], (0, width - item[key].shape[1]), value=pads[key]) for item in samples]
            )
        else:
            batch[key] = torch.cat([item[key] for item in samples])
    return batch


def answer_scores(model, batch: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Summed log-probability of each row's labels, and the next-token logits with their targets."""
    inputs = {key: value for key, value in batch.items() if key != "labels"}
    logits = model(**inputs).logits[:, :-1].float()
    targets = batch["labels"][:, 1:]
    mask = targets != IGNORE_INDEX
    log_probs = torch.log_softmax(logits, -1).gather(-1, targets.clamp(min=0)[..., None])[..., 0]
    return (log_probs * mask).sum(-1), logits, targets


@torch.no_grad()
def evaluate(model, parts: dict) -> dict[str, float]:
    model.eval()
    hits: dict[str, list[bool]] = {}
    options = parts["test_options"]
    for start in range(0, len(options), 8):
        chunk = options[start : start + 8]
        scores = answer_scores(model, stack([batch for batch, _, _ in chunk]))[0].view(len(chunk), -1)
        for (_, answer, kind), row in zip(chunk, scores):
            hits.setdefault(kind, []).append(best_choice(row.tolist()) == answer)
    label_ids = torch.tensor(parts["label_ids"])
    right = total = 0
    for start in range(0, len(parts["test_captions"]), 16):
        _, logits, targets = answer_scores(model, stack(parts["test_captions"][start : start + 16]))
        words = torch.isin(targets, label_ids)
        right += int(((logits.argmax(-1) == targets) & words).sum())
        total += int(words.sum())
    model.train()
    result = {kind: sum(kind_hits) / len(kind_hits) for kind, kind_hits in hits.items()}
    result["accuracy"] = sum(map(sum, hits.values())) / sum(map(len, hits.values()))
    result["caption_words"] = right / total
    return result


def blind_caption_prior(parts: dict) -> float:
    """Label-word accuracy of a describer that ignores the media: after each token it writes the label word that
    most often follows that token in the training captions. Labels are partly predictable from text alone (after
    "rising" comes "chirp"); a model that cannot see or hear learns at least this much."""
    label_ids = torch.tensor(parts["label_ids"])

    def pairs(caption: dict) -> list[tuple[int, int]]:
        labels = caption["labels"][0]
        keep = torch.isin(labels[1:], label_ids)
        return list(zip(labels[:-1][keep].tolist(), labels[1:][keep].tolist()))

    following: dict[int, Counter] = {}
    for caption in parts["captions"]:
        for previous, word in pairs(caption):
            following.setdefault(previous, Counter())[word] += 1
    guesses = {previous: counter.most_common(1)[0][0] for previous, counter in following.items()}
    hits = [guesses.get(previous) == word for caption in parts["test_captions"] for previous, word in pairs(caption)]
    return sum(hits) / len(hits)


def train(model, parts: dict, args) -> list[dict]:
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, weight_decay=0.0)
    warmup = 50
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, 1 - step / args.steps)
    )
    rng = random.Random(args.seed)
    caption_share = args.caption_weight / (args.caption_weight + args.question_weight)
    history, losses, start = [], [], time.perf_counter()
    model.train()
    for step in range(1, args.steps + 1):
        questions = parts["restated" if step <= args.restate_steps else "direct"]
        batch = stack(
            [
                rng.choice(parts["captions"] if rng.random() < caption_share else questions)
                for _ in range(args.batch_size)
            ]
        )
        loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        if step % args.eval_every == 0 or step == args.steps:
            row = {"step": step, "loss": sum(losses) / len(losses), "seconds": round(time.perf_counter() - start, 1)}
            row.update(evaluate(model, parts))
            losses = []
            history.append(row)
            print(
                " ".join(
                    f"{key}={value:.3f}" if isinstance(value, float) else f"{key}={value}"
                    for key, value in row.items()
                ),
                flush=True,
            )
    return history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--eval-every", type=int, default=200)
    parser.add_argument("--restate-steps", type=int, default=0)
    parser.add_argument("--caption-weight", type=float, default=1.0)
    parser.add_argument("--question-weight", type=float, default=3.0)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--model", type=json.loads, default={}, help="tiny-model settings on top of the demo's (JSON)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from transformers import AutoProcessor

    from savenvideo.modeling.modeling_savenvideo import SAVEnVideoForConditionalGeneration
    from savenvideo.train.tiny_checkpoint import build_tiny_checkpoint

    config = DemoConfig().benchmark
    benchmark = build_benchmark(CACHE / f"benchmark-{config.fingerprint()}", config, progress=False)
    settings = {**DEMO_MODEL, **args.model}
    with tempfile.TemporaryDirectory() as folder:
        build_tiny_checkpoint(folder, seed=args.seed, num_frames=config.slots, **settings)
        processor = AutoProcessor.from_pretrained(folder, trust_remote_code=True)
        model = SAVEnVideoForConditionalGeneration.from_pretrained(folder)
    start = time.perf_counter()
    parts = process_all(benchmark, config, SAVEnVideoCollator(processor))
    processing = round(time.perf_counter() - start, 1)
    print(f"processed every sample once in {processing} s", flush=True)
    torch.manual_seed(args.seed)
    history = train(model, parts, args)
    baselines = {"accuracy": 0.25, "caption_words": blind_caption_prior(parts)}
    last = history[-1]
    print(f"{'':<14}{'measured':>10}{'baseline':>10}{'ratio':>8}")
    for key, baseline in baselines.items():
        print(f"{key:<14}{last[key]:>10.3f}{baseline:>10.3f}{last[key] / baseline:>7.2f}x")
    report = {
        "machine": {"platform": platform.platform(), "torch": torch.__version__, "threads": args.threads},
        "model": settings,
        "arguments": {key: value for key, value in vars(args).items() if key not in ("out", "model")},
        "baselines": baselines,
        "ratio_to_baseline": {key: last[key] / baseline for key, baseline in baselines.items()},
        "processing_seconds": processing,
        "history": history,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
