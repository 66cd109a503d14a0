"""Hub dataset folders: write -> datasets.load_dataset round trip, validation before upload, push-dataset with a
patched HfApi (nothing reaches the Hub)."""

import os
from unittest import mock

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from savenvideo.cli import main
from savenvideo.dataset_scripts.avbench_errors import DatasetFolderError, UnsafeVideoPathError
from savenvideo.dataset_scripts.avbench_records import QUESTION_TYPES, AVBenchRecord, Segment
from savenvideo.dataset_scripts.hub_dataset import (
    push_dataset_folder,
    read_dataset_folder,
    validate_dataset_folder,
    write_dataset_folder,
)


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def make_records(with_segments=False, count=6):
    records = []
    for index in range(count):
        video = index // 2
        segments = None
        if with_segments:
            segments = (
                Segment(0.0, 12.5, f"visual {video}", f"audio {video}", f"fused {video}"),
                Segment(12.5, 40.0, "a stage", "applause", "the crowd applauds the band"),
            )
        records.append(
            AVBenchRecord(
                video_id=f"vid{video}",
                video=f"videos/vid{video}.mp4",
                duration=[95.0, 400.0, None][video % 3],
                source=["FineVideo", "VGGSound", "MovieChat"][video % 3],
                question_id=f"vid{video}-q{index}",
                question=f"What is heard while the drummer plays? ({index})",
                options=("Cheering", "Rain", "A siren", "Silence") if index % 3 else ("yes", "no"),
                answer="AB"[index % 2],
                question_type=QUESTION_TYPES[index % 3],
                category=None if index % 2 else "Audio-Visual/Counting",
                segments=segments,
            )
        )
    return records


def make_media(root, records):
    for video in {record.video for record in records}:
        path = root / video
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not really a video")


def test_avbench_folder_round_trips_through_load_dataset(tmp_path):
    from datasets import load_dataset

    records = make_records()
    make_media(tmp_path / "media", records)
    out = write_dataset_folder(records, tmp_path / "AVBench", kind="avbench", copy_media_from=tmp_path / "media")

    loaded = load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    assert list(loaded) == ["test"]
    assert loaded["test"].to_list() == [record.to_qa_row() for record in records]
    assert (out / "videos" / "vid0.mp4").read_bytes() == b"not really a video"

    card = (out / "README.md").read_text()
    assert "6 questions about 3 videos" in card and "| choose_time_range | 2 |" in card
    assert "$" not in card.split("```bibtex")[0]
    kind, read_back = read_dataset_folder(out)
    assert (kind, read_back) == ("avbench", records)


def test_savenvid_folder_has_captions_and_qa_configs(tmp_path):
    from datasets import load_dataset

    records = make_records(with_segments=True)
    out = write_dataset_folder(records, tmp_path / "SAVEn-Vid", kind="savenvid")

    qa = load_dataset(str(out), "qa", cache_dir=str(tmp_path / "cache"))
    captions = load_dataset(str(out), "captions", cache_dir=str(tmp_path / "cache"))
    assert list(qa) == ["train"] and list(captions) == ["train"]
    assert qa["train"].to_list() == [record.to_qa_row() for record in records]
    caption_rows = captions["train"].to_list()
    assert [row["video_id"] for row in caption_rows] == ["vid0", "vid1", "vid2"]
    assert caption_rows[1]["segments"][0] == {
        "start": 0.0,
        "end": 12.5,
        "visual_caption": "visual 1",
        "audio_caption": "audio 1",
        "audio_visual_caption": "fused 1",
    }
    assert read_dataset_folder(out) == ("savenvid", records)


def test_writer_refuses_bad_input(tmp_path):
    records = make_records()
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("x")
    with pytest.raises(DatasetFolderError, match="not empty"):
        write_dataset_folder(records, tmp_path / "busy")
    with pytest.raises(DatasetFolderError, match="question_id repeated: vid0-q0"):
        write_dataset_folder(records + records[:1], tmp_path / "dup")
    with pytest.raises(DatasetFolderError, match="no record carries segments"):
        write_dataset_folder(records, tmp_path / "nocaptions", kind="savenvid")
    with pytest.raises(DatasetFolderError, match="carry no segments"):
        write_dataset_folder(make_records(with_segments=True), tmp_path / "seg", kind="avbench")
    with pytest.raises(DatasetFolderError, match="vid0.mp4' named by the records is not there"):
        write_dataset_folder(records, tmp_path / "nomedia", copy_media_from=tmp_path)
    with pytest.raises(ValueError, match="kind must be one of"):
        write_dataset_folder(records, tmp_path / "x", kind="videomme")


