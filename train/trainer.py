"""`SFTTrainer` that logs how many samples the collator dropped, summed over all processes."""

from __future__ import annotations

import torch
from trl import SFTTrainer

from .collator import DROP_REASONS


class SAVEnVideoTrainer(SFTTrainer):
    """Pops the collator's `dropped_samples` before the forward and logs the running totals (like `num_tokens`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._dropped_totals = torch.zeros(len(DROP_REASONS), dtype=torch.long)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        dropped = inputs.pop("dropped_samples", None)
        if dropped is not None and model.training:
            self._dropped_totals += self.accelerator.gather_for_metrics(dropped.view(1, -1)).sum(0).cpu()
            for reason, total in zip(DROP_REASONS, self._dropped_totals.tolist()):
                self._metrics["train"][f"dropped_{reason}"] = [total]
        return super().compute_loss(
            model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch
        )
