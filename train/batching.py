"""The paper's global batch (512 for alignment, 1,024 for fine-tuning) on any number of GPUs.

global batch = per_device_train_batch_size x gradient_accumulation_steps x world size
"""

from __future__ import annotations


def accumulation_steps(global_batch_size: int, per_device_batch_size: int, world_size: int) -> int:
    per_step = per_device_batch_size * world_size
    if global_batch_size % per_step:
        raise ValueError(
            f"global batch {global_batch_size} is not a multiple of per-device batch {per_device_batch_size} x "
            f"{world_size} processes; change per_device_train_batch_size"
        )
    return global_batch_size // per_step
