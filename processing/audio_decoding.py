"""Decode only the audio a model looks at: short windows around the sampled frames, at 16 kHz mono.

Why windows, and why 2.0 s centred on each frame (the default ``window_seconds``):

- Cost independent of length. 16 windows of 2 s are 32 s of audio whatever the video's length; a one-hour
  track is never decoded in full (one decoder is opened and *seeks* to each window, in time order).
- Synchronised with the pictures. The model fuses each frame with its sound (the AVTS resampler gets one audio
  window per frame, and both carry the same timestamp). A window centred on the frame time hears what happens
  while that picture is on screen, 1 s before and after; off-centre windows would lag or lead the picture.
- Long enough for a sound event. 2 s holds a word, a bark, a note or a door slam, and gives BEATs 198 fbank frames
  (25 ms / 10 ms Kaldi framing) = 12 x 8 patches of 16 x 16; shorter windows leave BEATs only a few patches.
  Longer ones overlap neighbouring frames' windows on short videos and blur events between frames.
- Clamped inside the audio. A frame near the start or the end gets the window shifted inwards
  (``[begin, begin + 2 s)`` rather than half silence), so every window is full unless the audio itself is
  shorter than the window; then the window is zero-padded at its end and the padding is reported.

No audio track is not an error: the result has ``has_audio=False`` and all-zero windows. Audio alone (no video)
uses ``num_windows`` windows spread evenly from the start to the end of the track.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .media_errors import Deadline, VideoDecodeError
from .video_decoding import MediaSource, _first_line, _pyav_open, _pyav_stream_interval, as_media_source

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
AUDIO_BACKENDS = ("torchcodec", "pyav")
# Decode the whole track at once (one pass, no seeks) when the windows cover at least this share of it.
_WHOLE_TRACK_COVERAGE = 0.5


class NoAudioStream(Exception):
    """The input has no audio track (not an error for the processor)."""


@dataclass
class AudioWindows:
    """``waveforms`` float32 ``[W, L]`` (L = window_seconds x sample_rate, zero-padded at the end);
    ``valid`` int ``[W]``: how many leading samples of each window are real audio; ``centres`` float ``[W]``
    seconds; ``begin``/``end``: the audio stream's interval (None without audio)."""

    waveforms: np.ndarray
    valid: np.ndarray
    centres: np.ndarray
    has_audio: bool
    begin: float | None = None
    end: float | None = None
    backend: str | None = None
    attempts: dict[str, str] = field(default_factory=dict)
    starts: np.ndarray | None = None
    sample_rate: int = SAMPLE_RATE

    @property
    def times(self) -> np.ndarray:
        """Centre of the audio each window really holds: ``start + real length / 2`` (the frame time, shifted
        inwards near either end of the track); the requested centre for a window without audio."""
        if self.starts is None:
            return np.asarray(self.centres, dtype=np.float64)
        real = self.starts + self.valid / (2.0 * self.sample_rate)
        return np.where(self.valid > 0, real, self.centres)


def window_length(window_seconds: float, sample_rate: int = SAMPLE_RATE) -> int:
    return int(round(window_seconds * sample_rate))


def window_starts(centres: np.ndarray, window_seconds: float, begin: float, end: float) -> np.ndarray:
    """Start of each window: centred on its time, then shifted inside ``[begin, end]``."""
    starts = np.asarray(centres, dtype=np.float64) - window_seconds / 2.0
    latest = max(end - window_seconds, begin)
    return np.clip(starts, begin, latest)


def uniform_centres(begin: float, end: float, count: int, window_seconds: float = 0.0) -> np.ndarray:
    """Centres of ``count`` windows for audio alone: evenly spread so that the first starts at ``begin`` and the last
    ends at ``end`` (no window needs shifting inwards); all at the start when the audio is shorter than a window.
    With ``window_seconds=0``: the centres of ``count`` equal segments."""
    span = max(end - begin, 0.0)
    if window_seconds <= 0:
        return begin + (np.arange(count, dtype=np.float64) + 0.5) * span / max(count, 1)
    if span <= window_seconds:
        return np.full(count, begin + window_seconds / 2.0)
    if count == 1:
        return np.array([begin + span / 2.0])
    return begin + window_seconds / 2.0 + np.arange(count, dtype=np.float64) * (span - window_seconds) / (count - 1)


def silent_windows(centres: np.ndarray, window_seconds: float, sample_rate: int = SAMPLE_RATE) -> AudioWindows:
    count = len(centres)
    return AudioWindows(
        waveforms=np.zeros((count, window_length(window_seconds, sample_rate)), dtype=np.float32),
        valid=np.zeros(count, dtype=np.int64),
        centres=np.asarray(centres, dtype=np.float64),
        has_audio=False,
    )


