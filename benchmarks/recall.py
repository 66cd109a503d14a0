"""Can the demo's tiny LLM learn a lookup at all, and how fast? Associative recall with its exact text config.

Every synthetic-benchmark question is a lookup: find the shot whose sound the question names, read its picture.
The demo stays at chance (README), and a text-only version of the benchmark (captions in the prompt instead of
media) stays at chance too, so the wall is the language model, not perception. This benchmark isolates it:
sequences of ``pairs`` random (key, value) tokens, a separator, a query key, then ``gap`` fixed filler tokens
(the chat template puts ``<|im_end|>\\n<|im_start|>assistant\\n`` between a question and its answer), and the
query's value as the only label. Chance is 1/pairs for a model that has learnt to answer with some value of the
sequence. Each setting is trained from each seed, with AdamW, batch 32, linear warm-up and a constant rate: the
accuracy sits near chance for thousands of steps and then jumps, at a step that varies with the seed.

    python benchmarks/recall.py [--steps 4000] [--out benchmarks/results/recall.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

from savenvideo.train.tiny_checkpoint import TINY_TEXT

RESULTS = Path(__file__).parent / "results" / "recall.json"
KEYS = VALUES = 20
SEPARATOR = KEYS + VALUES
FILLER = SEPARATOR + 1
VOCAB = 64
LEARNED = 0.9
"""Accuracy at which a setting counts as having learnt the lookup."""


@dataclass(frozen=True)
class Setting:
    learning_rate: float
    gap: int
    pairs: int = 5
    batch_size: int = 32


def recall_batch(setting: Setting, size: int, generator: torch.Generator) -> torch.Tensor:
    """``size`` sequences: k1 v1 ... kP vP SEP kq FILLER*gap vq (keys distinct, values drawn with repeats)."""
    keys = torch.rand(size, KEYS, generator=generator).argsort(-1)[:, : setting.pairs]
    values = KEYS + torch.randint(VALUES, (size, setting.pairs), generator=generator)
    asked = torch.randint(setting.pairs, (size, 1), generator=generator)
    tail = [
        torch.full((size, 1), SEPARATOR),
        keys.gather(1, asked),
        torch.full((size, setting.gap), FILLER),
        values.gather(1, asked),
    ]
    return torch.cat([torch.stack([keys, values], -1).flatten(1), *tail], 1)


def tiny_llm(seed: int) -> Qwen2ForCausalLM:
    """The demo's LLM shape (train/tiny_checkpoint.py) over this task's small vocabulary."""
    torch.manual_seed(seed)
    return Qwen2ForCausalLM(Qwen2Config(**{**TINY_TEXT, "vocab_size": VOCAB}))


def accuracy(model, setting: Setting, generator: torch.Generator, size: int = 1024) -> float:
    sequences = recall_batch(setting, size, generator)
    with torch.no_grad():
        predicted = model(input_ids=sequences[:, :-1]).logits[:, -1].argmax(-1)
    return float((predicted == sequences[:, -1]).float().mean())


def train(setting: Setting, steps: int, eval_every: int, seed: int = 0) -> dict:
    model = tiny_llm(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=setting.learning_rate, weight_decay=0.0)
    warmup = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 50))
    data, held_out = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed + 1)
    curve, learned_at, start = [], None, time.perf_counter()
    for step in range(1, steps + 1):
        sequences = recall_batch(setting, setting.batch_size, data)
        labels = torch.full_like(sequences, -100)
        labels[:, -1] = sequences[:, -1]
        model(input_ids=sequences, labels=labels).loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        warmup.step()
        optimizer.zero_grad()
        if step % eval_every == 0:
            model.eval()
            curve.append((step, round(accuracy(model, setting, held_out), 3)))
            model.train()
            if learned_at is None and curve[-1][1] >= LEARNED:
                learned_at = step
    return {
        **asdict(setting),
        "seed": seed,
        "chance": round(1 / setting.pairs, 3),
        "final_accuracy": curve[-1][1],
        "learned_at_step": learned_at,
        "curve": curve,
        "seconds": round(time.perf_counter() - start, 1),
    }


def format_table(runs: list[dict], steps: int) -> str:
    lines = [
        f"{'lr':>8} {'gap':>4} {'seed':>5} {'accuracy':>9} {'x chance':>9} {f'steps to {LEARNED:.0%}':>13} {'seconds':>8}",
    ]
    for run in runs:
        learned = run["learned_at_step"] or f">{steps}"
        ratio = run["final_accuracy"] / run["chance"]
        lines.append(
            f"{run['learning_rate']:>8.0e} {run['gap']:>4} {run['seed']:>5} {run['final_accuracy']:>9.1%} {ratio:>9.2f} "
            f"{learned:>13} {run['seconds']:>8.0f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--learning-rates", type=float, nargs="+", default=[3e-4, 1e-3])
    parser.add_argument("--gaps", type=int, nargs="+", default=[0, 5])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="the step of the jump varies with it")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    runs = []
    for learning_rate, gap, seed in itertools.product(args.learning_rates, args.gaps, args.seeds):
        runs.append(train(Setting(learning_rate, gap), args.steps, args.eval_every, seed))
        print(format_table(runs[-1:], args.steps).splitlines()[-1], flush=True)
    print(format_table(runs, args.steps))
    results = {"steps": args.steps, "text_config": TINY_TEXT, "keys": KEYS, "values": VALUES, "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
