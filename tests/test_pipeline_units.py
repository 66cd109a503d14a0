"""The pipeline's small parts: time formats, audio chunking, question checks, prompts, config and the work folder."""

import json
import os

import pytest

from savenvideo.dataset_scripts import pipeline_prompts as prompts
from savenvideo.dataset_scripts.pipeline_checks import check_options, near_duplicates, time_rule_violation
from savenvideo.dataset_scripts.pipeline_chunking import audio_chunks
from savenvideo.dataset_scripts.pipeline_config import PipelineConfig, PipelineConfigError
from savenvideo.dataset_scripts.pipeline_parsers import OptionSet, ParseError
from savenvideo.dataset_scripts.pipeline_store import WorkDir, atomic_write, failed, ok
from savenvideo.dataset_scripts.pipeline_times import at_time, clock, mentions_time, parse_range, time_range, times_in
from savenvideo.dataset_scripts.pipeline_videos import discover, select_shard, shard_of

EXAMPLE = os.path.join(os.path.dirname(prompts.__file__), "pipeline.example.yaml")


# --- times and chunks --------------------------------------------------------------------------------------


def test_time_formats_as_the_dataset_writes_them():
    assert at_time(237.48) == "At 00:03:57.480"
    assert time_range(353.16, 487.2) == "From 00:05:53.160 to 00:08:07.200"
    assert clock(3600 + 0.0004) == "01:00:00.000"
    assert times_in("At 00:03:57.480, and later 05:53") == [237.48, 353.0]
    assert parse_range("From 00:05:53.160 to 00:08:07.200") == (353.16, 487.2)
    assert parse_range("00:05:53.160 - 00:08:07.200.") == (353.16, 487.2)
    assert parse_range("From 00:05:53.160 to 00:08:07.200: a caption") is None
    assert mentions_time("after 20 seconds") and not mentions_time("two dogs and 3 cats")


def test_95_second_track_is_cut_into_equal_pieces_of_at_most_30_seconds():
    pieces = audio_chunks(0.0, 95.0, 30.0)
    assert len(pieces) == 4
    assert pieces[0][0] == 0.0 and pieces[-1][1] == 95.0
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:]))
    assert all(end - start <= 30.0 for start, end in pieces)
    assert [round(end - start, 6) for start, end in pieces] == [23.75] * 4


@pytest.mark.parametrize(
    ("start", "end", "count"), [(0, 30, 1), (0, 30.001, 2), (10, 70, 2), (5, 5.5, 1), (0, 600, 20)]
)
def test_chunk_counts(start, end, count):
    pieces = audio_chunks(start, end, 30.0)
    assert len(pieces) == count and pieces[0][0] == start and pieces[-1][1] == end


def test_chunking_refuses_empty_intervals():
    with pytest.raises(ValueError):
        audio_chunks(3.0, 3.0)


# --- checks without a model --------------------------------------------------------------------------------


def test_option_checks():
    good = OptionSet("The bell rings.", ("A dog barks.", "Rain falls.", "Music plays."))
    assert check_options(good) is good
    for bad, reason in [
        (OptionSet("The bell rings.", ("the bell rings!", "Rain falls.", "Music plays.")), "duplicate_options"),
        (OptionSet("The bell rings.", ("Rain falls.", "Rain  falls", "Music plays.")), "duplicate_options"),
        (OptionSet("The bell rings.", ("All of the above.", "Rain falls.", "Music plays.")), "catch_all_option"),
    ]:
        with pytest.raises(ParseError) as caught:
            check_options(bad)
        assert caught.value.reason == reason


def test_time_rules_of_the_five_questions():
    assert time_rule_violation(1, "What sound goes with the red door?", 60) is None
    assert time_rule_violation(2, "What happens at 00:00:12.000?", 60) == "time_in_untimed_question"
    assert time_rule_violation(3, "At 00:00:12.000, what is heard?", 60) is None
    assert time_rule_violation(4, "What is heard while the door opens?", 60) == "no_time_in_timed_question"
    assert time_rule_violation(4, "From 00:00:50.000 to 00:01:30.000, what is heard?", 60) == "time_outside_video"
    assert time_rule_violation(5, "When does the bell ring as the door opens?", 60) is None
    assert time_rule_violation(5, "Does the bell ring within 10 seconds?", 60) == "time_in_untimed_question"


