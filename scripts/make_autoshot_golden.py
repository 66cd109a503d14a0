"""Write tests/data/autoshot/: what the AUTHORS' AutoShot code computes on a small video with seeded random weights.

The official checkpoint (57 MB, not redistributable here) is replaced by `seeded_state_dict(SEED)`, a random
state dict in the authors' layout that our tests rebuild from the seed. This script feeds that state dict to the
authors' model class and their frame pipeline (`utils.get_frames`, which calls the ffmpeg command, and
`utils.get_batches`), and stores the inputs and outputs that tests/test_shot_segmentation.py compares with ours.

    python scripts/make_autoshot_golden.py --official /path/to/AutoShot-checkout [--out tests/data/autoshot]

The checkout is github.com/wentaozhu/AutoShot; its modules need `einops`, `matplotlib` and `ffmpeg-python`
importable (for example through PYTHONPATH) and the `ffmpeg` program on PATH.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import av
import numpy as np
import torch

from savenvideo.dataset_scripts.autoshot_model import seeded_state_dict

SEED = 0
N_FRAMES = 130  # not a multiple of 50, so the tail padding is exercised; three windows
CUTS = (47, 96)  # first frames of the second and third shot
SIZE = (96, 54)
MODULE = "supernet_flattransf_3_8_8_8_13_12_0_16_60"


def write_video(path: Path) -> None:
    """Three shots of drifting colour gradients with small texture, hard cuts at CUTS, H.264 at 25 fps."""
    width, height = SIZE
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    rng = np.random.default_rng(SEED)
    looks = rng.uniform(0, 255, size=(len(CUTS) + 1, 3))
    texture = rng.normal(0, 6, size=(height, width, 3)).astype(np.float32)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25, options={"crf": "18"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(N_FRAMES):
            shot = sum(index >= cut for cut in CUTS)
            phase = (cols + 1.5 * index) / width * 2 * np.pi
            image = looks[shot] + 50 * np.sin(phase[..., None] + np.arange(3) + rows[..., None] / height)
            pixels = np.clip(image + texture, 0, 255).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def state_fingerprint(state: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for key in sorted(state):
        digest.update(key.encode())
        digest.update(state[key].contiguous().numpy().tobytes())
    return digest.hexdigest()


def official_model(official: Path, state: dict[str, torch.Tensor]):
    """The authors' class, loaded through a checkpoint file in their format and their key filtering."""
    sys.path.insert(0, str(official))
    module = __import__(MODULE)
    model = module.TransNetV2Supernet().eval()
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = Path(folder) / "ckpt.pth"
        torch.save({"net": state}, checkpoint)
        stored = torch.load(checkpoint, map_location="cpu")["net"]
    model_dict = model.state_dict()
    matched = {key: value for key, value in stored.items() if key in model_dict}
    if len(matched) != len(model_dict):
        raise SystemExit(
            f"only {len(matched)} of {len(model_dict)} official parameters found in the seeded state dict"
        )
    model_dict.update(matched)
    model.load_state_dict(model_dict)
    return model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official", type=Path, required=True, help="checkout of github.com/wentaozhu/AutoShot")
    parser.add_argument("--out", type=Path, default=Path("tests/data/autoshot"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    video = args.out / "shots.mp4"
    write_video(video)
    state = seeded_state_dict(SEED)
    model = official_model(args.official.resolve(), state)
    utils = __import__("utils")

    frames = utils.get_frames(str(video))
    one_hot, many_hot, probabilities = [], [], []
    with torch.no_grad():
        for batch in utils.get_batches(frames):
            inputs = torch.from_numpy(batch.transpose((3, 0, 1, 2))[np.newaxis, ...]) * 1.0
            single, many = model(inputs)
            one_hot.append(single[0, :, 0].numpy())
            many_hot.append(many[0, :, 0].numpy())
            probabilities.append(torch.sigmoid(single[0]).numpy()[25:75, 0])
    probabilities = np.concatenate(probabilities)[: len(frames)]

    np.savez_compressed(
        args.out / "golden.npz",
        frames=frames,
        one_hot_logits=np.stack(one_hot),
        many_hot_logits=np.stack(many_hot),
        probabilities=probabilities,
    )
    commit = subprocess.run(["git", "-C", str(args.official), "rev-parse", "HEAD"], capture_output=True, text=True)
    meta = {
        "seed": SEED,
        "state_dict_sha256": state_fingerprint(state),
        "official_commit": commit.stdout.strip() or "unknown",
        "official_module": MODULE,
        "torch": torch.__version__,
        "ffmpeg": subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split("\n")[0],
        "n_frames": int(len(frames)),
        "cuts": list(CUTS),
    }
    (args.out / "golden.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
