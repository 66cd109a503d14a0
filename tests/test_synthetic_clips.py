"""The synthetic clip kit: its event model, and real files checked against their event lists by decoding
them with PyAV, torchcodec and decord (frame colours, shape positions, pts, pitches, timbres, silences)."""

import json

import av
import decord
import numpy as np
import pytest
from torchcodec.decoders import AudioDecoder, VideoDecoder

from savenvideo.cli import main
from savenvideo.dataset_scripts.synthetic import (
    Chirp,
    Clicks,
    ClipInfo,
    ClipOptions,
    FrameSchedule,
    MovingShape,
    NoiseBurst,
    RandomTimelineConfig,
    SolidColour,
    SyntheticClipError,
    TextCard,
    Timeline,
    TimelineError,
    Tone,
    colour_named,
    random_timeline,
    sidecar_path,
    write_clip,
)
from savenvideo.dataset_scripts.synthetic.audio_render import render_audio
from savenvideo.dataset_scripts.synthetic.inspection import (
    colour_fraction,
    dominant_frequency,
    frame_colour,
    rms,
    spectral_flatness,
    timbre_of,
)

ANALYSIS_RATE = 16_000
EDGE_MARGIN = 0.04
"""Seconds trimmed from both ends of a window: fades, codec pre-echo and resampler ringing live there."""
MIN_SOLO_SECONDS = 0.15
EDGE_LEVEL = 0.02
EDGE_TOLERANCE = 0.01
"""A sound must start and stop within 10 ms of its event times (clicks excepted: their last tick comes early)."""
PTS_TOLERANCE = 0.0015
"""Matroska and WebM store times in whole milliseconds."""

RED = colour_named("red")
SCRIPTED = Timeline(
    duration=8.0,
    visuals=[
        SolidColour(start=0.0, end=1.5, background=colour_named("red")),
        MovingShape(
            start=1.5,
            end=3.5,
            background=colour_named("blue"),
            shape="circle",
            colour=colour_named("yellow"),
            start_position=(0.2, 0.5),
            end_position=(0.8, 0.5),
        ),
        TextCard(start=3.5, end=5.0, background=colour_named("green"), text="CAT", colour=colour_named("white")),
        SolidColour(start=5.0, end=6.2, background=colour_named("magenta")),
        MovingShape(
            start=6.2,
            end=8.0,
            background=colour_named("orange"),
            shape="triangle",
            colour=colour_named("black"),
            start_position=(0.5, 0.8),
            end_position=(0.5, 0.2),
        ),
    ],
    sounds=[
        Tone(start=0.2, end=1.0, frequency=440.0, timbre="sine"),
        Tone(start=1.2, end=2.0, frequency=660.0, timbre="square"),
        Tone(start=1.7, end=2.6, frequency=330.0, timbre="harmonic"),
        Chirp(start=2.8, end=3.6, start_frequency=300.0, end_frequency=2400.0),
        Chirp(start=3.8, end=4.6, start_frequency=3200.0, end_frequency=400.0),
        NoiseBurst(start=4.9, end=5.5, seed=7),
        Clicks(start=5.8, end=6.8, rate=5.0),
        Tone(start=7.0, end=7.6, frequency=2640.0, timbre="sine"),
    ],
)

FORMATS = {
    "mp4-h264-aac": ({"container": "mp4"}, ("h264", "aac")),
    "mkv-h264-aac": ({"container": "mkv"}, ("h264", "aac")),
    "webm-vp9-opus": ({"container": "webm"}, ("vp9", "opus")),
    "mkv-av1-aac": ({"container": "mkv", "codec": "av1"}, ("av1", "aac")),
    "mp4-av1-aac": ({"container": "mp4", "codec": "av1"}, ("av1", "aac")),
    "mp4-vfr": ({"container": "mp4", "vfr": True}, ("h264", "aac")),
    "webm-vfr": ({"container": "webm", "vfr": True}, ("vp9", "opus")),
    "mp4-no-audio": ({"container": "mp4", "audio": False}, ("h264", None)),
    "webm-no-audio": ({"container": "webm", "audio": False}, ("vp9", None)),
}


@pytest.fixture(scope="module", params=sorted(FORMATS))
def scripted_clip(request, synthetic_clip) -> tuple[ClipInfo, tuple[str, str | None]]:
    """The scripted timeline written in one format, and the (video, audio) codecs that format must hold."""
    request_options, expected_codecs = FORMATS[request.param]
    path, _ = synthetic_clip(timeline=SCRIPTED, **request_options)
    return ClipInfo.load(path), expected_codecs


