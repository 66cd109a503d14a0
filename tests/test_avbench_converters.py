"""Video-MME and MUSIC-AVQA converters on samples in their published layouts, and `convert-benchmark`."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from savenvideo.cli import main
from savenvideo.dataset_scripts.avbench_errors import ConversionError
from savenvideo.dataset_scripts.avbench_records import CHOOSE_TIME_RANGE, NO_TIMESTAMP, TIMESTAMP_IN_QUESTION
from savenvideo.dataset_scripts.convert_music_avqa import convert_music_avqa
from savenvideo.dataset_scripts.convert_videomme import convert_videomme
from savenvideo.dataset_scripts.hub_dataset import read_dataset_folder, validate_dataset_folder

DATA = Path(__file__).parent / "data"
VIDEOMME = DATA / "videomme"
MUSIC_AVQA = DATA / "music_avqa" / "avqa-test.json"


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def write_clip(path: Path, seconds: float = 2.0) -> Path:
    """A tiny silent H.264 clip of a known length."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    fps = 5
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = stream.height = 16
        stream.pix_fmt = "yuv420p"
        for index in range(int(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(np.full((16, 16, 3), index * 10, np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def test_videomme_sample_converts_to_records():
    converted = convert_videomme(VIDEOMME)
    records = {record.question_id: record for record in converted.records}
    assert list(records) == ["001-1", "001-2", "001-3", "301-1", "301-2", "301-3"]

    first = records["001-1"]
    assert first.options == ("Once.", "Twice.", "Three times.", "Four times.")
    assert (first.answer, first.video_id, first.source) == ("C", "001", "Video-MME")
    assert (first.video, first.duration, first.category) == ("videos/TESTvid0001.mp4", None, "Counting Problem")
    assert records["001-3"].question_type == TIMESTAMP_IN_QUESTION
    assert records["301-2"].question_type == CHOOSE_TIME_RANGE
    assert records["301-3"].question_type == NO_TIMESTAMP
    assert converted.media == {}


def test_videomme_videos_are_measured_and_copied(tmp_path):
    release = tmp_path / "Video-MME"
    shutil.copytree(VIDEOMME, release)
    write_clip(release / "data" / "TESTvid0002.mp4", seconds=2.0)

    converted = convert_videomme(release)
    durations = {record.video: record.duration for record in converted.records}
    assert durations["videos/TESTvid0002.mp4"] == pytest.approx(2.0, abs=0.3)
    assert durations["videos/TESTvid0001.mp4"] is None
    assert converted.media == {"videos/TESTvid0002.mp4": release / "data" / "TESTvid0002.mp4"}

    assert main(["convert-benchmark", "videomme", str(release), str(tmp_path / "out")]) == 0
    report = validate_dataset_folder(tmp_path / "out", require_media=False)
    assert report.missing_media == ("videos/TESTvid0001.mp4",)
    assert (tmp_path / "out" / "videos" / "TESTvid0002.mp4").is_file()
    card = (tmp_path / "out" / "README.md").read_text()
    assert "Video-MME in the AVBench record format" in card and "academic research only" in card


def test_videomme_wrong_layout_names_the_file_and_row(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = VIDEOMME / "videomme" / "test-00000-of-00001.parquet"
    rows = pq.read_table(source).to_pylist()
    rows[4]["options"] = ["A. one", "C. two", "B. three", "D. four"]
    bad = tmp_path / "bad.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=pq.read_schema(source)), bad)
    with pytest.raises(ConversionError, match=r"row 4: option 1 should start with 'B. '"):
        convert_videomme(bad)

    pq.write_table(pa.table({"question": ["q"]}), bad)
    with pytest.raises(ConversionError, match="missing field"):
        convert_videomme(bad)
    with pytest.raises(ConversionError, match="no videomme/\\*.parquet"):
        convert_videomme(tmp_path / "empty_dir_that_is_missing")


def test_music_avqa_sample_converts_to_multiple_choice():
    converted = convert_music_avqa(MUSIC_AVQA)
    records = {record.question_id: record for record in converted.records}
    assert sorted(records) == ["101", "102", "103", "104", "105", "201", "202", "301", "302"]
    assert dict(converted.skipped) == {
        "303": "marked question_deleted in the release",
        "401": "its template has a single answer in this file, so no option to choose",
    }

    counting = records["101"]
    assert counting.question == "How many instruments are sounding in the video?"
    assert len(counting.options) == 4 and set(counting.options) <= {"one", "two", "three", "four", "five"}
    assert counting.options[counting.answer_index] == "two"
    assert counting.category == "Audio/Counting" and counting.source == "MUSIC-AVQA"

    yes_no = records["202"]
    assert yes_no.question == "Is the piano in the video always playing?"
    assert sorted(yes_no.options) == ["no", "yes"] and yes_no.options[yes_no.answer_index] == "no"
    location = records["301"]
    assert location.question == "Where is the first sounding instrument?"
    assert sorted(location.options) == ["left", "right"]  # the deleted question's "middle" is not offered

    again = convert_music_avqa(MUSIC_AVQA)
    assert again.records == converted.records  # the option order is fixed by the question id
    answers = [record.answer for record in converted.records]
    assert len(set(answers)) > 1


def test_music_avqa_media_are_found_in_subfolders(tmp_path):
    write_clip(tmp_path / "media" / "MUSIC-AVQA-videos-Real" / "00000001.mp4", seconds=1.0)
    converted = convert_music_avqa(MUSIC_AVQA, media_dir=tmp_path / "media")
    found = [record for record in converted.records if record.video_id == "00000001"]
    assert found and all(record.duration == pytest.approx(1.0, abs=0.3) for record in found)
    assert set(converted.media) == {"videos/00000001.mp4"}

    out = tmp_path / "out"
    assert (
        main(["convert-benchmark", "music-avqa", str(MUSIC_AVQA), str(out), "--media-dir", str(tmp_path / "media")])
        == 0
    )
    kind, records = read_dataset_folder(out)
    assert kind == "avbench" and records == converted.records
    assert (out / "videos" / "00000001.mp4").is_file()


def test_music_avqa_wrong_layout_names_the_item(tmp_path, capsys):
    items = json.loads(MUSIC_AVQA.read_text())
    del items[2]["anser"]
    bad = tmp_path / "avqa-test.json"
    bad.write_text(json.dumps(items))
    with pytest.raises(ConversionError, match=r"item 2: not MUSIC-AVQA's layout: missing field\(s\) anser"):
        convert_music_avqa(bad)

    items = json.loads(MUSIC_AVQA.read_text())
    items[5]["templ_values"] = "[]"
    bad.write_text(json.dumps(items))
    with pytest.raises(ConversionError, match="item 5: question_content has 1 placeholder"):
        convert_music_avqa(bad)

    bad.write_text("{not json")
    assert main(["convert-benchmark", "music-avqa", str(bad), str(tmp_path / "out")]) == 1
    assert "is not JSON" in capsys.readouterr().err
