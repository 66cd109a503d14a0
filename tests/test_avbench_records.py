"""The AVBench record format: validation, the Features schema, question-type inference and safe video paths."""

import os

import pytest

from savenvideo.dataset_scripts.avbench_errors import RecordError, UnsafeVideoPathError
from savenvideo.dataset_scripts.avbench_records import (
    CHOOSE_TIME_RANGE,
    NO_TIMESTAMP,
    QA_FIELDS,
    TIMESTAMP_IN_QUESTION,
    AVBenchRecord,
    Segment,
    caption_features,
    infer_question_type,
    qa_features,
    resolve_video_path,
)


def row(**changes):
    base = {
        "video_id": "v1",
        "video": "videos/v1.mp4",
        "duration": 182.5,
        "source": "FineVideo",
        "question_id": "v1-q1",
        "question": "What sound accompanies the sunrise?",
        "options": ["Birdsong", "Traffic", "Rain", "Silence"],
        "answer": "A",
        "question_type": NO_TIMESTAMP,
        "category": None,
    }
    base.update(changes)
    return base


def test_a_valid_row_round_trips():
    record = AVBenchRecord.from_dict(row(), "test.jsonl row 0")
    assert record.options == ("Birdsong", "Traffic", "Rain", "Silence")
    assert record.answer_index == 0
    assert record.to_qa_row() == row()
    assert set(qa_features()) == set(QA_FIELDS)


def test_segments_are_kept_and_checked():
    segments = [
        {"start": 0.0, "end": 4.0, "visual_caption": "v", "audio_caption": "a", "audio_visual_caption": "av"},
        {"start": 4.0, "end": 9.5, "visual_caption": "v2", "audio_caption": "a2", "audio_visual_caption": "av2"},
    ]
    record = AVBenchRecord.from_dict(row(segments=segments), "x")
    assert record.segments[1] == Segment(4.0, 9.5, "v2", "a2", "av2")
    assert record.to_dict()["segments"] == segments
    assert set(caption_features()["segments"].feature) == set(segments[0])
    with pytest.raises(RecordError, match="sorted"):
        AVBenchRecord.from_dict(row(segments=segments[::-1]), "x")
    with pytest.raises(RecordError, match="after the video"):
        AVBenchRecord.from_dict(row(duration=5.0, segments=segments), "x")
    bad = dict(segments[0], end=-1.0)
    with pytest.raises(RecordError, match="start < end"):
        AVBenchRecord.from_dict(row(segments=[bad]), "x")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"answer": "E"}, "answer must be one of A, B, C, D"),
        ({"answer": "a"}, "answer must be one of"),
        ({"options": ["only one"]}, "needs 2 to 4 options"),
        ({"options": ["a", "b", "c", "d", "e"]}, "needs 2 to 4 options"),
        ({"options": ["Rain", "rain ", "Sun", "Wind"]}, "same text"),
        ({"options": ["x", ""]}, "non-empty strings"),
        ({"options": "Birdsong"}, "options must be a list"),
        ({"answer": "C", "options": ["yes", "no"]}, "answer must be one of A, B"),
        ({"question_type": "temporal"}, "question_type must be one of"),
        ({"duration": -3.0}, "duration must be a positive"),
        ({"duration": float("nan")}, "duration must be a positive"),
        ({"duration": True}, "duration must be a positive"),
        ({"question": "  "}, "question must be a non-empty string"),
        ({"question_id": 7}, "question_id must be a non-empty string"),
        ({"surprise": 1}, "unknown field"),
    ],
)
def test_bad_rows_name_the_file_and_the_reason(changes, reason):
    with pytest.raises(RecordError, match=reason) as caught:
        AVBenchRecord.from_dict(row(**changes), "data/test.parquet row 12")
    assert caught.value.where == "data/test.parquet row 12"
    assert str(caught.value).startswith("data/test.parquet row 12: ")


def test_missing_fields_are_listed():
    incomplete = row()
    del incomplete["answer"], incomplete["options"]
    with pytest.raises(RecordError, match="missing field.*options, answer"):
        AVBenchRecord.from_dict(incomplete, "f.jsonl row 3")


