"""AutoShot's searched shot-boundary network (Zhu et al., CVPRW 2023), written anew for loading its checkpoint.

AutoShot is a TransNetV2-style network whose layers were picked by neural architecture search. The searched
model has six (2+1)D dilated convolution stages with three residual pairs, two similarity features (learned frame
embeddings and RGB colour histograms, each compared with the 50 frames before and after), and a two-layer
head. The search also allowed a transformer stage, but the chosen architecture has zero transformer layers, so
there is none here; the checkpoint's weights for the head that would have followed it (``fc1.*``) are unused.

Module names match the authors' state-dict keys, so their ``{'net': state_dict}`` checkpoint loads as is.
"""

from __future__ import annotations

import math
import os
import pickle
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .shots_errors import CheckpointError


@dataclass(frozen=True)
class StageSpec:
    """One dilated (2+1)D stage: ``filters * 4`` output channels split over ``n_dilations`` temporal branches
    with dilation 1, 2, 4, ...; the spatial convolution has ``multiplier * filters`` channels and is either one
    per branch or, when ``shared``, a single one that all branches read."""

    name: str
    in_channels: int
    filters: int
    multiplier: int
    n_dilations: int
    shared: bool


STAGES = (
    StageSpec("Layer_0_3", 3, 16, 1, 4, shared=False),
    StageSpec("Layer_1_8", 64, 16, 4, 5, shared=True),
    StageSpec("Layer_2_8", 64, 32, 4, 5, shared=True),
    StageSpec("Layer_3_8", 128, 32, 4, 5, shared=True),
    StageSpec("Layer_4_13", 128, 64, 3, 5, shared=False),
    StageSpec("Layer_5_12", 256, 64, 2, 5, shared=False),
)


@dataclass(frozen=True)
class AutoShotConfig:
    """Sizes of the searched model; the defaults are the published architecture."""

    hidden_size: int = 1024
    lookup_window: int = 101
    similarity_dim: int = 128
    similarity_out: int = 128
    dropout: float = 0.5
    frame_height: int = 27
    frame_width: int = 48


def _spatial(in_channels: int, out_channels: int) -> nn.Conv3d:
    return nn.Conv3d(in_channels, out_channels, (1, 3, 3), padding=(0, 1, 1), bias=False)


def _temporal(in_channels: int, out_channels: int, dilation: int) -> nn.Conv3d:
    return nn.Conv3d(
        in_channels, out_channels, (3, 1, 1), padding=(dilation, 0, 0), dilation=(dilation, 1, 1), bias=False
    )