def _fill_windows(
    read_range, starts: np.ndarray, length: int, sample_rate: int, begin: float, end: float, deadline: Deadline
) -> tuple[np.ndarray, np.ndarray]:
    """``read_range(a, b) -> (samples, t0)`` decodes [a, b) (t0 = time of samples[0]). One call for the whole track
    when the windows cover most of it, else one call per window (the decoder seeks)."""
    count = len(starts)
    waveforms = np.zeros((count, length), dtype=np.float32)
    valid = np.zeros(count, dtype=np.int64)
    if count == 0:
        return waveforms, valid
    seconds = length / sample_rate
    covered = min(count * seconds, end - begin) if np.isfinite(end) else 0.0
    whole = not np.isfinite(end) or (end - begin) <= 0 or covered >= _WHOLE_TRACK_COVERAGE * (end - begin)
    if whole:
        samples, t0 = read_range(begin, end)
        chunks = [(samples, t0)] * count
    else:
        chunks = []
        for start in starts:
            deadline.check()
            chunks.append(read_range(float(start), float(start) + seconds))
    for index, (start, (samples, t0)) in enumerate(zip(starts, chunks)):
        offset = int(round((float(start) - t0) * sample_rate))
        piece = samples[max(offset, 0) : max(offset, 0) + length]
        shift = max(-offset, 0)  # decoded audio began after the window start (should not happen; stay aligned)
        piece = piece[: max(length - shift, 0)]
        waveforms[index, shift : shift + len(piece)] = piece
        valid[index] = shift + len(piece) if len(piece) else 0
    return waveforms, valid


# -- torchcodec --------------------------------------------------------------------------------------------------
def _decode_torchcodec(source: MediaSource, centres, num_windows, window_seconds, sample_rate, deadline):
    from torchcodec.decoders import AudioDecoder

    try:
        decoder = AudioDecoder(source.for_backend("torchcodec"), sample_rate=sample_rate, num_channels=1)
    except (ValueError, RuntimeError) as error:
        if "audio stream" in str(error).lower() and "unknown" in str(error).lower():
            raise NoAudioStream(str(error)) from None
        raise
    metadata = decoder.metadata
    # Some MP4s put AAC priming before 0: nothing a frame time can point to, so windows never start there.
    begin = float(metadata.begin_stream_seconds_from_header or 0.0)
    duration = metadata.duration_seconds_from_header
    whole = None
    if not duration:
        whole = decoder.get_all_samples()
        begin = float(whole.pts_seconds)
        duration = whole.data.shape[-1] / sample_rate
    end = begin + float(duration)
    begin = max(begin, 0.0)
    if centres is None:
        centres = uniform_centres(begin, end, num_windows, window_seconds)

    def read_range(a: float, b: float):
        if whole is not None:
            return whole.data[0].numpy(), float(whole.pts_seconds)
        samples = decoder.get_samples_played_in_range(start_seconds=a, stop_seconds=min(b, end + 1.0))
        return samples.data[0].numpy(), float(samples.pts_seconds)

    starts = window_starts(centres, window_seconds, begin, end)
    waveforms, valid = _fill_windows(
        read_range, starts, window_length(window_seconds, sample_rate), sample_rate, begin, end, deadline
    )
    return AudioWindows(
        waveforms,
        valid,
        np.asarray(centres, np.float64),
        True,
        begin,
        end,
        "torchcodec",
        starts=starts,
        sample_rate=sample_rate,
    )


# -- PyAV --------------------------------------------------------------------------------------------------------
def _decode_pyav(source: MediaSource, centres, num_windows, window_seconds, sample_rate, deadline):
    import av

    container = _pyav_open(source)
    try:
        if not container.streams.audio:
            raise NoAudioStream("no audio stream")
        stream = container.streams.audio[0]
        time_base = stream.time_base
        begin, end = _pyav_stream_interval(container, stream)
        begin = max(begin, 0.0)
        if centres is None:
            if not np.isfinite(end):
                raise VideoDecodeError(source.name, "the audio stream has no duration")
            centres = uniform_centres(begin, end, num_windows, window_seconds)

        def read_range(a: float, b: float):
            container.seek(max(int(a / time_base), 0), stream=stream, backward=True, any_frame=False)
            resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
            chunks, t0 = [], None
            finished = False
            for packet in container.demux(stream):
                deadline.check()
                for frame in packet.decode():
                    start = float(frame.pts * time_base) if frame.pts is not None else frame.time
                    if start is None:
                        continue
                    stop = start + frame.samples / float(frame.sample_rate)
                    if stop <= a:
                        continue
                    if t0 is None:
                        t0 = start
                    chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
                    if stop >= b:
                        finished = True
                        break
                if finished:
                    break
            chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
            if t0 is None:
                return np.zeros(0, np.float32), a
            return np.concatenate(chunks).astype(np.float32, copy=False), t0

        starts = window_starts(centres, window_seconds, begin, end)
        waveforms, valid = _fill_windows(
            read_range, starts, window_length(window_seconds, sample_rate), sample_rate, begin, end, deadline
        )
    finally:
        container.close()
    return AudioWindows(
        waveforms,
        valid,
        np.asarray(centres, np.float64),
        True,
        begin,
        end,
        "pyav",
        starts=starts,
        sample_rate=sample_rate,
    )


