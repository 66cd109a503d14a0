"""Decode each clip once per training run: the processor's media work, remembered per clip.

A benchmark asks several questions about each clip and training visits every question many times, but a clip's
frames and audio features never change, so decoding and the Kaldi filterbank (two thirds of the processor's time
on a CPU) need to run once per clip, not once per visit. :func:`remember_media` makes one processor instance
remember both while the ``with`` block runs; its outputs are unchanged (``tests/test_demo.py`` checks it), and
it is restored afterwards, so it saves as it always does. Only files are remembered, by path; in-memory inputs go
through as before.
"""

import hashlib
from contextlib import contextmanager

import numpy as np
import torch


class _RememberedFeatures:
    """Wraps a feature extractor: clips already seen return their stored filterbank instead of a new one."""

    def __init__(self, extractor):
        self._extractor = extractor
        self._features: dict[bytes, tuple[torch.Tensor, torch.Tensor]] = {}

    def __getattr__(self, name):
        if name == "_extractor":  # not set yet (a copy under construction): do not recurse
            raise AttributeError(name)
        return getattr(self._extractor, name)

    def __call__(self, clips, **kwargs):
        from transformers import BatchFeature

        keys = [hashlib.blake2b(np.ascontiguousarray(clip).tobytes(), digest_size=16).digest() for clip in clips]
        missing = list({key: i for i, key in enumerate(keys) if key not in self._features}.values())
        if missing:
            computed = self._extractor([clips[i] for i in missing], **kwargs)
            for row, i in enumerate(missing):
                self._features[keys[i]] = (computed["input_features"][row], computed["attention_mask"][row])
        return BatchFeature(
            {
                "input_features": torch.stack([self._features[key][0] for key in keys]),
                "attention_mask": torch.stack([self._features[key][1] for key in keys]),
            }
        )


@contextmanager
def remembered_media(processor):
    """Within the block, ``processor`` decodes every media file and computes each audio window's features once."""
    load, extractor = processor._load_media, processor.feature_extractor
    decoded = {}

    def load_once(kind, item, *settings, **options):
        if not isinstance(item, str):
            return load(kind, item, *settings, **options)
        key = (kind, item, *settings)
        if key not in decoded:
            decoded[key] = load(kind, item, *settings, **options)
        return decoded[key]

    processor._load_media = load_once
    processor.feature_extractor = _RememberedFeatures(extractor)
    try:
        yield processor
    finally:
        del processor._load_media  # the class's method again
        processor.feature_extractor = extractor
