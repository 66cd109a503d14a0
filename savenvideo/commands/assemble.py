"""`savenvideo assemble`: an untrained SAVEnVideo from SigLIP, BEATs and Qwen2 checkpoints."""

import sys
from pathlib import Path

NAME = "assemble"
HELP = "Build an untrained SAVEnVideo (fresh TLP and AVTS resampler) from SigLIP, BEATs and Qwen2 checkpoints."


def add_arguments(parser):
    parser.add_argument("--vision", required=True, help="SigLIP checkpoint id or folder (SiglipModel or vision-only)")
    parser.add_argument("--audio", required=True, type=Path, help="official BEATs checkpoint (.pt)")
    parser.add_argument("--text", required=True, help="Qwen2 causal LM id or folder (with its tokenizer)")
    parser.add_argument("--out", required=True, type=Path, help="folder to write (created if missing)")
    parser.add_argument("--dtype", default="bfloat16", choices=("bfloat16", "float16", "float32"))
    parser.add_argument("--num-queries", type=int, help="AVTS queries = LLM tokens per video (default: config's)")
    parser.add_argument("--projector-type", choices=("avts", "mlp"), help="AVTS resampler or the MLP ablation")
    parser.add_argument("--no-audio", action="store_true", help="ablation: no audio tower")
    parser.add_argument("--no-time", action="store_true", help="ablation: no TLP")


def run(args) -> int:
    from savenvideo.modeling.modeling_beats import BeatsCheckpointError
    from savenvideo.train.assemble import assemble

    overrides = {"num_queries": args.num_queries, "projector_type": args.projector_type}
    overrides = {key: value for key, value in overrides.items() if value is not None}
    if args.no_audio:
        overrides["use_audio"] = False
    if args.no_time:
        overrides["use_time"] = False
    try:
        output_dir = assemble(args.vision, args.audio, args.text, args.out, dtype=args.dtype, **overrides)
    except (OSError, ValueError, BeatsCheckpointError) as err:
        print(f"assemble: {err}", file=sys.stderr)
        return 1
    print(output_dir)
    return 0