def test_near_duplicate_questions_keep_the_first():
    questions = [
        "Which sound accompanies the red door opening in the kitchen?",
        "What sound accompanies the red door opening in the kitchen?",
        "How does the crowd react when the music stops?",
        "Which sound accompanies the red door opening in the kitchen scene?",
        "Which sound is heard as the red door in the kitchen opens?",  # a paraphrase, not a repeat
    ]
    assert near_duplicates(questions, 0.8) == {1, 3}
    assert near_duplicates(questions, 1.0) == {1}
    assert near_duplicates(questions, 0.5) == {1, 3, 4}


# --- prompts -----------------------------------------------------------------------------------------------

DESCRIPTIONS = {"audio": "AUDIO-ACCOUNT", "visual": "VISUAL-ACCOUNT", "audio_visual": "AV-ACCOUNT"}


def _texts(messages):
    texts = []
    for message in messages:
        content = message["content"]
        texts += (
            [content] if isinstance(content, str) else [part["text"] for part in content if part["type"] == "text"]
        )
    return "\n".join(texts)


def test_every_prompt_renders_with_no_slot_left():
    built = [
        prompts.visual_caption("v.mp4", 1.0, 9.0, 16),
        prompts.audio_caption("v.mp4", 1.0, 9.0),
        prompts.audio_merge(0.0, 60.0, [(0.0, 30.0, "a"), (30.0, 60.0, "b")]),
        prompts.clip_fusion(0.0, 60.0, "SOUND", "SIGHT"),
        prompts.video_fusion("audio-visual", [(0.0, 60.0, "x"), (60.0, 90.0, "y")]),
        prompts.questions(DESCRIPTIONS),
        prompts.options(DESCRIPTIONS, "QUESTION?"),
        prompts.time_range_choice(DESCRIPTIONS, "QUESTION?", [(0.0, 60.0), (60.0, 90.0)]),
        prompts.leakage("QUESTION?", ["w", "x", "y", "z"]),
        prompts.support(DESCRIPTIONS, "QUESTION?", ["w", "x", "y", "z"]),
        prompts.single_modality("seen", "VISUAL-ACCOUNT", "QUESTION?", ["w", "x", "y", "z"]),
    ]
    for messages in built:
        assert messages[0]["role"] == "system" and messages[1]["role"] == "user"
        assert "$" not in _texts(messages)


def test_prompts_carry_the_papers_requirements():
    visual = _texts(prompts.visual_caption("v.mp4", 0, 1, 8)).lower()
    assert "only what can actually be seen" in visual and "do not guess" in visual
    audio = _texts(prompts.audio_caption("v.mp4", 0, 1)).lower()
    assert all(word in audio for word in ("pitch", "timbre", "rhythm", "mood", "instead of transcribing"))
    fusion = _texts(prompts.clip_fusion(353.16, 487.2, "SOUND", "SIGHT"))
    assert "From 00:05:53.160 to 00:08:07.200" in fusion and "count equally" in fusion and "SOUND" in fusion
    timeline = _texts(prompts.video_fusion("visual", [(0.0, 5.0, "x")])).lower()
    assert all(w in timeline for w in ("keep the time marks", "speculation", "contradicts", "from 00:00:00.000"))
    questions = _texts(prompts.questions(DESCRIPTIONS))
    assert "Questions 1 and 2 mention no time" in questions and '"At HH:MM:SS.mmm"' in questions
    assert "Question 5 asks when" in questions and "neither one alone" in questions
    assert all(value in questions for value in DESCRIPTIONS.values())
    options = _texts(prompts.options(DESCRIPTIONS, "Q?"))
    assert "Correct option:" in options and "Option 3:" in options and "both what is heard and what is seen" in options
    assert "You cannot watch or hear" in _texts(prompts.leakage("Q?", ["a", "b", "c", "d"]))


