"""Fold a LoRA adapter (and its `modules_to_save`) into the base model: one Hub-ready checkpoint.

Everything loads through the Auto classes with remote code, as a Hub user would, so the merged folder gets the
modeling and processing code files next to the weights and loads with
`AutoModel.from_pretrained(out, trust_remote_code=True)` without this package installed.
"""

from __future__ import annotations

from pathlib import Path

from peft import PeftModel
from transformers import AutoModel, AutoProcessor

PROCESSOR_FILES = ("processor_config.json", "preprocessor_config.json", "tokenizer_config.json")


def export_checkpoint(trained: str | Path, out: str | Path) -> Path:
    """A fully trained model (no adapter) written as `merge_adapter` writes merged ones: through the Auto classes,
    so the folder gets the remote code next to the weights."""
    out = Path(out)
    AutoModel.from_pretrained(trained, trust_remote_code=True, dtype="auto").save_pretrained(out)
    AutoProcessor.from_pretrained(trained, trust_remote_code=True).save_pretrained(out)
    return out


def merge_adapter(base: str | Path, adapter: str | Path, out: str | Path) -> Path:
    """Write base + adapter, merged, with the processor (the adapter's copy if training saved one) to `out`."""
    out = Path(out)
    model = AutoModel.from_pretrained(base, trust_remote_code=True, dtype="auto")
    merged = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    merged.save_pretrained(out)
    processor_source = adapter if any((Path(adapter) / name).exists() for name in PROCESSOR_FILES) else base
    AutoProcessor.from_pretrained(processor_source, trust_remote_code=True).save_pretrained(out)
    return out