def _frame_index_at(info: ClipInfo, t: float) -> int:
    return int(np.searchsorted(info.frame_times(), t + 1e-9, side="right") - 1)


def _check_frames(info: ClipInfo, frame_at) -> None:
    """``frame_at(index) -> (H, W, 3) RGB`` shows each shot's background mid-shot, on both sides of every
    cut, and each moving shape where its trajectory puts it."""
    times = info.frame_times()
    for shot in info.timeline.visuals:
        index = _frame_index_at(info, shot.midpoint)
        pixels = frame_at(index)
        assert frame_colour(pixels) == shot.background, f"{shot.describe()} at {times[index]:.3f} s"
        if isinstance(shot, MovingShape):
            x, y = shot.position_at(times[index])
            row, column = round(y * (info.height - 1)), round(x * (info.width - 1))
            assert frame_colour(pixels[row - 1 : row + 2, column - 1 : column + 2]) == shot.colour
        if isinstance(shot, TextCard):
            assert colour_fraction(pixels, shot.colour) > 0.02, f"{shot.describe()}: no letters"
    for cut, index in zip(info.timeline.cut_times(), info.cut_frame_indices()):
        assert frame_colour(frame_at(index - 1)) == info.timeline.visual_at(cut - 1e-3).background
        assert frame_colour(frame_at(index)) == info.timeline.visual_at(cut).background


def _solo_window(timeline: Timeline, sound) -> tuple[float, float]:
    """The longest stretch of ``sound`` during which no other sound plays, trimmed by EDGE_MARGIN."""
    pieces = [(sound.start, sound.end)]
    for other in timeline.sounds_between(sound.start, sound.end):
        if other is sound:
            continue
        pieces = [
            part
            for start, end in pieces
            for part in ((start, min(end, other.start)), (max(start, other.end), end))
            if part[1] > part[0]
        ]
    start, end = max(pieces, key=lambda piece: piece[1] - piece[0], default=(sound.start, sound.start))
    return start + EDGE_MARGIN, end - EDGE_MARGIN


def _window(samples: np.ndarray, start: float, end: float, rate: int = ANALYSIS_RATE) -> np.ndarray:
    return samples[round(start * rate) : round(end * rate)]


def _check_audio(timeline: Timeline, samples: np.ndarray) -> None:
    """Every sound is where, and what, the timeline says, judged where it plays alone; every silence is silent."""
    for sound in timeline.sounds:
        start, end = _solo_window(timeline, sound)
        assert end - start >= MIN_SOLO_SECONDS, f"{sound.describe()} is never heard alone long enough"
        window = _window(samples, start, end)
        label = f"{sound.describe()} in [{start:.2f}, {end:.2f}] s"
        assert np.abs(window).max() > 0.5 * sound.gain, label
        if isinstance(sound, Tone):
            assert dominant_frequency(window, ANALYSIS_RATE) == pytest.approx(sound.frequency, rel=0.02), label
            assert timbre_of(window, ANALYSIS_RATE, sound.frequency) == sound.timbre, label
        elif isinstance(sound, Chirp):
            quarter = (end - start) / 4
            early = dominant_frequency(_window(samples, start, start + quarter), ANALYSIS_RATE)
            late = dominant_frequency(_window(samples, end - quarter, end), ANALYSIS_RATE)
            assert early == pytest.approx(sound.frequency_at(start + quarter / 2), rel=0.2), label
            assert late == pytest.approx(sound.frequency_at(end - quarter / 2), rel=0.2), label
        elif isinstance(sound, NoiseBurst):
            assert spectral_flatness(window, ANALYSIS_RATE) > 0.3, label
        elif isinstance(sound, Clicks):
            assert np.abs(window).max() / rms(window) > 4.0, label
            assert spectral_flatness(window, ANALYSIS_RATE) < 0.3, label
    silences = timeline.silences(min_seconds=0.1)
    assert silences, "the timeline should contain silence"
    for start, end in silences:
        assert rms(_window(samples, start + EDGE_MARGIN, end - EDGE_MARGIN)) < 3e-3, f"silence [{start}, {end}] s"
        if end < timeline.duration:
            around = np.abs(_window(samples, end - 0.1, end + 0.1)) > EDGE_LEVEL
            onset = end - 0.1 + np.argmax(around) / ANALYSIS_RATE
            assert onset == pytest.approx(end, abs=EDGE_TOLERANCE), f"sound starting at {end} s"
        ending = [sound for sound in timeline.sounds if abs(sound.end - start) < 1e-6]
        if start > 0 and not any(isinstance(sound, Clicks) for sound in ending):
            around = np.abs(_window(samples, start - 0.1, start + 0.1)) > EDGE_LEVEL
            offset = start - 0.1 + (len(around) - 1 - np.argmax(around[::-1])) / ANALYSIS_RATE
            assert offset == pytest.approx(start, abs=EDGE_TOLERANCE), f"sound ending at {start} s"


