"""Streams a timeline into a real media file with PyAV: render one frame / one audio block, encode, repeat.

Nothing but the current frame and audio block is held in memory, so clip length only costs time.
Audio is encoded a little ahead of the video so the muxer can interleave the two streams.
"""

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from av.video.reformatter import VideoReformatter
from tqdm import tqdm

from .audio_render import render_audio
from .clip_format import AUDIO_BIT_RATES, SVT_AV1_LOG_LEVEL, VIDEO_ENCODER_OPTIONS, ClipFormat, resolve_format
from .clip_info import ClipInfo
from .errors import SyntheticClipError
from .frame_schedule import MAX_FPS, FrameSchedule
from .timeline import Timeline
from .video_render import FrameRenderer

AUDIO_BLOCK_SECONDS = 0.25
OPUS_SAMPLE_RATE = 48_000
MIN_SIDE = 64
"""SVT-AV1 refuses pictures smaller than 64 pixels on a side; the same floor keeps every codec in play."""


@dataclass(frozen=True)
class ClipOptions:
    codec: str | None = None
    """Video codec: h264, vp9 or av1; None picks the container's default (h264 for mp4/mkv, vp9 for webm)."""
    audio: bool = True
    vfr: bool = False
    """Variable frame rate: frame durations alternate between 1 and 3 ticks of 1/fps."""
    size: tuple[int, int] = (160, 90)
    fps: int = 30
    sample_rate: int = 48_000
    keyframe_seconds: float = 2.0
    threads: int = 1
    """Encoder threads; tiny pictures gain little from more, and tests run in parallel."""


def write_clip(
    path: str | Path, timeline: Timeline, options: ClipOptions | None = None, *, progress: bool = False
) -> ClipInfo:
    """Write ``timeline`` as a clip at ``path`` (container from its extension) and its ``.events.json`` sidecar.

    The clip appears under its name only once complete (it is written to a hidden sibling, then renamed).
    """
    path = Path(path)
    options = options or ClipOptions()
    clip_format = resolve_format(path, options.codec)
    _check_options(path, options, clip_format)
    schedule = FrameSchedule.variable(options.fps) if options.vfr else FrameSchedule(options.fps)
    if not options.audio:
        timeline = timeline.without_sounds()
    partial = path.with_name(f".{path.name}.partial")
    try:
        with av.open(str(partial), "w", format=clip_format.container) as container:
            frame_count = _encode(container, clip_format, timeline, schedule, options, progress)
        os.replace(partial, path)
    except av.FFmpegError as error:
        raise SyntheticClipError(path, f"encoding failed: {error}") from error
    finally:
        partial.unlink(missing_ok=True)
    info = ClipInfo(
        path=path,
        container=clip_format.container,
        video_codec=clip_format.video_codec,
        audio_codec=clip_format.audio_codec if options.audio else None,
        width=options.size[0],
        height=options.size[1],
        frame_schedule=schedule,
        frame_count=frame_count,
        sample_rate=options.sample_rate if options.audio else None,
        timeline=timeline,
    )
    info.save()
    return info


def _check_options(path: Path, options: ClipOptions, clip_format: ClipFormat) -> None:
    width, height = options.size
    if width % 2 or height % 2 or min(width, height) < MIN_SIDE:
        reason = f"size must be even and at least {MIN_SIDE} pixels a side, got {width}x{height}"
        raise SyntheticClipError(path, reason)
    if options.keyframe_seconds <= 0:
        raise SyntheticClipError(path, f"keyframe_seconds must be positive, got {options.keyframe_seconds}")
    if not isinstance(options.fps, int) or not 1 <= options.fps <= MAX_FPS:
        raise SyntheticClipError(path, f"fps must be a whole number in [1, {MAX_FPS}], got {options.fps!r}")
    if options.audio and clip_format.audio_codec == "opus" and options.sample_rate != OPUS_SAMPLE_RATE:
        raise SyntheticClipError(path, f"Opus audio is written at {OPUS_SAMPLE_RATE} Hz, got {options.sample_rate}")


def _encode(
    container: av.container.OutputContainer,
    clip_format: ClipFormat,
    timeline: Timeline,
    schedule: FrameSchedule,
    options: ClipOptions,
    progress: bool,
) -> int:
    """Encode every frame and audio block; returns the number of video frames written."""
    video = _add_video_stream(container, clip_format, options)
    audio = _add_audio_stream(container, clip_format, options) if options.audio else None
    renderer = FrameRenderer(*options.size)
    to_yuv = VideoReformatter()  # one shared converter: a frame's own reformat() rebuilds it every call
    sample_rate = options.sample_rate
    total_samples = round(timeline.duration * sample_rate)
    audio_cursor = 0
    frame_count = 0
    bar = tqdm(total=schedule.frame_count(timeline.duration), unit="frame", disable=not progress, desc="synth-clip")
    for tick, step in schedule.ticks(timeline.duration):
        t = tick / schedule.fps
        if audio is not None:
            audio_target = round((t + AUDIO_BLOCK_SECONDS) * sample_rate)
            audio_cursor = _encode_audio_until(container, audio, timeline, audio_cursor, audio_target, total_samples)
        picture = av.VideoFrame.from_ndarray(renderer.render(timeline.visual_at(t), t), format="rgb24")
        frame = to_yuv.reformat(picture, format="yuv420p")
        frame.pts, frame.duration, frame.time_base = tick, step, video.codec_context.time_base
        container.mux(video.encode(frame))
        frame_count += 1
        bar.update()
    bar.close()
    container.mux(video.encode(None))
    if audio is not None:
        _encode_audio_until(container, audio, timeline, audio_cursor, total_samples, total_samples)
        container.mux(audio.encode(None))
    return frame_count


def _encode_audio_until(container, stream, timeline: Timeline, cursor: int, target: int, total: int) -> int:
    """Encode whole audio blocks from sample ``cursor`` until ``target`` is reached (or the track's ``total``)."""
    sample_rate = stream.codec_context.sample_rate
    block = max(round(AUDIO_BLOCK_SECONDS * sample_rate), 1)
    while cursor < min(target, total):
        count = min(block, total - cursor)
        sounds = timeline.sounds_between(cursor / sample_rate, (cursor + count) / sample_rate)
        samples = render_audio(sounds, cursor, count, sample_rate)
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = sample_rate, cursor, Fraction(1, sample_rate)
        container.mux(stream.encode(frame))
        cursor += count
    return cursor


def _add_video_stream(container, clip_format: ClipFormat, options: ClipOptions):
    if clip_format.video_codec == "av1":
        os.environ.setdefault("SVT_LOG", SVT_AV1_LOG_LEVEL)
    stream = container.add_stream(clip_format.video_encoder, rate=options.fps)
    stream.width, stream.height = options.size
    stream.pix_fmt = "yuv420p"
    stream.time_base = Fraction(1, options.fps)
    stream.codec_context.time_base = Fraction(1, options.fps)
    stream.codec_context.gop_size = max(round(options.keyframe_seconds * options.fps), 1)
    stream.codec_context.thread_count = options.threads
    stream.options = dict(VIDEO_ENCODER_OPTIONS[clip_format.video_codec])
    return stream


def _add_audio_stream(container, clip_format: ClipFormat, options: ClipOptions):
    stream = container.add_stream(clip_format.audio_encoder, rate=options.sample_rate, layout="mono")
    stream.time_base = Fraction(1, options.sample_rate)
    stream.bit_rate = AUDIO_BIT_RATES[clip_format.audio_codec]
    return stream