def test_duration_may_be_unknown():
    assert AVBenchRecord.from_dict(row(duration=None), "x").duration is None


@pytest.mark.parametrize(
    ("video", "reason"),
    [
        ("../secret.mp4", "contains '..'"),
        ("videos/../../etc/passwd", "contains '..'"),
        ("/etc/passwd", "is absolute"),
        ("C:/videos/a.mp4", "no drive"),
        ("videos\\a.mp4", "'/' separators"),
        ("", "non-empty relative path"),
        (".", "names no file"),
        ("a\x00b.mp4", "NUL"),
    ],
)
def test_unsafe_video_paths_are_refused_in_rows(video, reason):
    with pytest.raises(UnsafeVideoPathError, match=reason) as caught:
        AVBenchRecord.from_dict(row(video=video), "data/test.parquet row 4")
    assert caught.value.where == "data/test.parquet row 4"


def test_resolve_video_path_stays_inside_the_root(tmp_path):
    root = tmp_path / "dataset"
    (root / "videos").mkdir(parents=True)
    (root / "videos" / "a.mp4").write_bytes(b"")
    assert resolve_video_path("videos/a.mp4", root) == (root / "videos" / "a.mp4").resolve()
    assert resolve_video_path("./videos/b.mp4", root) == (root / "videos" / "b.mp4").resolve()
    with pytest.raises(UnsafeVideoPathError, match="contains '..'"):
        resolve_video_path("../dataset/videos/a.mp4", root)
    with pytest.raises(UnsafeVideoPathError, match="is absolute"):
        resolve_video_path(str(root / "videos" / "a.mp4"), root)


def test_symlinks_that_escape_the_root_are_refused(tmp_path):
    root = tmp_path / "dataset"
    (root / "videos").mkdir(parents=True)
    outside = tmp_path / "outside.mp4"
    outside.write_bytes(b"private")
    os.symlink(outside, root / "videos" / "escape.mp4")
    os.symlink(tmp_path, root / "linked_dir")
    (root / "videos" / "real.mp4").write_bytes(b"")
    os.symlink(root / "videos" / "real.mp4", root / "videos" / "alias.mp4")

    with pytest.raises(UnsafeVideoPathError, match="outside the dataset root") as caught:
        resolve_video_path("videos/escape.mp4", root, "data/test.parquet row 0")
    assert caught.value.where == "data/test.parquet row 0"
    with pytest.raises(UnsafeVideoPathError, match="outside the dataset root"):
        resolve_video_path("linked_dir/outside.mp4", root)
    with pytest.raises(UnsafeVideoPathError, match="question 'v1-q1'"):
        AVBenchRecord.from_dict(row(video="videos/escape.mp4"), "x").video_path(root)
    assert resolve_video_path("videos/alias.mp4", root) == (root / "videos" / "real.mp4").resolve()


@pytest.mark.parametrize(
    ("question", "options", "expected"),
    [
        ("What is the overall mood of the training camp?", ["calm", "tense", "joyful", "sad"], NO_TIMESTAMP),
        ("At 00:03:57.480, what combination of sounds is heard?", ["a", "b", "c", "d"], TIMESTAMP_IN_QUESTION),
        ("From 05:53 to 08:07, how does the music change?", ["a", "b", "c", "d"], TIMESTAMP_IN_QUESTION),
        ("What happens in the first 30 seconds?", ["a", "b", "c", "d"], TIMESTAMP_IN_QUESTION),
        ("How many of the 3 singers are women?", ["1", "2", "3", "0"], NO_TIMESTAMP),
        (
            "Which time range shows the group preparing to swim?",
            ["00:10:28.120 - 00:11:52.840", "00:01:30 - 00:03:57", "from 3:57 to 5:53", "08:07 – 10:28"],
            CHOOSE_TIME_RANGE,
        ),
    ],
)
def test_question_type_is_inferred_from_wording(question, options, expected):
    assert infer_question_type(question, options) == expected
