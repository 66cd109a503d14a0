"""Kill a training run after a checkpoint, resume it, and get the weights of a run that was never interrupted."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safetensors.torch import load_file

from savenvideo.train.tiny_checkpoint import build_tiny_checkpoint
from savenvideo.train.tiny_data import write_tiny_dataset, write_tiny_recipe

pytestmark = pytest.mark.slow
SFT = Path(__file__).resolve().parents[1] / "train" / "sft.py"
STEPS, SAVE_EVERY = 4, 2


def launch(recipe: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(SFT), "--config", str(recipe), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},  # two runs at once on a small, shared CPU: no thread spinning
    )


def finish(process: subprocess.Popen) -> None:
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr[-3000:]


def test_kill_and_resume_equals_an_uninterrupted_run(tmp_path):
    checkpoint = build_tiny_checkpoint(tmp_path / "checkpoint")
    data = write_tiny_dataset(tmp_path / "data", num_clips=3)  # 6 samples: 3 steps an epoch, so we resume mid-epoch
    settings = {"max_steps": STEPS, "save_strategy": "steps", "save_steps": SAVE_EVERY, "lora_dropout": 0.1}
    runs = {name: tmp_path / name for name in ("straight", "killed")}
    recipes = {
        name: write_tiny_recipe(tmp_path / f"{name}.yaml", checkpoint, data, out, **settings)
        for name, out in runs.items()
    }

    straight = launch(recipes["straight"])
    killed = launch(recipes["killed"])
    first_checkpoint = runs["killed"] / f"checkpoint-{SAVE_EVERY}" / "trainer_state.json"
    deadline = time.monotonic() + 600
    while not first_checkpoint.exists():
        assert killed.poll() is None, killed.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.communicate()
    assert killed.returncode == -signal.SIGKILL
    assert not (runs["killed"] / "adapter_model.safetensors").exists(), "the run ended before the kill"

    finish(launch(recipes["killed"], "--resume_from_checkpoint", "last"))
    finish(straight)

    final = {name: load_file(out / "adapter_model.safetensors") for name, out in runs.items()}
    assert final["straight"].keys() == final["killed"].keys()
    assert any("lora_" in key for key in final["straight"]) and any("resampler" in key for key in final["straight"])
    initial = load_file(runs["killed"] / f"checkpoint-{SAVE_EVERY}" / "adapter_model.safetensors")
    for key, weight in final["straight"].items():
        assert (final["killed"][key] - weight).abs().max() <= 1e-5, key
    assert any((initial[key] - final["straight"][key]).abs().max() > 0 for key in initial)  # it trained after resume