class Branch(nn.Module):
    """A spatial then temporal convolution, or only the temporal one when the spatial one is shared."""

    def __init__(self, convs: list[nn.Conv3d]):
        super().__init__()
        self.layers = nn.ModuleList(convs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.layers:
            x = conv(x)
        return x


class DilatedStage(nn.Module):
    """Parallel branches at growing temporal dilations, concatenated, batch-normalised and rectified."""

    def __init__(self, spec: StageSpec):
        super().__init__()
        out_channels = spec.filters * 4
        mid_channels = spec.multiplier * spec.filters
        per_branch = out_channels // spec.n_dilations
        widths = [per_branch] * (spec.n_dilations - 1) + [out_channels - per_branch * (spec.n_dilations - 1)]
        if spec.shared:
            self.share = _spatial(spec.in_channels, mid_channels)
        branches = []
        for index, width in enumerate(widths):
            convs = [] if spec.shared else [_spatial(spec.in_channels, mid_channels)]
            branches.append(Branch([*convs, _temporal(mid_channels, width, 2**index)]))
        self.conv_blocks = nn.ModuleList(branches)
        self.batch_norm = nn.BatchNorm3d(out_channels, eps=1e-3, momentum=0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if hasattr(self, "share"):
            x = self.share(x)
        x = torch.cat([branch(x) for branch in self.conv_blocks], dim=1)
        return F.relu(self.batch_norm(x))


class Dense(nn.Module):
    """A linear layer, optionally rectified; kept as a wrapper so that weights sit under ``<name>.linear``."""

    def __init__(self, in_features: int, out_features: int, relu: bool):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.relu = relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.linear(x)
        return F.relu(x) if self.relu else x


def neighbourhood(similarity: torch.Tensor, lookup_window: int) -> torch.Tensor:
    """[B, T, T] frame-to-frame similarities -> [B, T, lookup_window]: row t holds frames t-h .. t+h
    (h = lookup_window // 2), zero where those fall outside the window of frames."""
    half = lookup_window // 2
    batch, length, _ = similarity.shape
    padded = F.pad(similarity, (half, half))
    offsets = torch.arange(lookup_window, device=similarity.device)
    index = torch.arange(length, device=similarity.device)[:, None] + offsets
    return padded.gather(2, index.expand(batch, length, lookup_window))


class FrameSimilarity(nn.Module):
    """Cosine similarity of learned per-frame embeddings (spatially pooled stage features) to nearby frames."""

    def __init__(self, in_channels: int, config: AutoShotConfig):
        super().__init__()
        self.lookup_window = config.lookup_window
        self.projection = Dense(in_channels, config.similarity_dim, relu=False)
        self.fc = Dense(config.lookup_window, config.similarity_out, relu=True)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        pooled = torch.cat([feature.mean(dim=(3, 4)) for feature in features], dim=1).transpose(1, 2)
        embedding = F.normalize(self.projection(pooled), p=2, dim=2)
        similarity = embedding @ embedding.transpose(1, 2)
        return self.fc(neighbourhood(similarity, self.lookup_window))


class ColorHistogramSimilarity(nn.Module):
    """Similarity of 512-bin RGB histograms (3 bits per channel) to nearby frames: a cheap cue for hard cuts."""

    def __init__(self, config: AutoShotConfig):
        super().__init__()
        self.lookup_window = config.lookup_window
        self.fc = Dense(config.lookup_window, config.similarity_out, relu=True)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        batch, _, length = frames.shape[:3]
        pixels = frames.to(torch.int32).flatten(3)  # [B, 3, T, H*W]; truncates like the authors' int cast
        bins = ((pixels[:, 0] >> 5) << 6) + ((pixels[:, 1] >> 5) << 3) + (pixels[:, 2] >> 5)
        counts = torch.zeros(batch, length, 512, device=frames.device)
        counts.scatter_add_(2, bins.long(), torch.ones_like(bins, dtype=counts.dtype))
        histograms = counts / counts.norm(dim=2, keepdim=True)
        similarity = histograms @ histograms.transpose(1, 2)
        return self.fc(neighbourhood(similarity, self.lookup_window))


class AutoShot(nn.Module):
    """Input: float [B, 3, T, 27, 48] RGB frames with integer values 0..255. Output: (one-hot, many-hot) cut
    logits, each [B, T, 1]; the one-hot head marks the last frame of each shot and is the one used."""

    def __init__(self, config: AutoShotConfig = AutoShotConfig()):
        super().__init__()
        self.config = config
        for spec in STAGES:
            self.add_module(spec.name, DilatedStage(spec))
        self.stages = [getattr(self, spec.name) for spec in STAGES]
        pooled_channels = [STAGES[i].filters * 4 for i in (1, 3, 5)]
        height, width = config.frame_height, config.frame_width
        for _ in pooled_channels:
            height, width = height // 2, width // 2
        conv_features = pooled_channels[-1] * height * width
        self.frame_sim_layer = FrameSimilarity(sum(pooled_channels), config)
        self.color_hist_layer = ColorHistogramSimilarity(config)
        self.fc1_0 = Dense(2 * config.similarity_out + conv_features, config.hidden_size, relu=True)
        self.dropout = nn.Dropout(config.dropout)
        self.cls_layer1 = Dense(config.hidden_size, 1, relu=False)
        self.cls_layer2 = Dense(config.hidden_size, 1, relu=False)

    def forward(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = frames / 255.0
        pooled = []
        for index, stage in enumerate(self.stages):
            if index % 2 == 0:
                x = shortcut = stage(x)
            else:
                x = F.avg_pool3d(shortcut + stage(x), kernel_size=(1, 2, 2))
                pooled.append(x)
        conv = x.permute(0, 2, 3, 4, 1).flatten(2)  # [B, T, H*W*C], channels fastest, as the checkpoint expects
        features = torch.cat([self.color_hist_layer(frames), self.frame_sim_layer(pooled), conv], dim=2)
        hidden = self.dropout(self.fc1_0(features))
        return self.cls_layer1(hidden), self.cls_layer2(hidden)


# Checkpoint entries the searched model never uses (the head after the absent transformer stage).
UNUSED_CHECKPOINT_SHAPES = {"fc1.linear.weight": (1024, 5888), "fc1.linear.bias": (1024,)}


def load_autoshot(
    path: str | os.PathLike, config: AutoShotConfig = AutoShotConfig(), trusted: bool = False
) -> AutoShot:
    """Loads the authors' checkpoint file (``{'net': state_dict}``, or a bare state dict) into a fresh model.

    The file is unpickled with ``weights_only=True`` (tensors and plain containers only) unless ``trusted``:
    a checkpoint that also pickled other objects next to ``'net'`` needs ``trusted=True``, and runs their code.
    """
    if not os.path.isfile(path):
        raise CheckpointError(path, "no such file")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=not trusted)
    except pickle.UnpicklingError as error:
        reason = "holds pickled objects other than tensors; load it as trusted only if you trust its source"
        raise CheckpointError(path, reason) from error
    except Exception as error:  # torch raises many types for a corrupt or foreign file
        raise CheckpointError(path, f"not a loadable PyTorch checkpoint ({type(error).__name__}: {error})") from error
    state = loaded.get("net", loaded) if isinstance(loaded, dict) else None
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise CheckpointError(path, "expected a dict of tensors or {'net': dict of tensors}")
    if state and all(key.startswith("module.") for key in state):
        state = {key.removeprefix("module."): value for key, value in state.items()}
    model = AutoShot(config)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected) - set(UNUSED_CHECKPOINT_SHAPES))
    if missing or unexpected:
        raise CheckpointError(
            path, f"not an AutoShot checkpoint: missing keys {missing[:5]}, unexpected keys {unexpected[:5]}"
        )
    wrong = [
        f"{key} {tuple(state[key].shape)} != {tuple(value.shape)}"
        for key, value in expected.items()
        if state[key].shape != value.shape
    ]
    if wrong:
        raise CheckpointError(path, f"tensor shapes do not fit the AutoShot architecture: {wrong[:3]}")
    model.load_state_dict({key: state[key] for key in expected})
    return model.eval()


