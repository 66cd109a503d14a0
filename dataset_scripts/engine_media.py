"""Cut what a captioning model sees and hears from a ``[start, end]`` interval of a file, for every engine.

Frames: ``num_frames`` times at the centres of equal segments of the interval; each gets the frame on screen at
that time (read by seeking, so a clip of an hour-long video costs as much as a short file). Frames are never
de-duplicated: a clip shorter than ``num_frames`` frames repeats some, and the model always gets the count asked.
Audio: the interval's samples resampled to 16 kHz mono float32, what Qwen2-Audio's feature extractor expects.

torchcodec decodes first (fast seeks); PyAV is the fallback where torchcodec cannot load or read a file.
Files without the needed stream, or intervals outside the file, raise `MediaError`.
"""

from __future__ import annotations

import io
import os
import wave
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16_000
# Relative gap between the nominal frame rate and frames / duration beyond which a stream is variable-rate.
_VFR_TOLERANCE = 0.02


class MediaError(Exception):
    """A clip cannot be cut from a file; ``path`` and ``reason`` say which and why."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True)
class ClipFrames:
    """``frames`` uint8 ``[N, H, W, 3]`` in time order, ``times`` their presentation times in seconds;
    ``start`` / ``end`` is the interval they were sampled from (clamped to the video stream)."""

    frames: np.ndarray
    times: np.ndarray
    start: float
    end: float


def sample_times(start: float, end: float, num_frames: int) -> np.ndarray:
    """Centres of ``num_frames`` equal segments of ``[start, end)``: never a cut's first or last instant."""
    return start + (np.arange(num_frames, dtype=np.float64) + 0.5) * (end - start) / num_frames


def _clamp_interval(path, start: float | None, end: float | None, begin: float, stop: float) -> tuple[float, float]:
    clip_start = begin if start is None else max(float(start), begin)
    clip_end = stop if end is None else min(float(end), stop)
    if clip_end <= clip_start:
        raise MediaError(
            path, f"the interval [{start}, {end}] s lies outside the stream's [{begin:.3f}, {stop:.3f}] s"
        )
    return clip_start, clip_end


def _check_file(path: str) -> None:
    if not os.path.isfile(path):
        raise MediaError(path, "no such file")


# -- frames ------------------------------------------------------------------------------------------------------
def _torchcodec_frames(path: str, start, end, num_frames: int) -> ClipFrames:
    from torchcodec.decoders import VideoDecoder

    decoder = VideoDecoder(path, seek_mode="approximate", dimension_order="NHWC")
    meta = decoder.metadata
    count, duration, rate = meta.num_frames_from_header, meta.duration_seconds_from_header, meta.average_fps
    if not (count and duration and rate) or abs(count / duration - rate) / rate > _VFR_TOLERANCE:
        # Approximate seeks map time to index through the mean rate: wrong for variable frame rate.
        decoder = VideoDecoder(path, seek_mode="exact", dimension_order="NHWC")
        meta = decoder.metadata
    begin, stop = float(meta.begin_stream_seconds or 0.0), float(meta.end_stream_seconds)
    clip_start, clip_end = _clamp_interval(path, start, end, begin, stop)
    targets = np.clip(sample_times(clip_start, clip_end, num_frames), begin, np.nextafter(stop, begin))
    batch = decoder.get_frames_played_at(targets.tolist())
    return ClipFrames(batch.data.numpy(), batch.pts_seconds.numpy().astype(np.float64), clip_start, clip_end)


def _pyav_interval(container, stream) -> tuple[float, float]:
    base = stream.time_base
    begin = float(stream.start_time * base) if stream.start_time is not None else 0.0
    if stream.duration is not None:
        return begin, begin + float(stream.duration * base)
    if container.duration is not None:
        return begin, container.duration / 1_000_000
    raise MediaError(container.name, "the stream has no duration")


def _pyav_frames(path: str, start, end, num_frames: int) -> ClipFrames:
    import av

    with av.open(path) as container:
        if not container.streams.video:
            raise MediaError(path, "no video stream")
        stream = container.streams.video[0]
        base = stream.time_base
        begin, stop = _pyav_interval(container, stream)
        clip_start, clip_end = _clamp_interval(path, start, end, begin, stop)
        frames, times = [], []
        for target in sample_times(clip_start, clip_end, num_frames):
            container.seek(max(int(target / base), 0), stream=stream, backward=True, any_frame=False)
            shown = None
            for frame in container.decode(stream):
                if shown is not None and frame.pts is not None and float(frame.pts * base) > target:
                    break
                shown = frame
            if shown is None:
                raise MediaError(path, f"no frame decodes at {target:.3f} s")
            frames.append(shown.to_ndarray(format="rgb24"))
            times.append(float(shown.pts * base) if shown.pts is not None else float(target))
    return ClipFrames(np.stack(frames), np.asarray(times, dtype=np.float64), clip_start, clip_end)


