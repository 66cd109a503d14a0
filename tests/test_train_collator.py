"""The training collator on real clips: answer-only labels, broken media skipped and counted, never a dead batch."""

import json

import numpy as np
import pytest
import soundfile
import torch
from PIL import Image

from savenvideo.processing.tiny_tokenizer import build_tiny_tokenizer
from savenvideo.train.arguments import DatasetSource
from savenvideo.train.assemble import build_processor
from savenvideo.train.collator import IGNORE_INDEX, SAVEnVideoCollator
from savenvideo.train.data import load_source
from savenvideo.train.tiny_checkpoint import tiny_config


@pytest.fixture(scope="module")
def processor():
    return build_processor(tiny_config(), build_tiny_tokenizer())


@pytest.fixture(scope="module")
def rows(tmp_path_factory, synthetic_clip):
    """Two good clips, an image, a sound, a text-only sample, a corrupt file and an empty one; one turn each."""
    root = tmp_path_factory.mktemp("collator_media")
    records = []
    for index in range(2):
        path, timeline = synthetic_clip(seconds=2.0, seed=index, size=(64, 64), fps=8)
        (root / f"good{index}.mp4").symlink_to(path)
        answer = timeline.visual_at(0.0).describe()
        records.append(record(f"good{index}", "What is on screen at the start?", answer, video=f"good{index}.mp4"))
    Image.new("RGB", (48, 48), (230, 20, 20)).save(root / "red.png")
    t = np.arange(32000) / 16000
    soundfile.write(root / "tone.wav", 0.3 * np.sin(2 * np.pi * 440 * t), 16000)
    records.append(record("image", "What colour is it?", "red", image="red.png"))
    records.append(record("audio", "What is heard?", "a tone", audio="tone.wav"))
    records.append(record("text", "Say hi.", "hi"))
    (root / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    (root / "empty.mp4").write_bytes(b"")
    records.append(record("corrupt", "What is shown?", "nothing", video="corrupt.mp4"))
    records.append(record("empty", "What is heard?", "nothing", video="empty.mp4"))
    source = root / "train.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    dataset = load_source(DatasetSource(path=str(source)))
    return {row["id"]: row for row in dataset}, dataset


def record(sample_id, question, answer, **media):
    placeholder = "".join(f"<{kind}>\n" for kind in media)
    return {
        "id": sample_id,
        **media,
        "conversations": [{"from": "human", "value": placeholder + question}, {"from": "gpt", "value": answer}],
    }


def test_labels_keep_only_the_answers(processor, rows):
    by_id, _ = rows
    batch = SAVEnVideoCollator(processor)([by_id["good0"], by_id["good1"]])
    tokenizer = processor.tokenizer
    for index, sample in enumerate(("good0", "good1")):
        labels = batch["labels"][index]
        answer = by_id[sample]["messages"][1]["content"]
        assert tokenizer.decode(labels[labels != IGNORE_INDEX]) == f"{answer}<|im_end|>"
        kept = batch["input_ids"][index][labels != IGNORE_INDEX]
        assert processor.video_token_id not in kept.tolist()
    assert int((batch["input_ids"] == processor.video_token_id).sum()) == 2 * processor.num_video_tokens
    # right padding: the shorter sample ends in padding, which is never a target
    lengths = batch["attention_mask"].sum(-1)
    assert batch["attention_mask"][:, 0].all() and lengths.max() == batch["input_ids"].shape[1]
    assert (batch["labels"][batch["attention_mask"] == 0] == IGNORE_INDEX).all()


def test_images_are_one_frame_videos_and_audio_has_no_frames(processor, rows):
    by_id, _ = rows
    batch = SAVEnVideoCollator(processor)([by_id[key] for key in ("good0", "image", "audio", "text")])
    assert batch["video_frame_mask"].sum(-1).tolist() == [processor.num_frames, 1, 0, 0]
    assert batch["audio_window_mask"].any(-1).tolist() == [True, False, True, False]
    media_tokens = (batch["input_ids"] == processor.video_token_id).sum(-1)
    assert media_tokens.tolist() == [processor.num_video_tokens] * 3 + [0]
    labels = batch["labels"][2]
    assert processor.tokenizer.decode(labels[labels != IGNORE_INDEX]) == "a tone<|im_end|>"


def test_a_corrupt_video_is_skipped_and_counted(processor, rows, caplog):
    by_id, _ = rows
    collator = SAVEnVideoCollator(processor)
    batch = collator([by_id["good0"], by_id["corrupt"], by_id["good1"], by_id["empty"]])
    assert batch["input_ids"].shape[0] == 2 and batch["pixel_values_videos"].shape[0] == 2
    assert batch["dropped_samples"].tolist() == [2, 0]
    assert collator.counts["decode_error"] == 2
    assert "dropping sample corrupt" in caplog.text and "dropping sample empty" in caplog.text
    collator([by_id["corrupt"], by_id["good0"]])
    assert collator.counts["decode_error"] == 3  # the running total


def test_a_batch_of_only_broken_media_is_refilled(processor, rows):
    by_id, dataset = rows
    collator = SAVEnVideoCollator(processor, dataset=dataset, seed=0)
    batch = collator([by_id["corrupt"], by_id["empty"]])
    assert batch["input_ids"].shape[0] >= 1
    assert (batch["labels"] != IGNORE_INDEX).any()
    assert batch["dropped_samples"][0] >= 2


def test_a_broken_batch_without_a_dataset_to_refill_from_fails_clearly(processor, rows):
    by_id, _ = rows
    with pytest.raises(RuntimeError, match="refill"):
        SAVEnVideoCollator(processor)([by_id["corrupt"]])


def test_samples_longer_than_max_length_are_dropped_not_truncated(processor, rows):
    by_id, _ = rows
    full = SAVEnVideoCollator(processor)([by_id["good0"], by_id["good1"]])
    lengths = full["attention_mask"].sum(-1)
    collator = SAVEnVideoCollator(processor, max_length=int(lengths.min()))
    batch = collator([by_id["good0"], by_id["good1"]])
    kept = int(lengths.argmin())
    assert batch["input_ids"].shape == (1, int(lengths.min()))
    assert torch.equal(batch["input_ids"][0], full["input_ids"][kept, : int(lengths.min())])
    assert batch["dropped_samples"].tolist() == [0, 1]
