"""`savenvideo convert-beats CKPT OUT_DIR`: a released BEATs checkpoint to a Hugging Face folder."""

import sys
from pathlib import Path

NAME = "convert-beats"
HELP = "Convert an official BEATs .pt checkpoint into a folder loadable with AutoModel (trust_remote_code=True)."


def add_arguments(parser):
    parser.add_argument("checkpoint", type=Path, help="official BEATs checkpoint (.pt with 'cfg' and 'model')")
    parser.add_argument("output_dir", type=Path, help="folder to write (created if missing)")
    parser.add_argument(
        "--classifier",
        action="store_true",
        help="keep the fine-tuned AudioSet head (BeatsForAudioClassification); needs a fine-tuned checkpoint",
    )


def run(args) -> int:
    from savenvideo.modeling.modeling_beats import BeatsCheckpointError
    from savenvideo.train.convert_beats import convert_beats_checkpoint

    try:
        output_dir = convert_beats_checkpoint(args.checkpoint, args.output_dir, classifier=args.classifier)
    except (FileNotFoundError, BeatsCheckpointError) as err:
        print(f"convert-beats: {err}", file=sys.stderr)
        return 1
    print(output_dir)
    return 0
