"""The whole pipeline on tiny synthetic videos with the echo engine: dataset folders that `datasets` loads,
failures counted with reasons, resuming, shards, audio chunking on a 95 s track and a real shot detector."""

import dataclasses
import json
import shutil

import pyarrow.parquet as pq
import pytest
import yaml

from savenvideo.cli import main
from savenvideo.dataset_scripts import pipeline_dry_run
from savenvideo.dataset_scripts.avbench_records import QUESTION_TYPES
from savenvideo.dataset_scripts.engine_echo import EchoEngine
from savenvideo.dataset_scripts.engine_messages import AudioClip, message_parts
from savenvideo.dataset_scripts.hub_dataset import validate_dataset_folder
from savenvideo.dataset_scripts.pipeline_config import PipelineConfig, PipelineConfigError
from savenvideo.dataset_scripts.pipeline_run import RunOptions, build_dataset
from savenvideo.dataset_scripts.pipeline_times import parse_range
from savenvideo.dataset_scripts.synthetic import ClipOptions, random_timeline, write_clip

DRY = "savenvideo.dataset_scripts.pipeline_dry_run:reply"
SETTINGS = {
    "segmentation": {"backend": "uniform", "uniform_seconds": 1.5},
    "captions": {"audio_chunk_seconds": 1.0},
    "engines": {role: {"kind": "echo", "reply": DRY} for role in ("visual", "audio", "text")},
    "export": {"kinds": ["savenvid", "avbench"], "source": "synthetic"},
}


class Recorder(EchoEngine):
    def __init__(self, reply=pipeline_dry_run.reply):
        super().__init__(reply=reply)
        self.requests = []

    def generate(self, requests):
        self.requests.extend(requests)
        return super().generate(requests)


@pytest.fixture(scope="module")
def collection(tmp_path_factory, synthetic_clip):
    """Three 6 s clips with sound (one in a sub-folder), one without sound and one broken file."""
    root = tmp_path_factory.mktemp("videos")
    (root / "sub").mkdir()
    for seed, name in [(1, "a.mp4"), (2, "b.mp4"), (3, "sub/c.mp4")]:
        shutil.copy(synthetic_clip(seconds=6.0, seed=seed)[0], root / name)
    shutil.copy(synthetic_clip(seconds=6.0, seed=4, audio=False)[0], root / "silent.mp4")
    (root / "broken.mp4").write_bytes(b"not a video at all")
    return root


def write_config(path, **changes):
    settings = json.loads(json.dumps(SETTINGS))
    for section, values in changes.items():
        settings[section] = {**settings.get(section, {}), **values} if isinstance(values, dict) else values
    path.write_text(yaml.safe_dump(settings))
    return path


def rows(folder, path):
    return pq.read_table(folder / path).to_pylist()


def test_echo_engine_end_to_end(collection, tmp_path, capsys):
    import datasets

    config = write_config(tmp_path / "pipeline.yaml")
    work = tmp_path / "work"
    code = main(
        ["build-dataset", "--videos", str(collection), "--out", str(work), "--config", str(config), "--no-progress"]
    )
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    summary = json.loads((work / "summary.json").read_text())
    assert printed["videos"] == summary["videos"]
    assert summary["videos"] == {
        "total": 5,
        "done": 3,
        "failed": 2,
        "pending": 0,
        "failed_by_reason": {"segments:no_audio_track": 1, "segments:unreadable_video": 1},
    }
    questions = summary["questions"]
    assert questions["generated"] == 15 and questions["kept"] + questions["dropped"] == 15 and questions["kept"] >= 10
    assert sum(questions["dropped_by_reason"].values()) == questions["dropped"]

    cache = str(tmp_path / "hf_cache")
    qa = datasets.load_dataset(str(work / "datasets" / "savenvid"), "qa", split="train", cache_dir=cache)
    captions = datasets.load_dataset(str(work / "datasets" / "savenvid"), "captions", split="train", cache_dir=cache)
    test = datasets.load_dataset(str(work / "datasets" / "avbench"), split="test", cache_dir=cache)
    assert len(qa) == len(test) == questions["kept"] and len(captions) == 3
    assert sorted(set(qa["video"])) == ["a.mp4", "b.mp4", "sub/c.mp4"]
    assert set(qa["question_type"]) <= set(QUESTION_TYPES) and set(qa["source"]) == {"synthetic"}
    for row in qa:
        assert len(row["options"]) == 4 and row["answer"] in "ABCD"
        if row["question_type"] == "choose_time_range":
            assert all(parse_range(option) for option in row["options"])
            assert all(option.startswith("From 00:00:0") for option in row["options"])
    first = captions[0]
    assert first["duration"] == pytest.approx(6.0, abs=0.1) and len(first["segments"]) == 4
    assert all(segment["visual_caption"] and segment["audio_caption"] for segment in first["segments"])
    assert summary["export"]["savenvid"]["answer_letters"] == summary["export"]["avbench"]["answer_letters"]
    assert (
        max(summary["export"]["savenvid"]["answer_letters"].values())
        - min(summary["export"]["savenvid"]["answer_letters"].values())
        <= 1
    )
    assert validate_dataset_folder(work / "datasets" / "savenvid").kind == "savenvid"
    assert validate_dataset_folder(work / "datasets" / "avbench").kind == "avbench"
    review = (work / "review" / "avbench_review.csv").read_text().splitlines()
    assert review[0].startswith("question_id,") and "verdict" in review[0] and len(review) > len(test)
    assert "<video controls" in (work / "review" / "avbench_review.html").read_text()


