"""Frame and audio-window decoding against synthetic clips with a known event list, for every backend."""

import io
from fractions import Fraction

import av
import numpy as np
import pytest

from savenvideo.dataset_scripts.synthetic import ClipInfo, SolidColour, Timeline, Tone, colour_named
from savenvideo.dataset_scripts.synthetic.inspection import dominant_frequency, frame_colour, rms
from savenvideo.processing.audio_decoding import decode_audio_windows, window_starts
from savenvideo.processing.media_errors import VideoDecodeError
from savenvideo.processing.video_decoding import sample_times, sample_video

BACKENDS = ["torchcodec", "decord", "pyav"]
SIZE = (32, 32)  # decord needs a row of whole 32-byte words: keep test widths a multiple of 32
RATE = 16_000


def true_frame_times(path) -> np.ndarray:
    info = ClipInfo.load(path)
    return info.frame_schedule.frame_times(info.duration)


def check_frames(path, timeline, video, num_frames):
    """Times are real pts, each is the frame on screen at its uniform target, and shows the event's colour."""
    truth = true_frame_times(path)
    assert np.all(np.diff(video.times) > 0)
    assert np.min(np.abs(truth[None] - video.times[:, None]), axis=1).max() < 1e-3
    targets = sample_times(0.0, video.end, num_frames)
    on_screen = truth[np.clip(np.searchsorted(truth, targets + 1e-6, side="right") - 1, 0, None)]
    np.testing.assert_allclose(video.times, np.unique(on_screen), atol=1e-3)
    for frame, time in zip(video.frames, video.times):
        assert frame.shape == (*SIZE, 3) and frame.dtype == np.uint8
        assert frame_colour(frame) == timeline.visual_at(time + 1e-4).background


@pytest.mark.parametrize("backend", BACKENDS)
def test_frame_times_and_colours_match_the_events(synthetic_clip, backend):
    path, timeline = synthetic_clip(seconds=4.0, seed=11)
    video = sample_video(path, 8, SIZE, backend=backend, fallback=False)
    assert video.backend == backend and len(video.times) == 8
    check_frames(path, timeline, video, 8)


@pytest.mark.parametrize("backend", BACKENDS)
def test_variable_frame_rate_gives_true_pts(synthetic_clip, backend):
    path, timeline = synthetic_clip(seconds=4.0, seed=12, vfr=True)
    truth = true_frame_times(path)
    assert np.ptp(np.diff(truth)) > 0.05  # really variable: 1- and 3-tick frames
    video = sample_video(path, 8, SIZE, backend=backend, fallback=False)
    assert video.vfr
    check_frames(path, timeline, video, 8)
    # index / average fps (what decord's get_avg_fps() invites) would be wrong here
    assert not np.allclose(video.times, np.arange(len(truth))[: len(video.times)] / 15.0, atol=1e-3)


@pytest.mark.parametrize("backend", ["torchcodec", "pyav"])
def test_av1(synthetic_clip, backend):
    path, timeline = synthetic_clip(seconds=3.0, seed=13, codec="av1")
    video = sample_video(path, 6, SIZE, backend=backend, fallback=False)
    check_frames(path, timeline, video, 6)


def test_decord_cannot_read_av1_and_falls_back(synthetic_clip):
    path, timeline = synthetic_clip(seconds=3.0, seed=13, codec="av1")
    with pytest.raises(VideoDecodeError) as caught:
        sample_video(path, 6, SIZE, backend="decord", fallback=False)
    assert "decord" in caught.value.attempts and str(path) in str(caught.value)
    video = sample_video(path, 6, SIZE, backend="decord")  # fallback on
    assert video.backend != "decord" and "decord" in video.attempts
    check_frames(path, timeline, video, 6)


def test_webm_vp9(synthetic_clip):
    path, timeline = synthetic_clip(seconds=3.0, seed=14, container="webm")
    video = sample_video(path, 6, SIZE)
    check_frames(path, timeline, video, 6)


def test_short_video_gives_each_frame_once(synthetic_clip):
    path, _ = synthetic_clip(seconds=0.2, seed=15, fps=10)  # 2 frames
    video = sample_video(path, 16, SIZE)
    assert len(video.times) == 2 and np.all(np.diff(video.times) > 0)


