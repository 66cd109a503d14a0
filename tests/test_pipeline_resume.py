"""kill -9 at random moments, then resume: the result must equal an uninterrupted run's, byte for byte.

The pipeline runs in a subprocess (the real CLI) with the echo engine slowed to a few milliseconds per request,
so kills land while stages run, while results are being written and while the dataset folders are exported.
"""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from savenvideo.dataset_scripts import pipeline_dry_run

TESTS = Path(__file__).parent


def slow_reply(request):
    """The dry-run reply after 3 ms, like a (very fast) model; used by the subprocess through its config."""
    time.sleep(0.003)
    return pipeline_dry_run.reply(request)


@pytest.fixture(scope="module")
def setup(tmp_path_factory, synthetic_clip):
    root = tmp_path_factory.mktemp("resume")
    videos = root / "videos"
    (videos / "sub").mkdir(parents=True)
    for seed, name in [(11, "a.mp4"), (12, "b.mp4"), (13, "sub/c.mp4"), (14, "d.mp4")]:
        shutil.copy(synthetic_clip(seconds=6.0, seed=seed)[0], videos / name)
    engine = {"kind": "echo", "reply": "test_pipeline_resume:slow_reply"}
    settings = {
        "batch_videos": 2,
        "segmentation": {"backend": "uniform", "uniform_seconds": 1.5},
        "captions": {"audio_chunk_seconds": 1.0},
        "engines": dict.fromkeys(("visual", "audio", "text"), engine),
        "export": {"kinds": ["savenvid", "avbench"], "copy_media": False},
    }
    config = root / "pipeline.yaml"
    config.write_text(yaml.safe_dump(settings))
    reference = root / "reference"
    began = time.perf_counter()
    assert start(videos, reference, config).wait(timeout=120) == 0
    return videos, config, reference, time.perf_counter() - began


def start(videos, work, config):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, "-m", "savenvideo.cli", "build-dataset", "--videos", str(videos), "--out", str(work)]
    command += ["--config", str(config), "--no-progress"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def snapshot(work: Path) -> dict:
    """Everything a run produces, with the Parquet files as rows and the summary without its timings."""
    files = {}
    for path in sorted(work.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(work).as_posix()
        if path.suffix == ".parquet":
            files[name] = pq.read_table(path).to_pylist()
        elif name == "summary.json":
            files[name] = {k: v for k, v in json.loads(path.read_text()).items() if k != "run"}
        else:
            files[name] = path.read_bytes()
    return files


def results(work: Path) -> int:
    return len(list((work / "videos").glob("*/*.json"))) if (work / "videos").is_dir() else 0


def kill_when(process, ready, timeout=120.0) -> bool:
    """SIGKILL ``process`` as soon as ``ready()`` holds; False when it finished first."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if ready():
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.002)
    process.wait()
    return False


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_then_resume_equals_an_uninterrupted_run(setup, tmp_path, seed):
    videos, config, reference, _ = setup
    rng = random.Random(seed)
    total = results(reference)
    work = tmp_path / "work"
    # two kills at random points of the stages' progress, one while the dataset folders are being exported
    first, second = rng.randint(1, total // 2), rng.randint(total // 2 + 1, total - 1)
    assert kill_when(start(videos, work, config), lambda: results(work) >= first)
    assert kill_when(start(videos, work, config), lambda: results(work) >= second)
    exporting = lambda: any((work / "datasets").glob(".*.partial")) if (work / "datasets").is_dir() else False  # noqa: E731
    kill_when(start(videos, work, config), exporting)  # the export lasts ~0.1 s: usually, not always, hit
    assert start(videos, work, config).wait(timeout=120) == 0
    expected, found = snapshot(reference), snapshot(work)
    assert sorted(found) == sorted(expected)
    for name in expected:
        assert found[name] == expected[name], name
    assert not list(work.rglob("*.tmp")) and not list(work.rglob("*.partial")) and not list(work.rglob("*.old"))
