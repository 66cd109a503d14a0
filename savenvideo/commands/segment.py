"""`savenvideo segment VIDEO`: split a video into clips at shot cuts and print them as JSON."""

from __future__ import annotations

import argparse

NAME = "segment"
HELP = "split a video into shots (at least 50 frames each, at most 20) and print the clips as JSON"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", help="any video file FFmpeg can decode")
    parser.add_argument(
        "--backend",
        choices=("autoshot", "transnetv2", "scenedetect"),
        default="autoshot",
        help="cut detector: autoshot (the paper's; needs --checkpoint), transnetv2 or scenedetect (default: autoshot)",
    )
    parser.add_argument("--checkpoint", help="AutoShot checkpoint file from its authors (ckpt_0_200_0.pth)")
    parser.add_argument(
        "--trust-checkpoint",
        action="store_true",
        help="allow the checkpoint to unpickle objects other than tensors (runs code from the file)",
    )
    parser.add_argument("--threshold", type=float, help="cut score threshold (default: the backend's own)")
    parser.add_argument("--min-frames", type=int, default=50, help="shortest clip in frames (default: 50)")
    parser.add_argument("--max-clips", type=int, default=20, help="most clips per video (default: 20)")
    parser.add_argument("--scores", metavar="OUT.npy", help="also save the per-frame cut scores (float32) here")


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    import numpy as np

    from savenvideo.dataset_scripts.shot_segmentation import ClipRules, make_detector, segment_video
    from savenvideo.dataset_scripts.shots_errors import ShotSegmentationError

    try:
        detector = make_detector(args.backend, args.checkpoint, args.trust_checkpoint)
        result = segment_video(args.video, detector, args.threshold, ClipRules(args.min_frames, args.max_clips))
    except (ShotSegmentationError, ValueError, ImportError) as error:
        print(f"savenvideo segment: error: {error}", file=sys.stderr)
        return 2
    if args.scores:
        np.save(args.scores, result.scores.probabilities)
    print(json.dumps(result.to_json(), indent=2))
    return 0