def test_rerun_reuses_everything_and_review_decisions_apply(collection, tmp_path):
    config = PipelineConfig.from_mapping(SETTINGS)
    work = tmp_path / "work"
    engines = {role: Recorder() for role in ("visual", "audio", "text")}
    first = build_dataset(collection, work, config, RunOptions(progress=False), engines)
    assert sum(len(engine.requests) for engine in engines.values()) == first["run"]["model_requests"] > 0
    before = rows(work / "datasets" / "avbench", "data/test.parquet")

    decisions = tmp_path / "reviewed.csv"
    dropped = before[0]["question_id"]
    decisions.write_text(f"question_id,verdict\n{dropped},drop\n{before[1]['question_id']},keep\n")
    config = PipelineConfig.from_mapping(
        {**SETTINGS, "export": {**SETTINGS["export"], "review_decisions": str(decisions)}}
    )
    again = {role: Recorder() for role in ("visual", "audio", "text")}
    second = build_dataset(collection, work, config, RunOptions(progress=False), again)
    assert second["run"]["model_requests"] == 0 and not any(engine.requests for engine in again.values())
    after = rows(work / "datasets" / "avbench", "data/test.parquet")
    assert [row["question_id"] for row in after] == [
        row["question_id"] for row in before if row["question_id"] != dropped
    ]
    assert second["export"]["avbench"]["excluded_questions"] == {"manual_review": 1}
    assert second["export"]["savenvid"]["questions"] == len(before)
    assert {k: v for k, v in second.items() if k not in ("run", "export")} == {
        k: v for k, v in first.items() if k not in ("run", "export")
    }


def test_avbench_needs_three_events(collection, tmp_path):
    settings = {**SETTINGS, "segmentation": {"backend": "uniform", "uniform_seconds": 3.0}}
    summary = build_dataset(
        collection, tmp_path / "work", PipelineConfig.from_mapping(settings), RunOptions(progress=False)
    )
    assert summary["videos"]["done"] == 3
    assert summary["export"]["avbench"]["folder"] is None  # two segments per video: too few events
    assert summary["export"]["avbench"]["excluded_videos"] == {"too_few_events": 3}
    assert summary["export"]["savenvid"]["videos"] == 3
    assert summary["questions"]["dropped_by_reason"]["too_few_segments_for_time_range"] == 3


def test_shards_split_the_work_and_export_only_joins_it(collection, tmp_path):
    config = PipelineConfig.from_mapping(SETTINGS)
    whole = build_dataset(collection, tmp_path / "whole", config, RunOptions(progress=False))
    work = tmp_path / "sharded"
    totals = []
    for index in range(2):
        summary = build_dataset(collection, work, config, RunOptions(num_shards=2, shard_index=index, progress=False))
        assert "export" not in summary and (work / f"summary.shard-{index}-of-2.json").is_file()
        totals.append(summary["videos"]["total"])
    assert sum(totals) == 5 and not (work / "datasets").exists()
    joined = build_dataset(collection, work, config, RunOptions(export_only=True, progress=False))
    assert joined["videos"] == whole["videos"] and joined["questions"] == whole["questions"]
    for path in ("data/qa/train.parquet", "data/captions/train.parquet"):
        assert rows(work / "datasets" / "savenvid", path) == rows(tmp_path / "whole" / "datasets" / "savenvid", path)


