"""Benchmark: the dataset pipeline's own cost per video, with models that take no time.

Runs `build_dataset` over N copies (hard links) of one short synthetic clip with the echo engine scripted by
pipeline_dry_run (zero latency) and either the ``uniform`` segmenter (no decoding: pure orchestration) or
PySceneDetect (real cut detection, shown separately). What remains is the pipeline's overhead: building prompts,
parsing, checks, the per-video atomic result files (fsync included), the export to Parquet and the summary.
A second run over the finished folder measures what resuming costs when there is nothing left to do.
Prints a table and writes benchmarks/results/pipeline.json. Goal: <= 50 ms per video, model time excluded.

    python benchmarks/pipeline.py [--videos 200] [--backends uniform scenedetect] [--batch 32]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from savenvideo.dataset_scripts.pipeline_config import PipelineConfig
from savenvideo.dataset_scripts.pipeline_run import RunOptions, build_dataset
from savenvideo.dataset_scripts.synthetic import ClipOptions, random_timeline, write_clip

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "pipeline.json"
CACHE = HERE / "cache"
CLIP_SECONDS = 12.0
DRY = "savenvideo.dataset_scripts.pipeline_dry_run:reply"
GOAL_MS = 50.0


def clip() -> Path:
    path = CACHE / f"pipeline_{CLIP_SECONDS:.0f}s_160x90.mp4"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        write_clip(path, random_timeline(CLIP_SECONDS, 3), ClipOptions(size=(160, 90), fps=25))
    return path


def settings(backend: str, batch: int) -> PipelineConfig:
    return PipelineConfig.from_mapping(
        {
            "batch_videos": batch,
            "segmentation": {"backend": backend, "uniform_seconds": 2.0, "min_frames": 25},
            "captions": {"audio_chunk_seconds": 1.5},  # two audio pieces per clip: the merge step runs too
            "engines": {role: {"kind": "echo", "reply": DRY} for role in ("visual", "audio", "text")},
            "export": {"kinds": ["savenvid", "avbench"], "copy_media": False},
        }
    )


def run(backend: str, count: int, batch: int, scratch: Path) -> dict:
    videos = scratch / f"videos_{backend}"
    videos.mkdir(parents=True)
    source = clip()
    for index in range(count):
        os.link(source, videos / f"v{index:05d}.mp4")
    work = scratch / f"work_{backend}"
    config = settings(backend, batch)
    began = time.perf_counter()
    summary = build_dataset(videos, work, config, RunOptions(progress=False))
    wall = time.perf_counter() - began
    began = time.perf_counter()
    build_dataset(videos, work, config, RunOptions(progress=False))
    resume = time.perf_counter() - began
    info = summary["run"]
    stages = info["stage_seconds"]
    stage_total = sum(stages.values())
    overhead = wall - info["model_seconds"]
    return {
        "backend": backend,
        "videos": count,
        "done": summary["videos"]["done"],
        "questions_kept": summary["questions"]["kept"],
        "model_requests": info["model_requests"],
        "model_seconds": info["model_seconds"],
        "wall_seconds": round(wall, 3),
        "ms_per_video": round(1000 * overhead / count, 2),
        "ms_per_video_without_segmentation": round(1000 * (overhead - stages["segments"]) / count, 2),
        "stage_ms_per_video": {name: round(1000 * seconds / count, 2) for name, seconds in stages.items()},
        "export_and_setup_ms_per_video": round(1000 * (wall - stage_total) / count, 2),
        "resume_nothing_to_do_ms_per_video": round(1000 * resume / count, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=200)
    parser.add_argument("--backends", nargs="+", default=["uniform", "scenedetect"])
    parser.add_argument("--batch", type=int, default=32, help="batch_videos")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="pipeline_bench_", dir=CACHE if CACHE.exists() else None))
    try:
        run("uniform", 4, args.batch, scratch / "warm-up")  # one-time imports (datasets, PyAV) are not per video
        rows = [run(backend, args.videos, args.batch, scratch) for backend in args.backends]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result = {
        "benchmark": "pipeline",
        "clip": f"{CLIP_SECONDS:.0f} s, 160x90, 25 fps, 6 clips of 2 s, 2 audio pieces per clip",
        "engine": "echo + pipeline_dry_run (zero latency)",
        "batch_videos": args.batch,
        "goal_ms_per_video": GOAL_MS,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")

    header = (
        f"{'segmenter':<12} {'videos':>6} {'requests':>8} {'ms/video':>9} {'w/o segm.':>9} {'export':>7} {'resume':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['backend']:<12} {row['videos']:>6} {row['model_requests']:>8} {row['ms_per_video']:>9.1f}"
            f" {row['ms_per_video_without_segmentation']:>9.1f} {row['export_and_setup_ms_per_video']:>7.1f}"
            f" {row['resume_nothing_to_do_ms_per_video']:>7.1f}"
        )
    for row in rows:
        stages = ", ".join(f"{name} {ms:.1f}" for name, ms in row["stage_ms_per_video"].items())
        print(f"{row['backend']}: ms per video by stage: {stages}")
    print(f"goal: <= {GOAL_MS:.0f} ms per video excluding model time (and, for scenedetect, cut detection)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
