"""Benchmark: shot-segmentation speed per backend on the CPU, as a multiple of real time.

Writes (once, cached in benchmarks/cache/) a synthetic clip with known cuts, then runs every backend on it in
this process, one after the other, and records wall time, speed (video seconds per wall second), peak resident
memory and how many of the true cuts each backend found within 2 frames. Thumbnail decoding alone is measured
too, as the floor every backend pays. AutoShot runs with seeded random weights unless --autoshot-checkpoint is
given: its speed does not depend on the weights, but its cut counts are only meaningful with the real ones.
Prints a table and writes benchmarks/results/segmentation.json.

    python benchmarks/segmentation.py [--seconds 300] [--size 640x360] [--fps 25] [--backends ...] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import threading
import time
from pathlib import Path

import psutil
import torch

from savenvideo.dataset_scripts.autoshot_model import AutoShot, load_autoshot, seeded_state_dict
from savenvideo.dataset_scripts.shot_segmentation import candidate_cuts, make_detector
from savenvideo.dataset_scripts.shots_autoshot import AutoShotDetector
from savenvideo.dataset_scripts.shots_decode import ThumbnailReader
from savenvideo.dataset_scripts.synthetic import ClipInfo, ClipOptions, random_timeline, write_clip

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "segmentation.json"
CACHE = HERE / "cache"
TOLERANCE_FRAMES = 2


class PeakMemory:
    """Samples this process's resident set size every 0.2 s while active."""

    def __init__(self):
        self._process = psutil.Process()
        self._stop = threading.Event()
        self.peak = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def benchmark_clip(seconds: float, size: tuple[int, int], fps: int) -> ClipInfo:
    path = CACHE / f"segmentation_{seconds:g}s_{size[0]}x{size[1]}_{fps}fps.mp4"
    if path.exists():
        return ClipInfo.load(path)
    CACHE.mkdir(exist_ok=True)
    return write_clip(path, random_timeline(seconds, seed=0), ClipOptions(size=size, fps=fps, audio=False))


def build(backend: str, checkpoint: Path | None):
    if backend != "autoshot":
        return make_detector(backend)
    if checkpoint is not None:
        return AutoShotDetector(load_autoshot(checkpoint))
    model = AutoShot()
    model.load_state_dict({key: value for key, value in seeded_state_dict(0).items() if key in model.state_dict()})
    return AutoShotDetector(model)


def decode_only(path: Path) -> int:
    with ThumbnailReader(path) as reader:
        return sum(1 for _ in reader)


def cut_recall(found: list[int], truth: list[int]) -> tuple[int, int]:
    """(true cuts found within the tolerance, detections that match no true cut)."""
    hits = sum(any(abs(f - t) <= TOLERANCE_FRAMES for f in found) for t in truth)
    false = sum(not any(abs(f - t) <= TOLERANCE_FRAMES for t in truth) for f in found)
    return hits, false


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--backends", nargs="+", default=["decode-only", "scenedetect", "transnetv2", "autoshot"])
    parser.add_argument("--autoshot-checkpoint", type=Path)
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's choice)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    size = tuple(int(part) for part in args.size.split("x"))

    info = benchmark_clip(args.seconds, size, args.fps)
    truth = info.cut_frame_indices()
    rows = []
    for backend in args.backends:
        load_before = os.getloadavg()[0]
        with PeakMemory() as memory:
            started = time.perf_counter()
            if backend == "decode-only":
                frames, found, threshold = decode_only(info.path), None, None
            else:
                detector = build(backend, args.autoshot_checkpoint)
                scores = detector.scores(info.path)
                frames, threshold = scores.n_frames, detector.default_threshold
                found = [start for start, _ in candidate_cuts(scores.probabilities, threshold)]
            wall = time.perf_counter() - started
        row = {
            "backend": backend,
            "wall_seconds": round(wall, 2),
            "frames": frames,
            "frames_per_second": round(frames / wall, 1),
            "realtime_factor": round(info.duration / wall, 2),
            "peak_rss_mib": round(memory.peak / 2**20, 1),
            "load_average_before": round(load_before, 2),
        }
        if found is not None:
            hits, false = cut_recall(found, truth)
            row |= {"threshold": threshold, "cuts_found": hits, "true_cuts": len(truth), "false_cuts": false}
            if backend == "autoshot" and args.autoshot_checkpoint is None:
                row["weights"] = "seeded random (speed only)"
        rows.append(row)
        print(f"{backend}: {row}", flush=True)

    result = {
        "benchmark": "segmentation",
        "clip": {"seconds": info.duration, "size": args.size, "fps": args.fps, "frames": info.frame_count},
        "machine": {
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")

    header = f"{'backend':<12} {'wall s':>8} {'frames/s':>9} {'x real time':>12} {'peak MiB':>9} {'cuts found':>11}"
    print(header)
    print("-" * len(header))
    for row in rows:
        cuts = f"{row['cuts_found']}/{row['true_cuts']}" if "cuts_found" in row else "-"
        if row.get("weights"):
            cuts += "*"
        print(
            f"{row['backend']:<12} {row['wall_seconds']:>8} {row['frames_per_second']:>9} "
            f"{row['realtime_factor']:>12} {row['peak_rss_mib']:>9} {cuts:>11}"
        )
    if any(row.get("weights") for row in rows):
        print("* AutoShot with seeded random weights: speed only, its cuts mean nothing")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