def _torchcodec_audio(info: ClipInfo) -> np.ndarray:
    return AudioDecoder(str(info.path), sample_rate=ANALYSIS_RATE, num_channels=1).get_all_samples().data[0].numpy()


# --- decoding the scripted clip in every format ---------------------------------------------------------


def test_pyav_sees_the_streams_frames_and_times_the_sidecar_claims(scripted_clip):
    info, (video_codec, audio_codec) = scripted_clip
    assert (info.video_codec, info.audio_codec) == (video_codec, audio_codec)
    with av.open(str(info.path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.codec.canonical_name == video_codec
        assert (stream.codec_context.width, stream.codec_context.height) == (info.width, info.height)
        audio_codecs = [audio.codec_context.codec.canonical_name for audio in container.streams.audio]
        assert audio_codecs == ([audio_codec] if audio_codec else [])
        frames = [(float(frame.time), frame.to_ndarray(format="rgb24")) for frame in container.decode(video=0)]
    times = np.array([time for time, _ in frames])
    assert len(frames) == info.frame_count == len(info.frame_times())
    np.testing.assert_allclose(times, info.frame_times(), atol=PTS_TOLERANCE)
    _check_frames(info, lambda index: frames[index][1])


def test_torchcodec_frames_and_pts_match_the_event_list(scripted_clip):
    info, _ = scripted_clip
    decoder = VideoDecoder(str(info.path))
    assert decoder.metadata.num_frames == info.frame_count
    batch = decoder.get_frames_at(list(range(info.frame_count)))
    np.testing.assert_allclose(batch.pts_seconds.numpy(), info.frame_times(), atol=PTS_TOLERANCE)
    _check_frames(info, lambda index: batch.data[index].permute(1, 2, 0).numpy())
    played = decoder.get_frames_played_at([shot.midpoint for shot in info.timeline.visuals])
    assert [frame_colour(frame.permute(1, 2, 0).numpy()) for frame in played.data] == [
        shot.background for shot in info.timeline.visuals
    ]


def test_decord_frames_and_timestamps_match_the_event_list(scripted_clip):
    info, _ = scripted_clip
    if info.video_codec == "av1":
        pytest.skip("decord cannot open AV1 video (see shared/reference/stack.md)")
    reader = decord.VideoReader(str(info.path))
    assert len(reader) == info.frame_count
    np.testing.assert_allclose(
        reader.get_frame_timestamp(range(len(reader)))[:, 0], info.frame_times(), atol=PTS_TOLERANCE
    )
    _check_frames(info, lambda index: reader[index].asnumpy())


def test_audio_matches_the_event_list(scripted_clip):
    info, _ = scripted_clip
    with av.open(str(info.path)) as container:
        assert bool(container.streams.audio) == info.has_audio
        if not info.has_audio:
            assert info.timeline.sounds == ()
            with pytest.raises(ValueError, match="audio stream"):
                AudioDecoder(str(info.path))
            return
        native = np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)])
    assert len(native) >= round(info.duration * info.sample_rate)
    loud, quiet = SCRIPTED.sounds[0], SCRIPTED.silences(min_seconds=0.1)[0]
    assert rms(_window(native, loud.start + EDGE_MARGIN, loud.end - EDGE_MARGIN, info.sample_rate)) > 0.1
    assert rms(_window(native, quiet[0] + EDGE_MARGIN, quiet[1] - EDGE_MARGIN, info.sample_rate)) < 3e-3
    samples = _torchcodec_audio(info)
    assert len(samples) == pytest.approx(info.duration * ANALYSIS_RATE, abs=0.05 * ANALYSIS_RATE)
    _check_audio(info.timeline, samples)
    both = _window(samples, 1.7 + EDGE_MARGIN, 2.0 - EDGE_MARGIN)  # square 660 Hz over harmonic 330 Hz
    magnitudes = np.abs(np.fft.rfft(both * np.hanning(len(both)), 1 << 16))
    frequencies = np.fft.rfftfreq(1 << 16, 1 / ANALYSIS_RATE)

    def level(frequency):
        return magnitudes[np.abs(frequencies - frequency) < 10].max() / magnitudes.max()

    assert level(330) > 0.3, "the harmonic tone's fundamental is missing from the overlap"
    assert level(1980) > 0.1, "the square tone's third partial (no partial of 330 Hz) is missing"
    assert level(1650) < 0.02, "a frequency neither tone contains"