# -- in memory ---------------------------------------------------------------------------------------------------
def resample_waveform(waveform: Any, orig_rate: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Mono float32 at ``sample_rate`` from a ``[N]``, ``[C, N]`` or ``[N, C]`` array."""
    if hasattr(waveform, "detach"):
        waveform = waveform.detach().cpu().numpy()
    array = np.asarray(waveform, dtype=np.float32)
    if array.ndim == 2:
        array = array.mean(axis=0 if array.shape[0] <= array.shape[1] else 1)
    array = array.reshape(-1)
    if orig_rate == sample_rate or array.size == 0:
        return array
    import torch
    import torchaudio.functional

    return torchaudio.functional.resample(torch.from_numpy(array), int(orig_rate), sample_rate).numpy()


def windows_from_waveform(
    waveform: Any, orig_rate: int, centres, num_windows, window_seconds, sample_rate=SAMPLE_RATE, begin=0.0
) -> AudioWindows:
    samples = resample_waveform(waveform, orig_rate, sample_rate)
    end = begin + len(samples) / sample_rate
    if centres is None:
        centres = uniform_centres(begin, end, num_windows, window_seconds)
    starts = window_starts(centres, window_seconds, begin, end)
    waveforms, valid = _fill_windows(
        lambda a, b: (samples, begin),
        starts,
        window_length(window_seconds, sample_rate),
        sample_rate,
        begin,
        end,
        Deadline(None),
    )
    return AudioWindows(
        waveforms,
        valid,
        np.asarray(centres, np.float64),
        len(samples) > 0,
        begin,
        end,
        "memory",
        starts=starts,
        sample_rate=sample_rate,
    )


_DECODERS = {"torchcodec": _decode_torchcodec, "pyav": _decode_pyav}


def audio_backend_order(backend: str | None) -> tuple[str, ...]:
    if backend in (None, "auto"):
        return AUDIO_BACKENDS
    if backend == "decord":  # decord's AudioReader decodes the whole track on open: use the seeking ones
        return AUDIO_BACKENDS
    if backend not in AUDIO_BACKENDS:
        raise ValueError(f"unknown audio backend {backend!r}; choose from 'auto', {', '.join(AUDIO_BACKENDS)}")
    return (backend,) + tuple(name for name in AUDIO_BACKENDS if name != backend)


def decode_audio_windows(
    source: Any,
    centres: np.ndarray | None = None,
    num_windows: int = 16,
    window_seconds: float = 2.0,
    sample_rate: int = SAMPLE_RATE,
    backend: str | None = "auto",
    deadline: Deadline | None = None,
    raise_errors: bool = False,
) -> AudioWindows:
    """Windows of ``window_seconds`` centred on ``centres`` (or ``num_windows`` uniform ones over the track).

    Without an audio track -> ``has_audio=False`` and silent windows. If the track exists but cannot be decoded,
    the error is logged and the result is silent too (set ``raise_errors=True`` to get a ``VideoDecodeError``).
    """
    source = as_media_source(source)
    deadline = deadline or Deadline(None, source.name)
    count = num_windows if centres is None else len(centres)
    if source.kind == "frames":
        if source.audio is None or source.audio[0] is None:
            return silent_windows(np.zeros(count) if centres is None else centres, window_seconds, sample_rate)
        waveform, rate = source.audio
        return windows_from_waveform(
            waveform, int(rate or sample_rate), centres, num_windows, window_seconds, sample_rate
        )
    if source.kind == "decoder":  # a torchcodec VideoDecoder that does not say where it came from
        logger.warning("%s: cannot read its audio (no path or bytes to reopen); using silence", source.name)
        return silent_windows(np.zeros(count) if centres is None else centres, window_seconds, sample_rate)
    attempts: dict[str, str] = {}
    for name in audio_backend_order(backend):
        deadline.check()
        try:
            result = _DECODERS[name](source, centres, num_windows, window_seconds, sample_rate, deadline)
            result.attempts = attempts
            return result
        except NoAudioStream:
            return silent_windows(np.zeros(count) if centres is None else centres, window_seconds, sample_rate)
        except VideoDecodeError as error:
            if "timed out" in error.reason:
                raise
            attempts[name] = error.reason
        except Exception as error:  # noqa: BLE001 - each backend has its own error types
            attempts[name] = _first_line(error)
    if raise_errors:
        raise VideoDecodeError(source.name, "the audio track could not be decoded", attempts)
    logger.warning("%s: the audio track could not be decoded (%s); using silence", source.name, attempts)
    silent = silent_windows(np.zeros(count) if centres is None else centres, window_seconds, sample_rate)
    silent.attempts = attempts
    return silent
