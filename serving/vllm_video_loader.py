"""The ``savenvideo`` video loader of vLLM: hands the container on instead of decoding it (see ``video_items``).

Selected with ``--media-io-kwargs '{"video": {"video_backend": "savenvideo"}}'``. vLLM's frame-count and fps
options do not apply: SAVEnVideoProcessor samples the checkpoint's ``num_frames`` (change it with
``--mm-processor-kwargs '{"num_frames": N}'``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from vllm.multimodal.video import VideoLoader

from .video_items import container_item


class SAVEnVideoVideoLoader(VideoLoader):
    @classmethod
    def load_bytes(cls, data: bytes, **kwargs: Any) -> tuple[np.ndarray, dict[str, Any]]:
        return container_item(data)