def test_a_row_whose_video_climbs_out_is_refused_when_reading(tmp_path):
    out = write_dataset_folder(make_records(), tmp_path / "AVBench")
    data = out / "data" / "test.parquet"
    rows = pq.read_table(data).to_pylist()
    rows[3]["video"] = "../../outside.mp4"
    pq.write_table(pa.Table.from_pylist(rows, schema=pq.read_schema(data)), data)
    with pytest.raises(UnsafeVideoPathError, match="contains '..'") as caught:
        read_dataset_folder(out)
    assert caught.value.where == f"{data} row 3"


def test_validation_checks_media_and_symlink_escapes(tmp_path):
    records = make_records()
    out = write_dataset_folder(records, tmp_path / "AVBench")
    with pytest.raises(DatasetFolderError, match="3 referenced video"):
        validate_dataset_folder(out)
    report = validate_dataset_folder(out, require_media=False)
    assert report.kind == "avbench" and report.num_videos == 3
    assert report.missing_media == ("videos/vid0.mp4", "videos/vid1.mp4", "videos/vid2.mp4")

    make_media(out, records[2:])
    outside = tmp_path / "outside.mp4"
    outside.write_bytes(b"")
    os.symlink(outside, out / "videos" / "vid0.mp4")
    with pytest.raises(UnsafeVideoPathError, match="outside the dataset root"):
        validate_dataset_folder(out)


def test_validation_refuses_a_folder_without_card_or_configs(tmp_path):
    out = write_dataset_folder(make_records(), tmp_path / "AVBench")
    card = out / "README.md"
    card.write_text(card.read_text().replace("path: data/test.parquet", "path: data/other.parquet"))
    with pytest.raises(DatasetFolderError, match="match no known layout"):
        validate_dataset_folder(out, require_media=False)
    card.write_text("# no front matter\n")
    with pytest.raises(DatasetFolderError, match="no YAML front matter"):
        validate_dataset_folder(out, require_media=False)
    card.unlink()
    with pytest.raises(DatasetFolderError, match="README.md: missing"):
        validate_dataset_folder(out, require_media=False)


def test_push_validates_then_creates_repo_and_uploads(tmp_path):
    records = make_records()
    make_media(tmp_path / "media", records)
    out = write_dataset_folder(records, tmp_path / "AVBench", copy_media_from=tmp_path / "media")
    api = mock.Mock()

    push_dataset_folder(out, "me/AVBench", private=True, revision="v1", api=api)

    api.create_repo.assert_called_once_with("me/AVBench", repo_type="dataset", private=True, exist_ok=True)
    api.create_branch.assert_called_once_with("me/AVBench", repo_type="dataset", branch="v1", exist_ok=True)
    api.upload_folder.assert_called_once()
    upload = api.upload_folder.call_args.kwargs
    assert upload["repo_id"] == "me/AVBench" and upload["repo_type"] == "dataset"
    assert upload["folder_path"] == str(out) and upload["revision"] == "v1"
    assert "6 questions, 3 videos" in upload["commit_message"]


def test_push_dataset_command_with_patched_hfapi(tmp_path, capsys):
    records = make_records()
    out = write_dataset_folder(records, tmp_path / "AVBench")
    with mock.patch("huggingface_hub.HfApi") as hf_api:
        hf_api.return_value.upload_folder.return_value.commit_url = "https://hub.example/commit/abc"
        assert main(["push-dataset", str(out), "me/AVBench"]) == 1  # videos missing: nothing is uploaded
        assert hf_api.return_value.upload_folder.call_count == 0
        assert "referenced video(s) are missing" in capsys.readouterr().err

        assert main(["push-dataset", str(out), "me/AVBench", "--metadata-only"]) == 0
    api = hf_api.return_value
    api.create_repo.assert_called_once_with("me/AVBench", repo_type="dataset", private=None, exist_ok=True)
    api.create_branch.assert_not_called()
    assert api.upload_folder.call_args.kwargs["revision"] is None
    assert "https://hub.example/commit/abc" in capsys.readouterr().out
