"""The vLLM plugin entry point (``vllm.general_plugins``): registers SAVEnVideo's model class and video loader.

vLLM calls ``register()`` in every process it starts (API server, engine core, workers), possibly more than once.
Only this function imports vLLM, so installing the plugin costs nothing to a process that never serves.
"""

from __future__ import annotations

from .video_items import LOADER_NAME

ARCHITECTURE = "SAVEnVideoForConditionalGeneration"  # `architectures` in a SAVEnVideo checkpoint's config.json
MODEL_CLASS = "savenvideo.serving.vllm_model:VllmSAVEnVideoForConditionalGeneration"


def register() -> None:
    """Make ``vllm serve`` accept SAVEnVideo checkpoints and offer the ``savenvideo`` video loader."""
    from vllm import ModelRegistry
    from vllm.multimodal.video import VIDEO_LOADER_REGISTRY

    if ARCHITECTURE not in ModelRegistry.get_supported_archs():
        # A "module:Class" string: the model module (torch, CUDA) is imported only where a model is built.
        ModelRegistry.register_model(ARCHITECTURE, MODEL_CLASS)
    if LOADER_NAME not in VIDEO_LOADER_REGISTRY.name2class:
        from .vllm_video_loader import SAVEnVideoVideoLoader

        VIDEO_LOADER_REGISTRY.register(LOADER_NAME)(SAVEnVideoVideoLoader)