def test_failures_are_recorded_and_retried(collection, tmp_path):
    config = PipelineConfig.from_mapping(SETTINGS)
    work = tmp_path / "work"

    def flaky(request):
        if request.request_id.startswith("b/visual/"):
            raise RuntimeError("GPU fell over")
        return pipeline_dry_run.reply(request)

    summary = build_dataset(collection, work, config, RunOptions(progress=False), {"visual": Recorder(flaky)})
    assert summary["videos"]["failed_by_reason"]["visual:engine_error"] == 1
    assert (work / "videos" / "b" / "visual.failed.json").is_file()
    assert not (work / "videos" / "b" / "audio.json").exists()  # later stages skip a failed video
    summary = build_dataset(collection, work, config, RunOptions(progress=False))  # without retry: still failed
    assert summary["videos"]["failed_by_reason"]["visual:engine_error"] == 1
    summary = build_dataset(collection, work, config, RunOptions(retry_failed=True, progress=False))
    assert summary["videos"]["done"] == 3 and "visual:engine_error" not in summary["videos"]["failed_by_reason"]
    assert not (work / "videos" / "b" / "visual.failed.json").exists()


def test_a_crashing_stage_fails_one_video_not_the_run(collection, tmp_path, monkeypatch):
    from savenvideo.dataset_scripts import pipeline_run

    def crash_on_a(ctx, tasks):
        if any(task.video.video_id == "a" for task in tasks):
            raise ZeroDivisionError("bug")
        return fusion.run(ctx, tasks)

    fusion = next(stage for stage in pipeline_run.STAGES if stage.name == "clip_fusion")
    stages = tuple(dataclasses.replace(s, run=crash_on_a) if s is fusion else s for s in pipeline_run.STAGES)
    monkeypatch.setattr(pipeline_run, "STAGES", stages)
    summary = build_dataset(
        collection, tmp_path / "work", PipelineConfig.from_mapping(SETTINGS), RunOptions(progress=False)
    )
    assert summary["videos"]["failed_by_reason"]["clip_fusion:internal_error"] == 1
    assert summary["videos"]["done"] == 2
    assert "ZeroDivisionError" in (tmp_path / "work" / "errors.log").read_text()


def test_a_95_second_track_is_captioned_in_30_second_pieces_then_merged(tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    write_clip(videos / "long.mp4", random_timeline(95.0, 5), ClipOptions(size=(64, 64), fps=5))
    settings = {**SETTINGS, "segmentation": {"backend": "uniform", "uniform_seconds": 120}, "captions": {}}
    audio, text = Recorder(), Recorder()
    summary = build_dataset(
        videos,
        tmp_path / "work",
        PipelineConfig.from_mapping(settings),
        RunOptions(progress=False),
        {"audio": audio, "text": text},
    )
    assert summary["videos"]["done"] == 1
    clips = [message_parts(request.messages[1])[0] for request in audio.requests]
    assert all(isinstance(clip, AudioClip) for clip in clips) and len(clips) == 4
    duration = clips[-1].end
    assert duration == pytest.approx(95.0, abs=0.5) and clips[0].start == 0.0
    assert all(a.end == b.start for a, b in zip(clips, clips[1:]))
    assert all(clip.end - clip.start <= 30.0 for clip in clips)
    merges = [r for r in text.requests if "/audio_merge/" in r.request_id]
    assert len(merges) == 1
    prompt = message_parts(merges[0].messages[1])[0]
    assert prompt.count("From 00:0") == 4 and "From 00:00:23.750 to 00:00:47.500:" in prompt


def test_real_shot_detector(tmp_path, synthetic_clip):
    pytest.importorskip("scenedetect")
    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(synthetic_clip(seconds=6.0, seed=1)[0], videos / "a.mp4")
    settings = {**SETTINGS, "segmentation": {"backend": "scenedetect", "min_frames": 20}}
    summary = build_dataset(
        videos, tmp_path / "work", PipelineConfig.from_mapping(settings), RunOptions(progress=False)
    )
    assert summary["videos"]["done"] == 1
    segments = json.loads((tmp_path / "work" / "videos" / "a" / "segments.json").read_text())["ok"]
    assert segments["backend"] == "scenedetect" and segments["clips"][0][0] == 0.0
    assert segments["clips"][-1][1] == pytest.approx(segments["duration"])
    assert all(end - start >= 20 / 30 - 1e-6 for start, end in segments["clips"])


def test_a_missing_detector_checkpoint_stops_the_run_at_once(collection, tmp_path):
    settings = {**SETTINGS, "segmentation": {"backend": "autoshot"}}
    with pytest.raises(PipelineConfigError, match="checkpoint"):
        build_dataset(collection, tmp_path / "work", PipelineConfig.from_mapping(settings), RunOptions(progress=False))
    assert not (tmp_path / "work" / "videos").exists()
