"""`savenvideo demo [--out DIR]`: generate the synthetic benchmark, train a tiny SAVEnVideo on it, score it."""

from pathlib import Path

NAME = "demo"
HELP = (
    "Offline end-to-end demo on a CPU: synthetic audio-visual benchmark, tiny SAVEnVideo trained with the real "
    "trainer, scored with the AVBench metric; writes DIR/results.json and a Hub-ready DIR/checkpoint."
)


def add_arguments(parser):
    parser.add_argument("--out", type=Path, default=Path("outputs/demo"), help="output folder (reused when rerun)")
    parser.add_argument("--videos", type=int, default=None, help="clips to generate (default 600)")
    parser.add_argument("--steps", type=int, default=None, help="training steps (default: the tiny_demo recipe's)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the benchmark and the model (default 0)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default 1)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args) -> int:
    import dataclasses

    from savenvideo.train.demo import DemoConfig, DemoError, run_demo

    config = DemoConfig(out=args.out, progress=not args.no_progress)
    benchmark = {"videos": args.videos, "seed": args.seed}
    benchmark = dataclasses.replace(config.benchmark, **{k: v for k, v in benchmark.items() if v is not None})
    changes = {"benchmark": benchmark, "max_steps": args.steps, "threads": args.threads}
    config = dataclasses.replace(config, **{k: v for k, v in changes.items() if v is not None})
    try:
        run_demo(config)
    except DemoError as error:
        print(f"savenvideo demo: error: {error}")
        return 2
    return 0
