"""`savenvideo convert-benchmark {videomme,music-avqa} SRC OUT_DIR`: another benchmark in the AVBench format."""

from __future__ import annotations

import argparse

NAME = "convert-benchmark"
HELP = "convert Video-MME or MUSIC-AVQA release files into an AVBench-format dataset folder"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("benchmark", choices=("videomme", "music-avqa"), help="which benchmark SRC holds")
    parser.add_argument(
        "src",
        help="videomme: the release folder (with videomme/*.parquet) or a Parquet file; "
        "music-avqa: a question file such as avqa-test.json",
    )
    parser.add_argument("out_dir", help="new, empty folder to write")
    parser.add_argument(
        "--media-dir",
        help="where the videos are (searched recursively); found videos are measured and copied into OUT_DIR "
        "(videomme default: SRC/data)",
    )
    parser.add_argument("--no-copy-media", action="store_true", help="measure found videos but do not copy them")


def run(args: argparse.Namespace) -> int:
    import sys

    from savenvideo.dataset_scripts.avbench_errors import AVBenchDataError
    from savenvideo.dataset_scripts.hub_dataset import write_dataset_folder

    if args.benchmark == "videomme":
        from savenvideo.dataset_scripts.convert_videomme import convert_videomme as convert
    else:
        from savenvideo.dataset_scripts.convert_music_avqa import convert_music_avqa as convert

    try:
        converted = convert(args.src, media_dir=args.media_dir)
        write_dataset_folder(
            converted.records,
            args.out_dir,
            kind="avbench",
            copy_media_from=None if args.no_copy_media else converted.media,
            card_template="converted",
            card_values=converted.card_values,
        )
    except AVBenchDataError as error:
        print(f"convert-benchmark: {error}", file=sys.stderr)
        return 1
    print(
        f"{args.out_dir}: {len(converted.records)} questions, {len(converted.media)} videos found, "
        f"{len(converted.skipped)} skipped"
    )
    return 0