def seeded_state_dict(seed: int) -> dict[str, torch.Tensor]:
    """A random checkpoint in the authors' layout (with the unused ``fc1``), reproducible from ``seed``.

    For parity tests and speed measurements without the 57 MB official file. Scales follow the authors'
    initialisation; batch-norm statistics and biases are random too, so that every parameter matters.
    """
    generator = torch.Generator().manual_seed(seed)
    shapes = {key: tuple(value.shape) for key, value in AutoShot().state_dict().items()}
    shapes.update(UNUSED_CHECKPOINT_SHAPES)
    state = {}
    for key in sorted(shapes):
        shape = shapes[key]
        if key.endswith("num_batches_tracked"):
            state[key] = torch.tensor(0)
        elif key.endswith("running_var") or (key.endswith("weight") and len(shape) == 1):
            state[key] = 0.5 + torch.rand(shape, generator=generator)
        elif key.endswith("running_mean") or key.endswith("bias"):
            state[key] = 0.1 * torch.randn(shape, generator=generator)
        elif len(shape) == 5:
            fan_in = math.prod(shape[1:])
            state[key] = torch.randn(shape, generator=generator) * math.sqrt(2.0 / fan_in)
        else:
            limit = math.sqrt(6.0 / sum(shape))
            state[key] = (2 * torch.rand(shape, generator=generator) - 1) * limit
    return state