# --- random timelines and the command line --------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_random_clip_matches_its_event_list(synthetic_clip, seed):
    path, timeline = synthetic_clip(seconds=12.0, seed=seed)
    info = ClipInfo.load(path)
    assert info.timeline == timeline
    decoder = VideoDecoder(str(path))
    _check_frames(info, lambda index: decoder[index].permute(1, 2, 0).numpy())
    _check_audio(timeline, _torchcodec_audio(info))


def test_cli_writes_clip_and_event_list(tmp_path, capsys):
    out = tmp_path / "cli.webm"
    assert main(["synth-clip", str(out), "--seconds", "3", "--seed", "5", "--vfr", "--size", "128x72"]) == 0
    info = ClipInfo.load(out)
    assert (info.container, info.video_codec, info.audio_codec) == ("webm", "vp9", "opus")
    assert (info.width, info.height, info.is_variable_frame_rate) == (128, 72, True)
    assert info.timeline == random_timeline(3.0, 5)
    assert json.loads(sidecar_path(out).read_text())["clip"]["frame_count"] == info.frame_count
    metadata = VideoDecoder(str(out)).metadata
    assert (metadata.width, metadata.height, metadata.num_frames) == (128, 72, info.frame_count)

    silent = tmp_path / "silent.mkv"
    assert main(["synth-clip", str(silent), "--seconds", "2", "--seed", "1", "--codec", "av1", "--no-audio"]) == 0
    with av.open(str(silent)) as container:
        assert container.streams.video[0].codec_context.codec.canonical_name == "av1"
        assert not container.streams.audio

    assert main(["synth-clip", str(tmp_path / "clip.mov"), "--seconds", "1", "--seed", "0"]) == 2
    assert "clip.mov: unsupported extension" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "options", "reason"),
    [
        ("clip.avi", ClipOptions(), "unsupported extension"),
        ("clip.webm", ClipOptions(codec="h264"), "cannot go in a .webm"),
        ("clip.mp4", ClipOptions(size=(161, 90)), "even"),
        ("clip.mp4", ClipOptions(size=(32, 32)), "at least"),
        ("clip.mp4", ClipOptions(fps=0), "fps"),
        ("clip.webm", ClipOptions(sample_rate=44_100), "Opus"),
    ],
)
def test_bad_clip_requests_name_the_file_and_the_reason(tmp_path, name, options, reason):
    with pytest.raises(SyntheticClipError, match=reason) as caught:
        write_clip(tmp_path / name, SCRIPTED, options)
    assert caught.value.path == tmp_path / name and str(tmp_path / name) in str(caught.value)
    assert list(tmp_path.iterdir()) == []


# --- the event model ------------------------------------------------------------------------------------


def test_timeline_round_trips_through_json():
    timeline = random_timeline(60.0, 11)
    kinds = {event.kind for event in timeline.events()}
    assert kinds == {"solid", "shape", "text", "tone", "chirp", "noise", "clicks"}
    assert Timeline.from_json(timeline.to_json()) == timeline
    assert Timeline.from_json(SCRIPTED.to_json()) == SCRIPTED


