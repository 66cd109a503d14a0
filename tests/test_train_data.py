"""Training data: record layouts, media path safety, weighted mixtures, answer-only labels."""

import json
from collections import Counter

import pytest
import torch
from datasets import Dataset, Features, Value, Video

from savenvideo.dataset_scripts.eval_prompt import question_prompt
from savenvideo.processing.tiny_tokenizer import build_tiny_tokenizer
from savenvideo.train.arguments import DatasetSource
from savenvideo.train.batching import accumulation_steps
from savenvideo.train.checkpoints import last_complete_checkpoint, resolve_resume
from savenvideo.train.collator import ASSISTANT_HEADER, END_OF_TURN, IGNORE_INDEX, answer_labels, chat_messages
from savenvideo.train.data import load_mixture, load_source, resolve_media

TEXT = {"question": Value("string"), "answer": Value("string")}


def write_jsonl(path, records, media_root=None, media=True):
    """A conversation file and, with ``media``, empty stand-ins for the files it names (under ``media_root``)."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    for record in records if media else ():
        for key in ("video", "image", "audio"):
            if key in record:
                target = (media_root or path.parent) / record[key]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.touch()
    return path


def llava(i, media="video", path="a.mp4"):
    return {
        "id": f"s{i}",
        media: path,
        "conversations": [
            {"from": "human", "value": f"<{media}>\nQuestion {i}?"},
            {"from": "gpt", "value": f"Answer {i}."},
        ],
    }


@pytest.mark.parametrize("escape", ["../secret.mp4", "clips/../../secret.mp4", "/etc/passwd", ".."])
def test_media_paths_may_not_escape_the_media_root(tmp_path, escape):
    with pytest.raises(ValueError, match="escapes"):
        resolve_media(escape, tmp_path)
    source = write_jsonl(tmp_path / "train.jsonl", [llava(0), llava(1, path=escape)])
    with pytest.raises(ValueError, match="escapes"):
        load_source(DatasetSource(path=str(source)))


def test_media_paths_resolve_under_the_root_lexically(tmp_path):
    assert resolve_media("clips/./x/../a.mp4", tmp_path) == str(tmp_path / "clips" / "a.mp4")


def test_llava_records_become_messages_with_modality(tmp_path):
    records = [llava(0, "video"), llava(1, "image", "b.jpg"), llava(2, "audio", "c.wav")]
    records.append({"id": "t", "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]})
    source = write_jsonl(tmp_path / "train.jsonl", records, media_root=tmp_path / "media")
    rows = load_source(DatasetSource(path=str(source), media_root=str(tmp_path / "media")))
    assert [r["modality"] for r in rows] == ["video", "image", "audio", "text"]
    assert rows[0]["media"] == str(tmp_path / "media" / "a.mp4") and rows[3]["media"] is None
    assert rows[1]["messages"] == [
        {"role": "user", "content": "Question 1?"},
        {"role": "assistant", "content": "Answer 1."},
    ]


def test_question_records_become_multiple_choice_conversations(tmp_path):
    record = {"video": "v.mp4", "question": "Which sound?", "options": ["a tone", "a chirp"], "answer": "B"}
    source = write_jsonl(tmp_path / "avbench.jsonl", [record])
    (row,) = load_source(DatasetSource(path=str(source)))
    assert row["messages"][0]["content"] == question_prompt("Which sound?", ["a tone", "a chirp"])
    assert "A. a tone\nB. a chirp" in row["messages"][0]["content"]
    assert row["messages"][1] == {"role": "assistant", "content": "B"}
    assert row["id"] == "avbench-0"


def test_question_records_can_be_answered_with_the_option_text(tmp_path):
    record = {"video": "v.mp4", "question": "Which sound?", "options": ["a tone", "a chirp"], "answer": "B"}
    source = write_jsonl(tmp_path / "avbench.jsonl", [record])
    (row,) = load_source(DatasetSource(path=str(source), answer_with="option"))
    assert row["messages"][0]["content"] == question_prompt("Which sound?", ["a tone", "a chirp"], "option")
    assert row["messages"][1] == {"role": "assistant", "content": "a chirp"}
    with pytest.raises(ValueError, match="answer_with"):
        DatasetSource(path=str(source), answer_with="number")


def test_saved_datasets_load_with_relative_paths_and_refuse_embedded_bytes(tmp_path, synthetic_clip):
    rows = {"video": ["clips/v.mp4"], "question": ["What happens?"], "answer": ["A shape moves."]}
    Dataset.from_dict(rows).save_to_disk(tmp_path / "saved")
    (tmp_path / "saved" / "clips").mkdir()
    (tmp_path / "saved" / "clips" / "v.mp4").touch()
    (row,) = load_source(DatasetSource(path=str(tmp_path / "saved")))
    assert row["media"] == str(tmp_path / "saved" / "clips" / "v.mp4") and row["modality"] == "video"
    assert row["messages"] == [
        {"role": "user", "content": "What happens?"},
        {"role": "assistant", "content": "A shape moves."},
    ]
    path, _ = synthetic_clip(seconds=1.0, size=(64, 64), fps=8)
    embedded = Dataset.from_dict({**rows, "video": [str(path)]}, features=Features({"video": Video(), **TEXT}))
    embedded.save_to_disk(tmp_path / "embedded")  # copies the file's bytes into the dataset
    with pytest.raises(ValueError, match="bytes"):
        load_source(DatasetSource(path=str(tmp_path / "embedded")))


def test_a_source_whose_media_are_all_missing_stops_before_training(tmp_path):
    """A mistyped media root must not leave the run training on the other sources alone."""
    source = write_jsonl(tmp_path / "train.jsonl", [llava(i, path=f"v{i}.mp4") for i in range(3)], media=False)
    with pytest.raises(FileNotFoundError, match=r"'train': none of its 3 media files exists .*v0\.mp4"):
        load_source(DatasetSource(path=str(source), media_root=str(tmp_path / "elsewhere")))


def test_a_few_missing_media_are_warned_about_and_left_to_the_collator(tmp_path, caplog):
    source = write_jsonl(tmp_path / "train.jsonl", [llava(i, path=f"v{i}.mp4") for i in range(4)])
    (tmp_path / "v2.mp4").unlink()
    with caplog.at_level("WARNING", logger="savenvideo.train.data"):
        rows = load_source(DatasetSource(path=str(source)))
    assert len(rows) == 4
    assert "1 of 4 media files are missing" in caplog.text and "v2.mp4" in caplog.text


def test_a_record_with_two_media_is_refused(tmp_path):
    record = {**llava(0), "audio": "a.wav"}
    with pytest.raises(ValueError, match="several media"):
        load_source(DatasetSource(path=str(write_jsonl(tmp_path / "x.jsonl", [record]))))


def test_mixture_weights_are_respected_and_seeded(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", [llava(i, path=f"a{i}.mp4") for i in range(400)])
    b = write_jsonl(tmp_path / "b.jsonl", [llava(i, path=f"b{i}.mp4") for i in range(400)])
    sources = [DatasetSource(path=str(a), weight=3.0), DatasetSource(path=str(b), weight=1.0)]
    mixed = load_mixture(sources, seed=1, stopping_strategy="first_exhausted")
    share = Counter(row["media"].rsplit("/", 1)[1][0] for row in mixed)
    assert 0.70 < share["a"] / (share["a"] + share["b"]) < 0.80
    assert load_mixture(sources, seed=1, stopping_strategy="first_exhausted")["id"] == mixed["id"]
    assert load_mixture(sources, seed=2, stopping_strategy="first_exhausted")["id"] != mixed["id"]


def test_zero_weight_parts_are_left_out_and_negative_ones_refused(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", [llava(i) for i in range(3)])
    b = write_jsonl(tmp_path / "b.jsonl", [llava(i) for i in range(5)])
    assert len(load_mixture([DatasetSource(str(a)), DatasetSource(str(b), weight=0)])) == 3
    with pytest.raises(ValueError, match="non-negative"):
        load_mixture([DatasetSource(str(a)), DatasetSource(str(b), weight=-1)])


def test_labels_keep_only_the_answers_and_their_end_of_turn():
    tokenizer = build_tiny_tokenizer()
    conversation = [
        {"role": "user", "content": "What is on screen?"},
        {"role": "assistant", "content": "a plain red screen"},
        {"role": "user", "content": "Which sound?"},
        {"role": "assistant", "content": "a tone"},
    ]
    ids = tokenizer.apply_chat_template(conversation, tokenize=True, return_dict=True)["input_ids"]
    input_ids = torch.tensor([ids + [tokenizer.pad_token_id or 0] * 3])
    header = tokenizer.encode(ASSISTANT_HEADER, add_special_tokens=False)
    labels = answer_labels(input_ids, header, tokenizer.convert_tokens_to_ids(END_OF_TURN))
    kept = labels[0][labels[0] != IGNORE_INDEX]
    assert tokenizer.decode(kept) == "a plain red screen<|im_end|>a tone<|im_end|>"
    assert (labels[0, -3:] == IGNORE_INDEX).all()  # the padding after the last <|im_end|>


def test_an_answer_cut_short_is_labelled_to_the_end():
    tokenizer = build_tiny_tokenizer()
    text = "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nred"
    input_ids = torch.tensor([tokenizer.encode(text, add_special_tokens=False)])
    header = tokenizer.encode(ASSISTANT_HEADER, add_special_tokens=False)
    labels = answer_labels(input_ids, header, tokenizer.convert_tokens_to_ids(END_OF_TURN))
    assert tokenizer.decode(labels[0][labels[0] != IGNORE_INDEX]) == "red"


def test_the_media_item_opens_the_first_user_turn():
    row = {
        "id": "x",
        "media": "/m/a.mp4",
        "modality": "video",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Q1"},
            {"role": "assistant", "content": "A1"},
            {"role": "user", "content": "Q2"},
        ],
    }
    conversation = chat_messages(row)
    assert conversation[1]["content"] == [{"type": "video", "path": "/m/a.mp4"}, {"type": "text", "text": "Q1"}]
    assert conversation[3]["content"] == [{"type": "text", "text": "Q2"}]


def test_global_batch_fixes_the_accumulation():
    assert accumulation_steps(512, 16, 8) == 4
    assert accumulation_steps(1024, 8, 8) == 16
    assert accumulation_steps(1024, 8, 16) == 8
    with pytest.raises(ValueError, match="multiple"):
        accumulation_steps(512, 12, 8)


def test_resume_skips_a_checkpoint_the_kill_interrupted(tmp_path):
    for step, complete in ((2, True), (4, True), (6, False)):
        (tmp_path / f"checkpoint-{step}").mkdir()
        if complete:
            (tmp_path / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
    assert last_complete_checkpoint(tmp_path) == str(tmp_path / "checkpoint-4")
    assert resolve_resume("last", tmp_path) == resolve_resume("true", tmp_path) == str(tmp_path / "checkpoint-4")
    assert resolve_resume(None, tmp_path) is None
    assert resolve_resume("last", tmp_path / "fresh") is None


def test_a_rewritten_local_dataset_folder_is_read_afresh(tmp_path):
    """datasets caches local folders by name; a regenerated folder must not be served stale."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from savenvideo.train.arguments import DatasetSource
    from savenvideo.train.data import _read

    folder = tmp_path / "mc"
    (folder / "data").mkdir(parents=True)
    (folder / "README.md").write_text(
        "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train.parquet\n---\n"
    )
    pq.write_table(pa.table({"question": ["first"]}), folder / "data" / "train.parquet")
    assert _read(DatasetSource(path=str(folder)))["question"] == ["first"]
    pq.write_table(pa.table({"question": ["again"]}), folder / "data" / "train.parquet")
    assert _read(DatasetSource(path=str(folder)))["question"] == ["again"]
