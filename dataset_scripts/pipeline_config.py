"""The dataset-building pipeline's settings, one YAML file (see pipeline.example.yaml), checked on load.

Unknown keys are errors so that a typo never silently falls back to a default. Engines are given per role
(``visual``: Qwen2-VL, ``audio``: Qwen2-Audio, ``text``: Qwen2.5 for fusion and questions, ``judge``: the
text-only model of the leakage check, by default the ``text`` one) as `engine_config.EngineConfig` mappings.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

SEGMENTERS = ("autoshot", "transnetv2", "scenedetect", "uniform")
ROLES = ("visual", "audio", "text", "judge")
KINDS = ("savenvid", "avbench")

# Generation settings of each model call. Captions are greedy (objective, reproducible); writing questions and
# options samples a little for variety; judges answer with one letter.
SAMPLING_DEFAULTS = {
    "visual_caption": (1024, 0.0),
    "audio_caption": (512, 0.0),
    "audio_merge": (768, 0.0),
    "clip_fusion": (768, 0.0),
    "video_fusion": (2048, 0.0),
    "questions": (1024, 0.7),
    "options": (1024, 0.7),
    "time_range": (64, 0.0),
    "leakage": (8, 0.0),
    "support": (8, 0.0),
    "single_modality": (8, 0.0),
}


class PipelineConfigError(ValueError):
    """The pipeline YAML is malformed: ``where`` names the key at fault."""


def _fill(cls, mapping: Any, where: str):
    if mapping is None:
        return cls()
    if not isinstance(mapping, dict):
        raise PipelineConfigError(f"{where}: must be a mapping, got {type(mapping).__name__}")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(mapping) - known)
    if unknown:
        raise PipelineConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    try:
        return cls(**mapping)
    except (TypeError, ValueError) as error:
        raise PipelineConfigError(f"{where}: {error}") from None


@dataclass
class SegmentationConfig:
    """Shot cutting (shot_segmentation.py); ``uniform`` cuts fixed ``uniform_seconds`` windows with no detector."""

    backend: str = "autoshot"
    checkpoint: str | None = None
    threshold: float | None = None
    min_frames: int = 50
    max_clips: int = 20
    uniform_seconds: float = 30.0

    def __post_init__(self):
        if self.backend not in SEGMENTERS:
            raise ValueError(f"backend must be one of {', '.join(SEGMENTERS)}, got {self.backend!r}")
        if self.uniform_seconds <= 0:
            raise ValueError("uniform_seconds must be positive")


@dataclass
class CaptionConfig:
    """``num_frames`` per clip for the visual model; ``audio_chunk_seconds`` is Qwen2-Audio's 30 s limit."""

    num_frames: int = 16
    audio_chunk_seconds: float = 30.0

    def __post_init__(self):
        if self.num_frames < 1 or self.audio_chunk_seconds <= 0:
            raise ValueError("num_frames must be >= 1 and audio_chunk_seconds > 0")


@dataclass
class Sampling:
    max_new_tokens: int
    temperature: float


@dataclass
class ChecksConfig:
    """``max_attempts`` bounds every model call whose output fails to parse; retries sample at
    ``retry_temperature`` with a new seed (a greedy retry would repeat the same mistake). ``leakage``: drop what a
    text-only model answers from the question and options alone; ``support``: drop what the text model cannot
    answer from the captions; ``single_modality`` (off by default, it doubles the judging): drop what the text
    model answers from the visual account alone or from the audio account alone."""

    max_attempts: int = 3
    retry_temperature: float = 0.7
    near_duplicate_jaccard: float = 0.8
    leakage: bool = True
    leakage_trials: int = 2
    support: bool = True
    single_modality: bool = False
    time_tolerance_s: float = 1.0

    def __post_init__(self):
        if self.max_attempts < 1 or self.leakage_trials < 1:
            raise ValueError("max_attempts and leakage_trials must be at least 1")
        if not 0 < self.near_duplicate_jaccard <= 1:
            raise ValueError("near_duplicate_jaccard must be in (0, 1]")


@dataclass
class ExportConfig:
    """Which dataset folders to write. ``min_events`` is AVBench's floor on captioned segments per video;
    ``review_decisions`` is a reviewed copy of the AVBench review CSV whose ``drop`` rows are left out."""

    kinds: list[str] = field(default_factory=lambda: ["savenvid"])
    source: str = "custom"
    min_events: int = 3
    copy_media: bool = True
    review_decisions: str | None = None

    def __post_init__(self):
        if isinstance(self.kinds, str):
            self.kinds = [self.kinds]
        bad = [kind for kind in self.kinds if kind not in KINDS]
        if bad or not self.kinds:
            raise ValueError(f"kinds must be a non-empty list of {', '.join(KINDS)}, got {self.kinds!r}")
        if not self.source.strip():
            raise ValueError("source must be a non-empty name")


