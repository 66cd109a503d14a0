"""`savenvideo tiny-checkpoint OUT_DIR`: a tiny random-weight SAVEnVideo folder for tests and demos."""

from pathlib import Path

NAME = "tiny-checkpoint"
HELP = "Write a tiny random-weight SAVEnVideo (model, processor, remote code) that loads offline in a second."


def add_arguments(parser):
    parser.add_argument("output_dir", type=Path, help="folder to write (created if missing)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    parser.add_argument(
        "--projector-type", choices=("avts", "mlp"), default="avts", help="AVTS resampler or the MLP ablation"
    )
    parser.add_argument("--no-audio", action="store_true", help="ablation: no audio tower, audio inputs ignored")
    parser.add_argument("--no-time", action="store_true", help="ablation: no TLP, time inputs ignored")


def run(args) -> int:
    from savenvideo.train.tiny_checkpoint import build_tiny_checkpoint

    output_dir = build_tiny_checkpoint(
        args.output_dir,
        seed=args.seed,
        projector_type=args.projector_type,
        use_audio=not args.no_audio,
        use_time=not args.no_time,
    )
    print(output_dir)
    return 0
