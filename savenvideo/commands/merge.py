"""`savenvideo merge`: a LoRA training result -> one merged, Hub-ready checkpoint."""

NAME = "merge"
HELP = "Merge a LoRA adapter (with its resampler/TLP weights) into its base model and save a Hub-ready checkpoint."


def add_arguments(parser):
    parser.add_argument("--base", required=True, help="the checkpoint the adapter was trained on")
    parser.add_argument("--adapter", required=True, help="the adapter folder written by train/sft.py")
    parser.add_argument("--out", required=True, help="where to write the merged checkpoint")


def run(args) -> int:
    from savenvideo.train.merge import merge_adapter

    print(merge_adapter(args.base, args.adapter, args.out))
    return 0
