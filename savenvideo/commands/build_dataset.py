"""`savenvideo build-dataset`: run the SAVEn-Vid / AVBench construction pipeline over a folder of videos."""

from __future__ import annotations

import argparse

NAME = "build-dataset"
HELP = (
    "segment, caption, fuse and write questions for a folder of videos; resumable (kill and rerun), shardable; "
    "writes the SAVEn-Vid / AVBench dataset folders and a summary JSON"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--videos", required=True, help="folder of videos (searched recursively)")
    parser.add_argument("--out", required=True, help="work folder: per-video results, datasets/, summary.json")
    parser.add_argument("--config", required=True, help="pipeline YAML (see dataset_scripts/pipeline.example.yaml)")
    parser.add_argument("--num-shards", type=int, default=1, help="split the collection into this many shards")
    parser.add_argument("--shard-index", type=int, default=0, help="which shard this process runs (0-based)")
    parser.add_argument("--retry-failed", action="store_true", help="run the stages that failed before again")
    parser.add_argument(
        "--export-only", action="store_true", help="process nothing; export every finished video of the collection"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from savenvideo.dataset_scripts.pipeline_config import PipelineConfig, PipelineConfigError
    from savenvideo.dataset_scripts.pipeline_run import RunOptions, build_dataset

    try:
        config = PipelineConfig.from_yaml(args.config)
        options = RunOptions(
            num_shards=args.num_shards,
            shard_index=args.shard_index,
            retry_failed=args.retry_failed,
            export_only=args.export_only,
            progress=not args.no_progress,
        )
        summary = build_dataset(args.videos, args.out, config, options)
    except (PipelineConfigError, FileNotFoundError, ValueError) as error:
        print(f"savenvideo build-dataset: error: {error}", file=sys.stderr)
        return 2
    print(json.dumps({key: summary[key] for key in ("videos", "questions", "export") if key in summary}, indent=2))
    return 0 if summary["videos"]["done"] or not summary["videos"]["total"] else 1
