"""`savenvideo synth-clip`: write a synthetic audio-visual clip and its ground-truth event list."""

import argparse
import sys

NAME = "synth-clip"
HELP = "Write a synthetic clip with known visual and audio events, plus OUT.events.json (the ground truth)."
PROGRESS_MIN_SECONDS = 30.0


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 160x90, got {text!r}") from None
    return width, height


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", help="output file; its extension (.mp4, .mkv, .webm) picks the container")
    parser.add_argument("--seconds", type=float, required=True, help="clip length in seconds")
    parser.add_argument("--seed", type=int, required=True, help="seed of the random timeline")
    parser.add_argument("--codec", choices=["h264", "vp9", "av1"], help="video codec (default: the container's)")
    parser.add_argument("--no-audio", action="store_true", help="write no audio stream")
    parser.add_argument("--vfr", action="store_true", help="variable frame rate (frame durations 1 and 3 ticks)")
    parser.add_argument("--size", type=_size, default=(160, 90), help="frame size WxH (default 160x90)")
    parser.add_argument("--fps", type=int, default=30, help="frame rate, or tick rate with --vfr (default 30)")


def run(args: argparse.Namespace) -> int:
    from savenvideo.dataset_scripts.synthetic import (
        ClipOptions,
        SyntheticClipError,
        TimelineError,
        random_timeline,
        sidecar_path,
        write_clip,
    )

    options = ClipOptions(codec=args.codec, audio=not args.no_audio, vfr=args.vfr, size=args.size, fps=args.fps)
    try:
        timeline = random_timeline(args.seconds, args.seed)
        info = write_clip(args.out, timeline, options, progress=args.seconds >= PROGRESS_MIN_SECONDS)
    except (SyntheticClipError, TimelineError) as error:
        print(f"savenvideo {NAME}: error: {error}", file=sys.stderr)
        return 2
    audio = info.audio_codec or "no audio"
    print(
        f"{info.path}: {info.container} {info.video_codec}/{audio}, {info.width}x{info.height}, "
        f"{info.frame_count} frames, {info.duration:g} s, {len(timeline.visuals)} shots, "
        f"{len(info.timeline.sounds)} sounds -> {sidecar_path(info.path)}"
    )
    return 0
