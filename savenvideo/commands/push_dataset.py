"""`savenvideo push-dataset DIR REPO_ID`: check an AVBench / SAVEn-Vid dataset folder, then upload it."""

from __future__ import annotations

import argparse

NAME = "push-dataset"
HELP = "validate an AVBench or SAVEn-Vid dataset folder and upload it to a Hugging Face dataset repo"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", help="a folder written by write_dataset_folder / convert-benchmark")
    parser.add_argument("repo_id", help="dataset repo to create or update, e.g. my-org/AVBench")
    parser.add_argument("--private", action="store_true", help="create the repo private (if it does not exist yet)")
    parser.add_argument("--revision", help="branch to upload to (created from the default branch if missing)")
    parser.add_argument(
        "--metadata-only",
        action="store_true",
        help="allow videos named by the rows to be missing (their licence forbids re-hosting them)",
    )


def run(args: argparse.Namespace) -> int:
    import sys

    from huggingface_hub.errors import HfHubHTTPError

    from savenvideo.dataset_scripts.avbench_errors import AVBenchDataError
    from savenvideo.dataset_scripts.hub_dataset import push_dataset_folder

    try:
        commit = push_dataset_folder(
            args.folder,
            args.repo_id,
            private=args.private,
            revision=args.revision,
            metadata_only=args.metadata_only,
        )
    except (AVBenchDataError, HfHubHTTPError) as error:
        print(f"push-dataset: {error}", file=sys.stderr)
        return 1
    print(commit.commit_url)
    return 0
