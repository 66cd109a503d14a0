"""Benchmark: a 2-hour synthetic clip is written in bounded memory.

Writes a 1-minute clip, then a 2-hour one, in the same process while a sampler thread records the
resident set size. If the writer held frames or audio, the peak would grow with the clip length; it
should stay flat. Prints a table and writes benchmarks/results/synth_long_clip.json.

    python benchmarks/synth_long_clip.py [--seconds 7200] [--size 160x90] [--fps 30] [--container mp4]
"""

import argparse
import json
import platform
import resource
import tempfile
import threading
import time
from pathlib import Path

import psutil

from savenvideo.dataset_scripts.synthetic import ClipOptions, random_timeline, write_clip

RESULTS = Path(__file__).parent / "results" / "synth_long_clip.json"
WARM_UP_SECONDS = 60.0
SAMPLE_INTERVAL = 0.5


class RssSampler:
    """Polls this process's RSS in a background thread; ``peak`` is the largest value seen since ``reset``."""

    def __init__(self):
        self._process = psutil.Process()
        self._stop = threading.Event()
        self.peak = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            self._stop.wait(SAMPLE_INTERVAL)

    def reset(self):
        self.peak = self._process.memory_info().rss

    def stop(self):
        self._stop.set()
        self._thread.join()


def measure(seconds: float, out: Path, options: ClipOptions, sampler: RssSampler) -> dict:
    """Write one clip; RSS is sampled from just before the timeline is drawn to the end of the write."""
    sampler.reset()
    baseline = sampler.peak
    started = time.perf_counter()
    timeline = random_timeline(seconds, seed=0)
    info = write_clip(out, timeline, options, progress=True)
    wall = time.perf_counter() - started
    return {
        "seconds": seconds,
        "frames": info.frame_count,
        "shots": len(timeline.visuals),
        "sounds": len(timeline.sounds),
        "wall_seconds": round(wall, 1),
        "frames_per_second": round(info.frame_count / wall),
        "realtime_factor": round(seconds / wall, 1),
        "rss_before_mib": round(baseline / 2**20, 1),
        "peak_rss_mib": round(sampler.peak / 2**20, 1),
        "file_mib": round(out.stat().st_size / 2**20, 2),
    }


def decoded_durations(path: Path) -> dict:
    """What torchcodec reads back (imported only now: torch would dwarf the writer's own memory)."""
    from torchcodec.decoders import AudioDecoder, VideoDecoder

    video = VideoDecoder(str(path), seek_mode="approximate").metadata
    audio = AudioDecoder(str(path)).metadata
    return {
        "decoded_video_seconds": round(video.duration_seconds, 2),
        "decoded_audio_seconds": round(audio.duration_seconds, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=7200.0)
    parser.add_argument("--size", default="160x90")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--container", default="mp4", choices=["mp4", "mkv", "webm"])
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.split("x"))
    options = ClipOptions(size=(width, height), fps=args.fps)

    sampler = RssSampler()
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        paths = [
            Path(directory) / f"clip_{int(seconds)}.{args.container}" for seconds in (WARM_UP_SECONDS, args.seconds)
        ]
        for seconds, path in zip((WARM_UP_SECONDS, args.seconds), paths):
            rows.append(measure(seconds, path, options, sampler))
        sampler.stop()
        max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        for row, path in zip(rows, paths):
            row.update(decoded_durations(path))

    columns = list(rows[0])
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(str(row[column]) for column in columns))
    print(f"process max RSS while writing (getrusage): {max_rss:.1f} MiB")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "synth_long_clip",
        "container": args.container,
        "size": args.size,
        "fps": args.fps,
        "machine": {"cpus": psutil.cpu_count(), "python": platform.python_version()},
        "rows": rows,
        "process_max_rss_while_writing_mib": round(max_rss, 1),
    }
    RESULTS.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
