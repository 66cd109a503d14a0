"""Benchmark: the paper's ablation (Table 4) in miniature, on the synthetic audio-visual benchmark.

Trains the tiny demo model four times on the same benchmark with the same seeds and recipe (`savenvideo demo`'s):
the full model; without audio (no audio tower: the model never hears); with the MLP projector instead of the AVTS
resampler; without the TLP (no time inputs). Reports multiple-choice accuracy by question kind (likelihood scoring,
as the demo) and per-shot description accuracy on the test clips (picture / sound / time range), each beside the
full model's as a ratio. Prints a table and writes benchmarks/results/ablation.json; runs are kept (and reused)
under benchmarks/cache/ablation/.

    python benchmarks/ablation.py [--videos 600] [--steps N] [--threads 2] [--variants full no_audio ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import time
from pathlib import Path

import torch

from savenvideo.train.demo import DEMO_MODEL, DemoConfig, run_demo

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "ablation.json"
CACHE = HERE / "cache" / "ablation"
VARIANTS = {
    "full": {},
    "no_audio": {"use_audio": False},
    "mlp_projector": {"projector_type": "mlp"},
    "no_tlp": {"use_time": False},
}
"""Model settings of each run, on top of the demo's (train/demo.py DEMO_MODEL)."""
SHOT_PARTS = ("visual", "sound", "time", "all")


def run_variant(name: str, base: DemoConfig) -> dict:
    config = dataclasses.replace(base, out=CACHE / name, model={**DEMO_MODEL, **VARIANTS[name]})
    start = time.perf_counter()
    results = run_demo(config, log=lambda line: None)
    return {"results": results, "seconds": round(time.perf_counter() - start, 1)}


def summarize(runs: dict[str, dict]) -> dict[str, dict]:
    """Per variant: accuracy overall and per question kind, per-shot description accuracy, and ratios to full."""
    table = {}
    for name, run in runs.items():
        metrics = run["results"]["metrics"]
        row = {"accuracy": metrics["accuracy"]}
        row.update({kind: group["accuracy"] for kind, group in metrics["per_question_type"].items()})
        row.update({f"shots_{part}": run["results"]["captions"]["full"][part] for part in SHOT_PARTS})
        table[name] = row
    if "full" in table:
        for row in table.values():
            row["ratio_to_full"] = {
                key: (row[key] / table["full"][key] if table["full"][key] else None)
                for key in table["full"]
                if key != "ratio_to_full"
            }
    return table


def format_table(table: dict[str, dict]) -> str:
    keys = [key for key in next(iter(table.values())) if key != "ratio_to_full"]
    width = max(map(len, keys))
    lines = [f"{'':<{width}}  " + "  ".join(f"{name:>22}" for name in table)]
    for key in keys:
        cells = []
        for row in table.values():
            ratio = row.get("ratio_to_full", {}).get(key)
            cells.append(f"{100 * row[key]:>8.1f}%" + (f" ({ratio:5.2f}x full)" if ratio is not None else " " * 14))
        lines.append(f"{key:<{width}}  " + "  ".join(f"{cell:>22}" for cell in cells))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=None, help="clips in the benchmark (default: the demo's)")
    parser.add_argument("--steps", type=int, default=None, help="training steps (default: the demo recipe's)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args()

    base = DemoConfig(benchmark_root=CACHE, evaluations=("full",), threads=args.threads, progress=False)
    if args.videos:
        base = dataclasses.replace(base, benchmark=dataclasses.replace(base.benchmark, videos=args.videos))
    if args.steps:
        base = dataclasses.replace(base, max_steps=args.steps)
    runs = {}
    for name in args.variants:
        print(f"== {name}", flush=True)
        runs[name] = run_variant(name, base)
    table = summarize(runs)
    print(format_table(table))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "machine": {"platform": platform.platform(), "torch": torch.__version__, "threads": args.threads},
        "settings": base.to_dict(),
        "variants": VARIANTS,
        "seconds": {name: run["seconds"] for name, run in runs.items()},
        "table": table,
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