def read_clip_frames(
    path: str | os.PathLike, start: float | None = None, end: float | None = None, num_frames: int = 16
) -> ClipFrames:
    """``num_frames`` RGB frames sampled uniformly in time from ``[start, end]`` seconds of ``path``."""
    path = os.fspath(path)
    _check_file(path)
    try:
        return _torchcodec_frames(path, start, end, num_frames)
    except MediaError:
        raise
    except Exception as torchcodec_error:  # not installed, no FFmpeg libraries, a stream it cannot read
        try:
            return _pyav_frames(path, start, end, num_frames)
        except MediaError:
            raise
        except Exception as error:
            raise MediaError(path, f"cannot decode video (torchcodec: {torchcodec_error}; PyAV: {error})") from error


# -- audio -------------------------------------------------------------------------------------------------------
def _torchcodec_audio(path: str, start, end, sample_rate: int) -> np.ndarray:
    from torchcodec.decoders import AudioDecoder

    try:
        decoder = AudioDecoder(path, sample_rate=sample_rate, num_channels=1)
    except (RuntimeError, ValueError) as error:
        if "audio stream" in str(error).lower():
            raise MediaError(path, "no audio stream") from None
        raise
    meta = decoder.metadata
    begin = float(meta.begin_stream_seconds_from_header or 0.0)
    stop = begin + float(meta.duration_seconds_from_header) if meta.duration_seconds_from_header else np.inf
    clip_start, clip_end = _clamp_interval(path, start, end, begin, stop)
    samples = decoder.get_samples_played_in_range(
        start_seconds=clip_start, stop_seconds=None if np.isinf(clip_end) else clip_end
    )
    return _trim(samples.data[0].numpy(), float(samples.pts_seconds), clip_start, clip_end, sample_rate)


def _pyav_audio(path: str, start, end, sample_rate: int) -> np.ndarray:
    import av

    with av.open(path) as container:
        if not container.streams.audio:
            raise MediaError(path, "no audio stream")
        stream = container.streams.audio[0]
        base = stream.time_base
        begin, stop = _pyav_interval(container, stream)
        clip_start, clip_end = _clamp_interval(path, start, end, begin, stop)
        container.seek(max(int(clip_start / base), 0), stream=stream, backward=True, any_frame=False)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        chunks, first = [], None
        for frame in container.decode(stream):
            frame_start = float(frame.pts * base) if frame.pts is not None else clip_start
            if frame_start + frame.samples / frame.sample_rate <= clip_start:
                continue
            first = frame_start if first is None else first
            chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
            if frame_start >= clip_end:
                break
        chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    if first is None:
        raise MediaError(path, f"no audio decodes in [{clip_start:.3f}, {clip_end:.3f}] s")
    return _trim(np.concatenate(chunks), first, clip_start, clip_end, sample_rate)


def _trim(samples: np.ndarray, first: float, start: float, end: float, sample_rate: int) -> np.ndarray:
    """The samples of ``[start, end)`` out of decoded audio whose first sample plays at ``first``."""
    offset = max(int(round((start - first) * sample_rate)), 0)
    length = None if np.isinf(end) else int(round((end - start) * sample_rate))
    piece = samples[offset:] if length is None else samples[offset : offset + length]
    return np.ascontiguousarray(piece, dtype=np.float32)


def read_clip_audio(
    path: str | os.PathLike, start: float | None = None, end: float | None = None, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """Mono float32 samples of ``[start, end]`` seconds of ``path``'s first audio stream at ``sample_rate``."""
    path = os.fspath(path)
    _check_file(path)
    try:
        samples = _torchcodec_audio(path, start, end, sample_rate)
    except MediaError:
        raise
    except Exception as torchcodec_error:
        try:
            samples = _pyav_audio(path, start, end, sample_rate)
        except MediaError:
            raise
        except Exception as error:
            raise MediaError(path, f"cannot decode audio (torchcodec: {torchcodec_error}; PyAV: {error})") from error
    if samples.size == 0:
        raise MediaError(path, f"no audio samples in [{start}, {end}] s")
    return samples


# -- encodings for HTTP ------------------------------------------------------------------------------------------
def jpeg_bytes(frame: np.ndarray, quality: int = 90, max_side: int | None = None) -> bytes:
    """One RGB frame as JPEG, shrunk (aspect kept) so its longer side is at most ``max_side``."""
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(frame[..., :3]))
    if max_side and max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def wav_bytes(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """Mono float samples as a 16-bit PCM WAV file (what OpenAI-style ``input_audio`` parts carry)."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(pcm.tobytes())
    return buffer.getvalue()