def test_media_parts_follow_the_engine_contract():
    from savenvideo.dataset_scripts.engine_messages import AudioClip, VideoClip, message_parts

    video = message_parts(prompts.visual_caption("v.mp4", 1.0, 9.0, 16)[1])[0]
    sound = message_parts(prompts.audio_caption("v.mp4", 30.0, 60.0)[1])[0]
    assert video == VideoClip("v.mp4", 1.0, 9.0, 16) and sound == AudioClip("v.mp4", 30.0, 60.0)


# --- config ------------------------------------------------------------------------------------------------


def test_example_config_loads():
    config = PipelineConfig.from_yaml(EXAMPLE)
    assert config.segmentation.backend == "autoshot" and config.engines["visual"]["kind"] == "vllm"
    assert config.engine_for("judge") == config.engines["text"]
    assert config.sampling["questions"].temperature == 0.7 and config.sampling["leakage"].max_new_tokens == 8


@pytest.mark.parametrize(
    "mapping",
    [
        {"segmentaton": {}},
        {"segmentation": {"backend": "magic"}},
        {"checks": {"max_attempts": 0}},
        {"checks": {"leakge": True}},
        {"engines": {"vision": {"kind": "echo"}}},
        {"sampling": {"questions": {"max_tokens": 5}}},
        {"export": {"kinds": ["coco"]}},
    ],
)
def test_config_errors_name_the_key(mapping):
    with pytest.raises(PipelineConfigError):
        PipelineConfig.from_mapping(mapping)


def test_fingerprint_ignores_export_and_batching():
    base = PipelineConfig.from_mapping({})
    assert (
        base.fingerprint()
        == PipelineConfig.from_mapping({"export": {"kinds": ["avbench"]}, "batch_videos": 64}).fingerprint()
    )
    assert base.fingerprint() != PipelineConfig.from_mapping({"captions": {"num_frames": 8}}).fingerprint()


# --- work folder and collection ----------------------------------------------------------------------------


def test_atomic_write_leaves_the_old_file_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "a.json"
    atomic_write(target, b"old")

    def crash(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["a.json"]


def test_work_dir_states_and_sweep(tmp_path):
    store = WorkDir(tmp_path)
    store.write("v", "visual", failed("engine_error", "down"))
    assert store.states("v") == {"visual": "failed"}
    store.write("v", "visual", ok({"captions": ["x"]}))
    assert store.states("v") == {"visual": "ok"} and store.read("v", "visual") == {"ok": {"captions": ["x"]}}
    (tmp_path / "videos" / "v" / "audio.failed.json").write_text(json.dumps(failed("x")))
    (tmp_path / "videos" / "v" / ".audio.json.1234abcd.tmp").write_text("{half")
    assert store.states("v") == {"visual": "ok", "audio": "failed"}
    assert store.sweep() == 1
    with pytest.raises(ValueError):
        store.write("v", "visual", {"payload": 1})


def test_resuming_with_other_settings_is_refused(tmp_path):
    store = WorkDir(tmp_path)
    config = PipelineConfig.from_mapping({})
    store.check_config(config.to_dict(), config.fingerprint())
    store.check_config(config.to_dict(), config.fingerprint())
    other = PipelineConfig.from_mapping({"seed": 1})
    with pytest.raises(ValueError, match="other pipeline settings"):
        store.check_config(other.to_dict(), other.fingerprint())


def test_discovery_ids_and_shards(tmp_path):
    for name in ["a.mp4", "b.MKV", "sub/a.mp4", "sub/a.webm", "notes.txt", ".hidden.mp4", "x y.mov"]:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    videos = discover(tmp_path, [".mp4", ".mkv", ".webm", ".mov"])
    assert [video.relpath for video in videos] == ["a.mp4", "b.MKV", "sub/a.mp4", "sub/a.webm", "x y.mov"]
    ids = [video.video_id for video in videos]
    assert ids[:2] == ["a", "b"] and ids[4] == "x_y" and len(set(ids)) == 5
    assert ids[2].startswith("sub__a-") and ids[3].startswith("sub__a-")
    shards = [select_shard(videos, 3, index) for index in range(3)]
    assert sorted(v.relpath for shard in shards for v in shard) == [v.relpath for v in videos]
    assert shard_of("sub/a.mp4", 7) == shard_of("sub/a.mp4", 7)