def test_timeline_queries_on_the_scripted_timeline():
    assert SCRIPTED.visual_at(0.0).background.name == "red"
    assert SCRIPTED.visual_at(1.5).background.name == "blue"
    assert SCRIPTED.visual_at(8.0).background.name == "orange"
    assert SCRIPTED.cut_times() == [1.5, 3.5, 5.0, 6.2]
    assert [sound.frequency for sound in SCRIPTED.sounds_at(1.8)] == [660.0, 330.0]
    assert SCRIPTED.sounds_at(1.1) == []
    assert SCRIPTED.sounds_between(0.9, 1.3) == [SCRIPTED.sounds[0], SCRIPTED.sounds[1]]
    assert SCRIPTED.silences(min_seconds=0.1)[:3] == [(0.0, 0.2), (1.0, 1.2), (2.6, 2.8)]
    assert SCRIPTED.silences()[-1] == (7.6, 8.0)
    variable = FrameSchedule.variable(30).frame_times(SCRIPTED.duration)
    assert list(np.diff(variable[:5]) * 30) == pytest.approx([1, 3, 1, 3])
    indices = SCRIPTED.cut_frame_indices(variable)
    for cut, index in zip(SCRIPTED.cut_times(), indices):
        assert variable[index - 1] < cut <= variable[index]
    assert SCRIPTED.sounds[6].describe() == "clicks at 5 per second"
    assert SCRIPTED.visuals[4].describe() == "a black triangle moving from bottom to top on a orange background"


def test_random_timelines_are_reproducible_and_keep_events_recognisable():
    timeline = random_timeline(600.0, 3)
    assert timeline == random_timeline(600.0, 3)
    assert timeline != random_timeline(600.0, 4)
    for before, after in zip(timeline.visuals, timeline.visuals[1:]):
        assert before.background != after.background
    for event in timeline.events():
        assert event.duration >= 0.3 - 1e-6
        assert round(event.start / 0.05, 6) == round(event.start / 0.05)
    overlapping = 0
    for sound in timeline.sounds:
        others = [other for other in timeline.sounds_between(sound.start, sound.end) if other is not sound]
        assert len(others) <= 1
        overlapping += len(others)
        solo_start, solo_end = _solo_window(timeline, sound)
        assert solo_end - solo_start >= 0.3 - 2 * EDGE_MARGIN - 1e-6
    assert overlapping > 20
    assert len(timeline.silences(min_seconds=0.05)) > 100
    busy = random_timeline(600.0, 3, RandomTimelineConfig(mean_shot_seconds=1.0, mean_silence_seconds=0.2))
    assert len(busy.visuals) > 1.5 * len(timeline.visuals)
    assert len(busy.sounds) > 1.2 * len(timeline.sounds)
    assert [sound.start for sound in random_timeline(60, 9, RandomTimelineConfig(mean_shot_seconds=5)).sounds] == [
        sound.start for sound in random_timeline(60, 9).sounds
    ]


def test_audio_rendered_in_chunks_equals_audio_rendered_at_once():
    sounds = SCRIPTED.sounds
    rate = 8000
    whole = render_audio(sounds, 0, 8 * rate, rate)
    pieces = np.concatenate([render_audio(sounds, start, 1234, rate) for start in range(0, 8 * rate, 1234)])
    np.testing.assert_array_equal(pieces[: 8 * rate], whole)
    assert np.abs(whole).max() <= 1.0 and rms(whole[round(5.0 * rate) : round(5.4 * rate)]) > 0.1


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda: Timeline(duration=2.0, visuals=[SolidColour(start=0.0, end=1.0, background=RED)]), "ends at 1.0"),
        (
            lambda: Timeline(
                duration=2.0,
                visuals=[
                    SolidColour(start=0.0, end=1.0, background=RED),
                    SolidColour(start=1.2, end=2.0, background=colour_named("blue")),
                ],
            ),
            "tile",
        ),
        (
            lambda: Timeline(
                duration=1.0,
                visuals=[SolidColour(start=0.0, end=1.0, background=RED)],
                sounds=[Tone(start=0.5, end=1.5, frequency=440.0)],
            ),
            "after the clip",
        ),
        (lambda: colour_named("mauve"), "unknown colour"),
        (lambda: Tone(start=0.0, end=1.0, frequency=9000.0), "frequency"),
        (lambda: Tone(start=1.0, end=1.0, frequency=440.0), "start < end"),
        (lambda: Timeline.from_dict({"duration": 1.0, "visuals": [{"kind": "hologram"}]}), "unknown"),
    ],
)
def test_invalid_timelines_raise_timeline_errors(build, reason):
    with pytest.raises(TimelineError, match=reason):
        build()


def test_broken_event_list_names_its_file(tmp_path):
    clip = tmp_path / "broken.mp4"
    sidecar_path(clip).write_text("{not json")
    with pytest.raises(TimelineError, match="broken.mp4.events.json") as caught:
        ClipInfo.load(clip)
    assert caught.value.path == sidecar_path(clip)