@dataclass
class PipelineConfig:
    seed: int = 0
    batch_videos: int = 8
    video_extensions: list[str] = field(default_factory=lambda: [".mp4", ".mkv", ".webm", ".mov", ".avi"])
    segmentation: SegmentationConfig = field(default_factory=SegmentationConfig)
    captions: CaptionConfig = field(default_factory=CaptionConfig)
    engines: dict[str, dict[str, Any]] = field(default_factory=dict)
    sampling: dict[str, Sampling] = field(default_factory=lambda: _sampling(None))
    checks: ChecksConfig = field(default_factory=ChecksConfig)
    export: ExportConfig = field(default_factory=ExportConfig)

    @classmethod
    def from_mapping(cls, mapping: Any) -> PipelineConfig:
        mapping = dict(mapping or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise PipelineConfigError(f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        sections = {
            "segmentation": _fill(SegmentationConfig, mapping.pop("segmentation", None), "segmentation"),
            "captions": _fill(CaptionConfig, mapping.pop("captions", None), "captions"),
            "checks": _fill(ChecksConfig, mapping.pop("checks", None), "checks"),
            "export": _fill(ExportConfig, mapping.pop("export", None), "export"),
            "engines": _engines(mapping.pop("engines", None)),
            "sampling": _sampling(mapping.pop("sampling", None)),
        }
        config = cls(**mapping, **sections)
        if config.batch_videos < 1:
            raise PipelineConfigError("batch_videos must be at least 1")
        return config

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> PipelineConfig:
        import yaml

        with open(path, encoding="utf-8") as handle:
            mapping = yaml.safe_load(handle)
        if mapping is not None and not isinstance(mapping, dict):
            raise PipelineConfigError(f"{os.fspath(path)}: the pipeline config must be a YAML mapping")
        try:
            return cls.from_mapping(mapping)
        except PipelineConfigError as error:
            raise PipelineConfigError(f"{os.fspath(path)}: {error}") from None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def engine_for(self, role: str) -> dict[str, Any]:
        """The engine mapping of ``role``; ``judge`` falls back to ``text``."""
        if role == "judge" and "judge" not in self.engines:
            role = "text"
        if role not in self.engines:
            raise PipelineConfigError(f"engines: no engine configured for role {role!r}")
        return self.engines[role]

    def fingerprint(self) -> str:
        """A hash of the settings that change what the stages produce, so a work folder is never resumed with
        results made under other ones. Export, batching and how an engine is reached (servers, concurrency,
        timeouts) may change between runs; which model a role runs may not."""
        settings = self.to_dict()
        for name in ("export", "batch_videos"):
            settings.pop(name)
        settings["engines"] = {
            role: {key: value for key, value in engine.items() if key in ("model", "reply")}
            for role, engine in self.engines.items()
        }
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def _engines(mapping: Any) -> dict[str, dict[str, Any]]:
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise PipelineConfigError("engines: must map roles to engine settings")
    engines = {}
    for role, settings in mapping.items():
        if role not in ROLES:
            raise PipelineConfigError(f"engines: unknown role {role!r}; roles: {', '.join(ROLES)}")
        if settings is None:
            continue
        if not isinstance(settings, dict):
            raise PipelineConfigError(f"engines.{role}: must be a mapping of engine settings")
        engines[role] = dict(settings)
    return engines


def _sampling(mapping: Any) -> dict[str, Sampling]:
    mapping = mapping or {}
    if not isinstance(mapping, dict):
        raise PipelineConfigError("sampling: must map model calls to {max_new_tokens, temperature}")
    unknown = sorted(set(mapping) - set(SAMPLING_DEFAULTS))
    if unknown:
        raise PipelineConfigError(
            f"sampling: unknown call(s) {', '.join(unknown)}; known: {', '.join(SAMPLING_DEFAULTS)}"
        )
    result = {}
    for name, (tokens, temperature) in SAMPLING_DEFAULTS.items():
        given = mapping.get(name) or {}
        result[name] = _fill(
            Sampling, {"max_new_tokens": tokens, "temperature": temperature, **given}, f"sampling.{name}"
        )
    return result
