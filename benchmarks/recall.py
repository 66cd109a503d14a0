"""Can the demo's tiny LLM learn a lookup at all, and how fast? Associative recall with its exact text config.

Every synthetic-benchmark question is a lookup: find the shot whose sound the question names, read its picture.
This benchmark isolates the lookup: sequences of ``pairs`` random (key, value) tokens, a separator, then
``queries`` questions, each a key, ``gap`` fixed filler tokens (the chat template puts
``<|im_end|>\\n<|im_start|>assistant\\n`` between a question and its answer) and that key's value, the only
labels. Chance is 1/pairs for a model that has learnt to answer with some value of the sequence.

Two things decide whether the lookup is learnt in a CPU budget, and both are settings here:
- the initial weight scale: Qwen2's ``initializer_range`` of 0.02 (every linear layer and the embeddings) is made
  for widths in the thousands; at width 64 it leaves attention uniform and its gradients tiny, and the tiny LLM sits
  at chance for thousands of steps. PyTorch's own default scale (linear layers ~ (3 fan_in)^-1/2, unit-variance
  embeddings; ``--init torch``) is the other setting measured;
- how many answers each sequence teaches (``queries``): one label per sequence, as a question with its answer
  gives, against several (multi-query associative recall).

Each setting is trained from each seed, with AdamW, batch 32, linear warm-up and a constant rate; the accuracy
sits near chance, then jumps at a step that varies with the seed.

    python benchmarks/recall.py [--steps 3000] [--init hf torch] [--queries 1 8] [--out benchmarks/results/recall.json]
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

from savenvideo.train.tiny_checkpoint import EMBED_STD, TINY_INIT, TINY_TEXT

RESULTS = Path(__file__).parent / "results" / "recall.json"
KEYS = VALUES = 20
SEPARATOR = KEYS + VALUES
FILLER = SEPARATOR + 1
VOCAB = 64
LEARNED = 0.9
"""Accuracy at which a setting counts as having learnt the lookup."""
INITS = {"hf": (0.02, 0.02), "torch": (TINY_INIT, EMBED_STD)}
"""Initial scales, (linear layers, embeddings): Qwen2's defaults, and PyTorch's that the tiny checkpoint uses."""


@dataclass(frozen=True)
class Setting:
    learning_rate: float
    gap: int
    pairs: int = 5
    queries: int = 1
    init: str = "hf"
    batch_size: int = 32


def recall_batch(setting: Setting, size: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``size`` sequences ``k1 v1 ... kP vP SEP (kq FILLER*gap vq)*queries`` (keys distinct, values drawn with
    repeats) and their labels: the asked values, -100 elsewhere."""
    keys = torch.rand(size, KEYS, generator=generator).argsort(-1)[:, : setting.pairs]
    values = KEYS + torch.randint(VALUES, (size, setting.pairs), generator=generator)
    asked = torch.randint(setting.pairs, (size, setting.queries), generator=generator)
    question = [keys.gather(1, asked)[..., None], torch.full((size, setting.queries, setting.gap), FILLER)]
    answer = values.gather(1, asked)[..., None]
    context = torch.cat([torch.stack([keys, values], -1).flatten(1), torch.full((size, 1), SEPARATOR)], 1)
    sequences = torch.cat([context, torch.cat([*question, answer], -1).flatten(1)], 1)
    labels = torch.cat(
        [
            torch.full_like(context, -100),
            torch.cat([torch.full_like(torch.cat(question, -1), -100), answer], -1).flatten(1),
        ],
        1,
    )
    return sequences, labels


def tiny_llm(seed: int, init: str = "hf") -> Qwen2ForCausalLM:
    """The demo's LLM shape (train/tiny_checkpoint.py) over this task's small vocabulary, at the ``init`` scale."""
    linear, embedding = INITS[init]
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(Qwen2Config(**{**TINY_TEXT, "vocab_size": VOCAB, "initializer_range": linear}))
    torch.nn.init.normal_(model.get_input_embeddings().weight, 0.0, embedding)
    return model


def accuracy(model, setting: Setting, generator: torch.Generator, size: int = 1024) -> float:
    """Share of the asked values predicted right (greedy, teacher-forced), over held-out sequences."""
    sequences, labels = recall_batch(setting, size, generator)
    with torch.no_grad():
        predicted = model(input_ids=sequences[:, :-1]).logits.argmax(-1)
    asked = labels[:, 1:] != -100
    return float((predicted[asked] == labels[:, 1:][asked]).float().mean())


def train(setting: Setting, steps: int, eval_every: int, seed: int = 0) -> dict:
    model = tiny_llm(seed, setting.init)
    optimizer = torch.optim.AdamW(model.parameters(), lr=setting.learning_rate, weight_decay=0.0)
    warmup = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 50))
    data, held_out = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed + 1)
    curve, learned_at, start = [], None, time.perf_counter()
    for step in range(1, steps + 1):
        sequences, labels = recall_batch(setting, setting.batch_size, data)
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
        f"{'init':>5} {'queries':>7} {'lr':>8} {'gap':>4} {'seed':>5} {'accuracy':>9} {'x chance':>9} "
        f"{f'steps to {LEARNED:.0%}':>13} {'seconds':>8}",
    ]
    for run in runs:
        learned = run["learned_at_step"] or f">{steps}"
        ratio = run["final_accuracy"] / run["chance"]
        lines.append(
            f"{run['init']:>5} {run['queries']:>7} {run['learning_rate']:>8.0e} {run['gap']:>4} {run['seed']:>5} "
            f"{run['final_accuracy']:>9.1%} {ratio:>9.2f} {learned:>13} {run['seconds']:>8.0f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--init", nargs="+", choices=sorted(INITS), default=["hf", "torch"])
    parser.add_argument("--queries", type=int, nargs="+", default=[1, 8], help="answers taught per sequence")
    parser.add_argument("--learning-rates", type=float, nargs="+", default=[1e-3])
    parser.add_argument("--gaps", type=int, nargs="+", default=[0, 5])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="the step of the jump varies with it")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    runs = []
    grid = itertools.product(args.init, args.queries, args.learning_rates, args.gaps, args.seeds)
    for init, queries, learning_rate, gap, seed in grid:
        setting = Setting(learning_rate, gap, queries=queries, init=init)
        runs.append(train(setting, args.steps, args.eval_every, seed))
        print(format_table(runs[-1:], args.steps).splitlines()[-1], flush=True)
    print(format_table(runs, args.steps))
    results = {
        "steps": args.steps,
        "text_config": TINY_TEXT,
        "inits": {name: {"linear": linear, "embedding": embedding} for name, (linear, embedding) in INITS.items()},
        "keys": KEYS,
        "values": VALUES,
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