@pytest.mark.parametrize("kind", ["bytes", "filelike"])
def test_in_memory_inputs(synthetic_clip, kind):
    path, timeline = synthetic_clip(seconds=3.0, seed=16)
    data = path.read_bytes()
    source = data if kind == "bytes" else io.BytesIO(data)
    video = sample_video(source, 6, SIZE)
    check_frames(path, timeline, video, 6)


def test_frame_arrays_with_fps_or_times():
    frames = np.zeros((20, 48, 64, 3), np.uint8)
    frames[:, :, :, 0] = np.arange(20)[:, None, None] * 10
    video = sample_video({"frames": frames, "fps": 10.0}, 4, SIZE)
    np.testing.assert_allclose(video.times, [0.2, 0.7, 1.2, 1.7])  # segment centres of [0, 2 s): 0.25, 0.75, ...
    assert video.frames[:, 0, 0, 0].tolist() == [20, 70, 120, 170]
    times = np.cumsum(np.r_[0.0, np.full(19, 0.5)])
    video = sample_video({"frames": list(frames), "times": times}, 4, SIZE)
    assert np.all(np.isin(video.times, times))
    with pytest.raises(ValueError, match="fps"):
        sample_video(frames, 4, SIZE)


# -- datasets' Video() feature returns torchcodec VideoDecoder objects --------------------------------------------
def test_datasets_video_feature(synthetic_clip):
    datasets = pytest.importorskip("datasets")
    path, timeline = synthetic_clip(seconds=3.0, seed=17)
    dataset = datasets.Dataset.from_dict({"video": [str(path)]}).cast_column("video", datasets.Video())
    decoder = dataset[0]["video"]
    assert type(decoder).__name__ == "VideoDecoder"
    video = sample_video(decoder, 6, SIZE)
    check_frames(path, timeline, video, 6)
    audio = decode_audio_windows(decoder, video.times)
    assert audio.has_audio


def test_bare_torchcodec_decoder(synthetic_clip):
    from torchcodec.decoders import VideoDecoder

    path, timeline = synthetic_clip(seconds=3.0, seed=17)
    with open(path, "rb") as handle:
        decoder = VideoDecoder(handle.read())  # nothing tells where it came from: decode through it
    video = sample_video(decoder, 6, SIZE)
    assert video.backend == "torchcodec-object"
    check_frames(path, timeline, video, 6)


# -- audio windows ---------------------------------------------------------------------------------------------
def tone_timeline(seconds: float = 6.0, step: float = 1.5) -> Timeline:
    colours = ["red", "green", "blue", "yellow", "cyan", "magenta"]
    frequencies = [440.0, 880.0, 1320.0, 660.0, 990.0, 550.0]
    count = int(round(seconds / step))
    visuals = [
        SolidColour(start=i * step, end=(i + 1) * step, background=colour_named(colours[i % 6])) for i in range(count)
    ]
    sounds = [Tone(start=i * step, end=(i + 1) * step, frequency=frequencies[i % 6], gain=0.5) for i in range(count)]
    return Timeline(duration=seconds, visuals=visuals, sounds=sounds)


def check_windows(windows, timeline, centres, window_seconds=2.0):
    """Around each window's centre time, the window holds the tone the event list plays then."""
    length = int(window_seconds * RATE)
    assert windows.waveforms.shape == (len(centres), length)
    starts = window_starts(centres, window_seconds, 0.0, timeline.duration)
    for waveform, start, centre in zip(windows.waveforms, starts, centres):
        playing = timeline.sounds_at(centre)
        if not playing or any(abs(centre - s.start) < 0.2 or abs(centre - s.end) < 0.2 for s in playing):
            continue
        offset = int(round((centre - start) * RATE))
        piece = waveform[max(offset - 1600, 0) : offset + 1600]
        assert abs(dominant_frequency(piece, RATE) - playing[0].frequency) < 0.03 * playing[0].frequency


@pytest.mark.parametrize("backend", ["torchcodec", "pyav"])
def test_audio_windows_hold_the_tones(synthetic_clip, backend):
    timeline = tone_timeline()
    path, timeline = synthetic_clip(timeline=timeline)
    video = sample_video(path, 8, SIZE)
    windows = decode_audio_windows(path, video.times, window_seconds=2.0, backend=backend)
    assert windows.has_audio and windows.backend == backend
    assert windows.valid.tolist() == [2 * RATE] * 8  # clamped inside the audio: every window is full
    check_windows(windows, timeline, video.times)


