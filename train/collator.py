"""Rows of the common schema (train/data.py) -> one right-padded training batch with answer-only labels.

A long run must not die on one unreadable file: samples whose media the processor cannot decode are dropped with a
warning and counted, and so are samples longer than `max_length` (truncating would cut media placeholders). A batch
whose samples are all unusable is refilled with random other samples of the dataset, so that every process still
takes its step (DDP needs every rank to run backward). The counts travel in the batch as `dropped_samples`, which
`SAVEnVideoTrainer` pops and logs; `counts` keeps this process's totals too.
"""

from __future__ import annotations

import logging
import random
from collections import Counter

import torch

from savenvideo.processing.media_errors import VideoDecodeError

logger = logging.getLogger(__name__)

IGNORE_INDEX = -100
ASSISTANT_HEADER = "<|im_start|>assistant\n"
END_OF_TURN = "<|im_end|>"
DROP_REASONS = ("decode_error", "too_long")


def chat_messages(example: dict) -> list[dict]:
    """The processor's conversation for one row: the media item opens the first user turn."""
    media_pending = example["media"] is not None
    conversation = []
    for message in example["messages"]:
        content = [{"type": "text", "text": message["content"]}]
        if media_pending and message["role"] == "user":
            content.insert(0, {"type": example["modality"], "path": example["media"]})
            media_pending = False
        conversation.append({"role": message["role"], "content": content})
    return conversation


def answer_labels(input_ids: torch.Tensor, header: list[int], end_of_turn: int) -> torch.Tensor:
    """Labels that keep only the assistant's answers, each with its closing `<|im_end|>`; the rest is -100."""
    labels = torch.full_like(input_ids, IGNORE_INDEX)
    header_t = torch.tensor(header, device=input_ids.device)
    windows = input_ids.unfold(1, len(header), 1)  # [B, L - h + 1, h]
    for row, start in (windows == header_t).all(-1).nonzero().tolist():
        begin = start + len(header)
        ends = (input_ids[row, begin:] == end_of_turn).nonzero()
        stop = begin + int(ends[0]) + 1 if len(ends) else input_ids.size(1)
        labels[row, begin:stop] = input_ids[row, begin:stop]
    return labels


class SAVEnVideoCollator:
    """Processor + label masking + tolerance for broken media; runs inside the dataloader workers."""

    def __init__(self, processor, max_length: int | None = None, dataset=None, seed: int = 0, refill_tries: int = 16):
        self.processor = processor
        self.max_length = max_length
        self.dataset = dataset
        self.refill_tries = refill_tries
        self.rng = random.Random(seed)
        tokenizer = processor.tokenizer
        self.header = tokenizer.encode(ASSISTANT_HEADER, add_special_tokens=False)
        self.end_of_turn = tokenizer.convert_tokens_to_ids(END_OF_TURN)
        self.counts = Counter()  # this process's totals
        self.dropped = Counter()  # the current batch's

    def _process(self, examples: list[dict]):
        return self.processor.apply_chat_template(
            [chat_messages(example) for example in examples],
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
            padding_side="right",
        )

    def _decodable(self, examples: list[dict]) -> list[dict]:
        """The examples whose media decode; one processor call per example, only after a batch failed."""
        kept = []
        for example in examples:
            try:
                self._process([example])
            except VideoDecodeError as error:
                self._drop(example, "decode_error", error)
            else:
                kept.append(example)
        return kept

    def _drop(self, example: dict, reason: str, detail) -> None:
        self.counts[reason] += 1
        self.dropped[reason] += 1
        logger.warning("dropping sample %s (%s: %s); %d dropped so far", example["id"], reason, detail, self._total())

    def _total(self) -> int:
        return sum(self.counts[reason] for reason in DROP_REASONS)

    def _batch(self, examples: list[dict]):
        """The processed batch of the usable examples, or None when none is usable."""
        try:
            batch = self._process(examples)
        except VideoDecodeError:
            examples = self._decodable(examples)
            if not examples:
                return None
            batch = self._process(examples)
        if self.max_length is not None:
            lengths = batch["attention_mask"].sum(-1)
            keep = lengths <= self.max_length
            for example, length in zip(examples, lengths.tolist()):
                if length > self.max_length:
                    self._drop(example, "too_long", f"{length} > {self.max_length} tokens")
            if not keep.any():
                return None
            if not keep.all():
                batch = {key: value[keep] for key, value in batch.items()}
        longest = int(batch["attention_mask"].sum(-1).max())
        batch["input_ids"] = batch["input_ids"][:, :longest]
        batch["attention_mask"] = batch["attention_mask"][:, :longest]
        return batch

    def __call__(self, examples: list[dict]) -> dict:
        self.dropped = Counter()
        batch = self._batch(examples)
        for _ in range(self.refill_tries):
            if batch is not None:
                break
            if self.dataset is None or not hasattr(self.dataset, "__getitem__"):
                raise RuntimeError(
                    "every sample of a batch is unusable and there is no map-style dataset to refill from"
                )
            batch = self._batch([self.dataset[self.rng.randrange(len(self.dataset))] for _ in examples])
        if batch is None:
            raise RuntimeError(f"{self.refill_tries} refilled batches in a row were unusable: check the media files")
        labels = answer_labels(batch["input_ids"], self.header, self.end_of_turn)
        labels[batch["attention_mask"] == 0] = IGNORE_INDEX
        batch = dict(batch)
        batch["labels"] = labels
        batch["dropped_samples"] = torch.tensor([self.dropped[reason] for reason in DROP_REASONS])
        return batch
