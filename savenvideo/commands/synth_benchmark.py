"""`savenvideo synth-benchmark OUT_DIR --videos N --seed S`: the synthetic audio-visual benchmark as a dataset folder."""

import argparse
import sys

NAME = "synth-benchmark"
HELP = (
    "Generate clips and multiple-choice questions that need sound, sight and time, as a dataset folder "
    "(train and test splits) that datasets.load_dataset reads."
)


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 64x64, got {text!r}") from None
    return width, height


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # Options left out keep BenchmarkConfig's defaults (10 s clips, 0.5 events/s, 2 questions of each kind per
    # clip, 20% test clips, 64x64 at 8 fps); that module is not imported here so that `--help` stays fast.
    parser.add_argument("out_dir", help="folder to write (reused if it holds the same benchmark, resumed if partial)")
    parser.add_argument("--videos", type=int, required=True, help="number of clips (train + test)")
    parser.add_argument("--seed", type=int, required=True, help="seed of everything: events, questions, letters")
    parser.add_argument("--seconds", type=float, help="clip length in seconds (default 10)")
    parser.add_argument("--density", type=float, help="events (shot + sound) per second (default 0.5)")
    parser.add_argument(
        "--distractor-similarity",
        type=float,
        help="share of clips whose events differ in one attribute only, 0 to 1 (default 0)",
    )
    parser.add_argument("--questions-per-kind", type=int, help="questions of each kind per clip (default 2)")
    parser.add_argument("--test-fraction", type=float, help="share of the clips in the test split (default 0.2)")
    parser.add_argument("--size", type=_size, help="frame size WxH (default 64x64)")
    parser.add_argument("--fps", type=int, help="frame rate (default 8)")


def run(args: argparse.Namespace) -> int:
    from savenvideo.dataset_scripts.synthetic import SyntheticClipError, TimelineError
    from savenvideo.dataset_scripts.synthetic.benchmark_builder import build_benchmark
    from savenvideo.dataset_scripts.synthetic.benchmark_config import BenchmarkConfig

    try:
        chosen = {
            "videos": args.videos,
            "seed": args.seed,
            "seconds": args.seconds,
            "density": args.density,
            "distractor_similarity": args.distractor_similarity,
            "questions_per_kind": args.questions_per_kind,
            "test_fraction": args.test_fraction,
            "width": args.size[0] if args.size else None,
            "height": args.size[1] if args.size else None,
            "fps": args.fps,
        }
        config = BenchmarkConfig(**{name: value for name, value in chosen.items() if value is not None})
        benchmark = build_benchmark(args.out_dir, config)
    except (SyntheticClipError, TimelineError) as error:
        print(f"savenvideo {NAME}: error: {error}", file=sys.stderr)
        return 2
    counts = ", ".join(f"{len(records)} {split}" for split, records in benchmark.splits.items())
    print(f"{benchmark.root}: {config.videos} clips, questions: {counts}")
    return 0