def test_windows_are_clamped_inside_the_audio():
    starts = window_starts(np.array([0.1, 3.0, 5.9]), 2.0, 0.0, 6.0)
    np.testing.assert_allclose(starts, [0.0, 2.0, 4.0])
    np.testing.assert_allclose(window_starts(np.array([0.5]), 2.0, 0.0, 1.0), [0.0])  # audio shorter than a window


def test_audio_shorter_than_a_window_is_zero_padded(synthetic_clip):
    path, _ = synthetic_clip(seconds=1.0, seed=18)
    windows = decode_audio_windows(path, np.array([0.5]), window_seconds=2.0)
    assert windows.has_audio
    assert 0.9 * RATE < windows.valid[0] < 1.1 * RATE
    assert not windows.waveforms[0, int(windows.valid[0]) :].any()


def test_long_clip_windows_seek_per_window(synthetic_clip):
    """Windows covering < 50% of the track are read one by one (the path long videos take)."""
    timeline = tone_timeline(seconds=24.0, step=3.0)
    path, timeline = synthetic_clip(timeline=timeline, size=(64, 64), fps=5)
    centres = np.array([1.5, 7.5, 13.5, 19.5])
    for backend in ("torchcodec", "pyav"):
        windows = decode_audio_windows(path, centres, window_seconds=2.0, backend=backend)
        check_windows(windows, timeline, centres)


def test_no_audio_track_is_silence_not_an_error(synthetic_clip):
    path, _ = synthetic_clip(seconds=2.0, seed=19, audio=False)
    for backend in ("torchcodec", "pyav"):
        windows = decode_audio_windows(path, np.array([0.5, 1.5]), backend=backend)
        assert not windows.has_audio and not windows.waveforms.any() and not windows.valid.any()


def audio_only_copy(path, tmp_path):
    """Remux the audio stream of a clip into an audio-only .m4a (what a podcast or a music file looks like)."""
    out_path = tmp_path / "audio_only.m4a"
    with av.open(str(path)) as source, av.open(str(out_path), "w", format="mp4") as out:
        stream = out.add_stream_from_template(source.streams.audio[0])
        for packet in source.demux(source.streams.audio[0]):
            if packet.dts is None:
                continue
            packet.stream = stream
            out.mux(packet)
    return out_path


@pytest.mark.parametrize("backend", ["torchcodec", "pyav"])
def test_audio_only_file(synthetic_clip, tmp_path, backend):
    path, timeline = synthetic_clip(timeline=tone_timeline())
    audio_path = audio_only_copy(path, tmp_path)
    with pytest.raises(VideoDecodeError, match="audio only"):
        sample_video(audio_path, 8, SIZE)
    windows = decode_audio_windows(audio_path, None, num_windows=4, backend=backend)
    assert windows.has_audio
    np.testing.assert_allclose(windows.centres, [1.0, 2.333, 3.667, 5.0], atol=0.05)  # [0, 2) ... [4, 6)
    check_windows(windows, timeline, windows.centres)


def test_silent_stretches_are_silent(synthetic_clip):
    step = 1.0
    visuals = [SolidColour(start=i * step, end=(i + 1) * step, background=colour_named("red")) for i in range(4)]
    timeline = Timeline(duration=4.0, visuals=visuals, sounds=[Tone(start=0.0, end=1.0, frequency=440.0)])
    path, timeline = synthetic_clip(timeline=timeline)
    windows = decode_audio_windows(path, np.array([0.5, 3.5]), window_seconds=1.0)
    assert rms(windows.waveforms[0]) > 0.05 and rms(windows.waveforms[1]) < 1e-3


def test_pyav_handles_a_stream_starting_late(tmp_path):
    """pts that do not start at 0 are reported as the container gives them."""
    path = tmp_path / "late.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        stream.time_base = Fraction(1, 1000)
        for index in range(20):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), index * 10, np.uint8), format="rgb24")
            frame.pts, frame.time_base = 1000 + index * 100, stream.time_base
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    for backend in BACKENDS:
        video = sample_video(path, 4, SIZE, backend=backend, fallback=False)
        assert video.times.min() >= 0.99 and video.times.max() <= 3.0, (backend, video.times)
