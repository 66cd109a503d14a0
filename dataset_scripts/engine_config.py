"""Which engine runs a stage and how, as one YAML mapping: the same stage code runs on a laptop, a GPU or a cluster.

Example (a YAML mapping; unknown keys are an error so that a typo never silently falls back to a default)::

    kind: http
    model: Qwen/Qwen2-VL-72B-Instruct
    base_urls: [http://node1:8000/v1, http://node2:8000/v1]
    max_concurrency: 32
    api_key_env: VLLM_API_KEY
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

from .engine_base import Engine

ENGINE_KINDS = ("http", "vllm", "transformers", "echo")
ROUTINGS = ("least_loaded", "round_robin")
VIDEO_TRANSPORTS = ("video_url", "image_url")


@dataclass
class EngineConfig:
    """Settings of every engine kind; each engine reads the ones it needs.

    ``kind``: http (OpenAI-compatible servers), vllm (offline, in-process, GPU), transformers (in-process),
    echo (no model: replies ``echo_reply`` formatted with ``text`` = the last user text and ``request_id``).
    """

    kind: str = "echo"
    model: str = ""
    # http: servers (".../v1"), fan-out, robustness
    base_urls: list[str] = field(default_factory=lambda: ["http://127.0.0.1:8000/v1"])
    routing: str = "least_loaded"
    max_concurrency: int = 8  # requests in flight over all servers
    timeout_s: float = 600.0  # per attempt
    max_retries: int = 3  # extra attempts after the first, on connection errors, timeouts, 408, 429 and 5xx
    backoff_s: float = 1.0  # first retry waits ~backoff_s, then doubles (with jitter), capped at max_backoff_s
    max_backoff_s: float = 30.0
    server_cooldown_s: float = 30.0  # a server that refuses connections is skipped this long (others permitting)
    api_key_env: str | None = None  # name of the environment variable holding the bearer token
    video_transport: str = "video_url"  # video_url: one data:video/jpeg URL of all frames (vLLM); image_url: frames
    jpeg_quality: int = 90
    frame_max_side: int | None = 640  # frames sent over HTTP are shrunk to this longer side (None: as decoded)
    # in-process engines
    dtype: str = "auto"
    tensor_parallel_size: int = 1
    device: str = "auto"
    batch_size: int = 8  # transformers: requests per generate() call
    gpu_memory_utilization: float = 0.9
    max_model_len: int | None = None
    limit_mm_per_prompt: dict[str, int] | None = None  # vllm: media items per prompt (default: 1 video / audio)
    # generation defaults (a ChatRequest's own values win)
    max_new_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    num_frames: int = 16  # frames per video part that does not say
    echo_reply: str = "{text}"

    def __post_init__(self) -> None:
        if self.kind not in ENGINE_KINDS:
            raise ValueError(f"engine kind {self.kind!r} is not one of {', '.join(ENGINE_KINDS)}")
        if self.routing not in ROUTINGS:
            raise ValueError(f"routing {self.routing!r} is not one of {', '.join(ROUTINGS)}")
        if self.video_transport not in VIDEO_TRANSPORTS:
            raise ValueError(f"video_transport {self.video_transport!r} is not one of {', '.join(VIDEO_TRANSPORTS)}")
        if isinstance(self.base_urls, str):
            self.base_urls = [self.base_urls]
        if self.kind == "http" and not self.base_urls:
            raise ValueError("an http engine needs at least one base URL")
        if self.kind in ("vllm", "transformers") and not self.model:
            raise ValueError(f"a {self.kind} engine needs a model (a Hub id or a local folder)")
        if self.max_concurrency < 1 or self.batch_size < 1 or self.num_frames < 1:
            raise ValueError("max_concurrency, batch_size and num_frames must be at least 1")
        if self.max_retries < 0 or self.timeout_s <= 0:
            raise ValueError("max_retries must be >= 0 and timeout_s > 0")

    @classmethod
    def from_mapping(cls, mapping: dict[str, Any]) -> EngineConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise ValueError(f"unknown engine setting(s): {', '.join(unknown)}")
        return cls(**mapping)

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> EngineConfig:
        import yaml

        with open(path, encoding="utf-8") as handle:
            mapping = yaml.safe_load(handle) or {}
        if not isinstance(mapping, dict):
            raise ValueError(f"{os.fspath(path)}: an engine config must be a YAML mapping")
        return cls.from_mapping(mapping)

    def api_key(self) -> str | None:
        if not self.api_key_env:
            return None
        return os.environ.get(self.api_key_env)


def build_engine(config: EngineConfig | dict[str, Any]) -> Engine:
    """The engine ``config.kind`` names. Heavy libraries (vllm, torch models, aiohttp) load only for that kind."""
    if isinstance(config, dict):
        config = EngineConfig.from_mapping(config)
    if config.kind == "http":
        from .engine_http import HttpEngine

        return HttpEngine(config)
    if config.kind == "vllm":
        from .engine_vllm import VllmEngine

        return VllmEngine(config)
    if config.kind == "transformers":
        from .engine_transformers import TransformersEngine

        return TransformersEngine(config)
    from .engine_echo import EchoEngine

    return EchoEngine(config)
