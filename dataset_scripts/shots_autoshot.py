"""The AutoShot backend, the paper's choice: our AutoShot network on 48x27 thumbnails, loaded from its checkpoint."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch

from .autoshot_model import AutoShot, load_autoshot
from .shot_segmentation import CutScores
from .shots_decode import ThumbnailReader
from .shots_windows import score_video


@dataclass(frozen=True)
class AutoShotSettings:
    """``threshold`` 0.296 is where the authors' model has its best F1 on their SHOT test set."""

    threshold: float = 0.296
    batch_windows: int = 1
    device: str = "cpu"


class AutoShotDetector:
    """`ShotDetector` that scores frames with the one-hot head of AutoShot."""

    name = "autoshot"

    def __init__(self, model: AutoShot, settings: AutoShotSettings = AutoShotSettings()):
        self.settings = settings
        self.model = model.to(settings.device).eval()

    @classmethod
    def from_checkpoint(
        cls, path: str | os.PathLike, settings: AutoShotSettings = AutoShotSettings(), trusted: bool = False
    ) -> AutoShotDetector:
        return cls(load_autoshot(path, trusted=trusted), settings)

    @property
    def default_threshold(self) -> float:
        return self.settings.threshold

    def predict(self, windows: np.ndarray) -> np.ndarray:
        """uint8 [B, 100, 27, 48, 3] RGB windows -> cut probabilities [B, 100]."""
        frames = torch.from_numpy(windows).to(self.settings.device).permute(0, 4, 1, 2, 3).float()
        with torch.inference_mode():
            one_hot, _ = self.model(frames)
        return torch.sigmoid(one_hot[..., 0]).cpu().numpy()

    def scores(self, video: str | os.PathLike) -> CutScores:
        with ThumbnailReader(video) as reader:
            return score_video(reader, self.predict, self.settings.batch_windows)
