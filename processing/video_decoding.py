"""Sample a few frames from a video of any length, with their true presentation times, without decoding it all.

Backends: decord, torchcodec and PyAV. Each one *seeks* to the frames it needs and resizes at decode time, so a
60-minute or an 8K video costs about as much as a short one. When a backend cannot open a stream (decord cannot
read AV1 or tiny RGB streams, torchcodec needs the FFmpeg libraries, ...) the next one is tried; if all fail the
caller gets :class:`~media_errors.VideoDecodeError` naming the input and the reason.

Frame times are the presentation timestamps (pts) of the decoded frames in seconds, as the container gives them,
so they are right for variable-frame-rate video too:

- torchcodec: ``seek_mode="approximate"`` (no file scan) maps a time to a frame index through the average frame
  rate, which is wrong for variable frame rate. We detect VFR from the header (frame count / duration differs from
  the nominal rate) and reopen in ``"exact"`` mode, which scans the packet index, only then.
- decord: reports a VFR file as constant-rate, but ``get_frame_timestamp`` returns the true pts from its index;
  we pick frames by those pts and never compute ``index / fps``.
- PyAV: seeks by pts in the stream's time base and decodes forward to the frame shown at each target time.

Sampling: ``num_frames`` target times at the centres of equal segments of the video stream's
``[begin, end)`` interval, uniform *in time* (not in index; the two differ for VFR). Each target gets the frame on
screen at that time (the last frame whose pts <= t). Frames that come out twice (a video with fewer frames than
asked) are kept once; the caller masks the missing slots.
"""

from __future__ import annotations

import io
import logging
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .media_errors import Deadline, VideoDecodeError, describe_source

logger = logging.getLogger(__name__)

VIDEO_BACKENDS = ("torchcodec", "decord", "pyav")
# Order tried by ``backend="auto"``. torchcodec first: it opens a long file without scanning it (decord builds a
# full frame index on open: ~0.6 s for an hour of video), reads AV1 and tiny RGB streams, and is the decoder that
# `datasets` uses. decord and PyAV follow as fallbacks.
AUTO_BACKEND_ORDER = ("torchcodec", "decord", "pyav")

_URL_PREFIXES = ("http://", "https://", "rtsp://", "rtmp://", "ftp://", "s3://", "hf://")
# Relative tolerance between the nominal frame rate and frame_count / duration beyond which a stream is VFR.
_VFR_TOLERANCE = 0.02


# --------------------------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------------------------
@dataclass
class MediaSource:
    """A validated media input. ``kind`` is one of path, url, bytes, filelike, decoder, frames."""

    kind: str
    value: Any
    name: str
    decoder: Any = None  # a ready torchcodec VideoDecoder given by the caller (e.g. from datasets' Video())
    fps: float | None = None  # for kind == "frames"
    times: np.ndarray | None = None  # for kind == "frames"
    audio: Any = None  # for kind == "frames": an optional (waveform, sampling_rate)

    def for_backend(self, backend: str) -> Any:
        """The object to hand to a backend's open function (a fresh view for in-memory and file-like inputs)."""
        if self.kind in ("path", "url"):
            return self.value
        if self.kind == "bytes":
            return self.value if backend == "torchcodec" else io.BytesIO(self.value)
        if self.kind == "filelike":
            if hasattr(self.value, "seek"):
                self.value.seek(0)
            return self.value
        raise VideoDecodeError(self.name, f"{backend} cannot read a {self.kind} input")

    @property
    def is_local_file(self) -> bool:
        return self.kind == "path"


def _check_local_file(path: str) -> None:
    """Fail fast and clearly on what would otherwise crash a decoder or block forever (FIFOs, devices)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise VideoDecodeError(path, "no such file") from None
    except PermissionError:
        raise VideoDecodeError(path, "permission denied (cannot stat the file)") from None
    except OSError as error:
        raise VideoDecodeError(path, f"cannot stat the file ({error.strerror or error})") from None
    if stat.S_ISDIR(info.st_mode):
        raise VideoDecodeError(path, "is a directory, not a media file")
    if not stat.S_ISREG(info.st_mode):
        # Opening a FIFO blocks until a writer appears; character devices can stream forever.
        raise VideoDecodeError(path, "not a regular file (FIFO, socket or device)")
    if info.st_size == 0:
        raise VideoDecodeError(path, "empty file (0 bytes)")
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except PermissionError:
        raise VideoDecodeError(path, "permission denied (the file is not readable)") from None
    except OSError as error:
        raise VideoDecodeError(path, f"cannot read the file ({error.strerror or error})") from None


def as_media_source(obj: Any, fps: float | None = None, times: Sequence[float] | None = None) -> MediaSource:
    """Recognise every kind of video input the processor accepts and validate it.

    Accepted: a local path (str / PathLike / ``file://`` URL), a remote URL (torchcodec and PyAV only), ``bytes``,
    a binary file-like object, a ``{"path": ..., "bytes": ...}`` dict (``datasets`` with ``decode=False``), a
    ``torchcodec.decoders.VideoDecoder`` (what ``datasets``' ``Video()`` feature returns), a numpy array / torch
    tensor ``[T, H, W, 3]`` or a list of frames (PIL images or arrays) with ``fps`` or explicit ``times``, or a dict
    ``{"frames": ..., "fps": ... | "times": ..., "audio": waveform, "sampling_rate": sr}``.
    """
    if isinstance(obj, MediaSource):
        return obj
    if isinstance(obj, os.PathLike):
        obj = os.fspath(obj)
    if isinstance(obj, str):
        if obj.startswith("file://"):
            obj = obj[len("file://") :]
        elif obj.lower().startswith(_URL_PREFIXES):
            return MediaSource("url", obj, obj)
        _check_local_file(obj)
        return MediaSource("path", obj, obj)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        data = bytes(obj)
        if not data:
            raise VideoDecodeError("<0 bytes in memory>", "empty input (0 bytes)")
        return MediaSource("bytes", data, describe_source(data))
    if isinstance(obj, dict):
        if "frames" in obj:
            audio = None
            if obj.get("audio") is not None:
                audio = (obj["audio"], obj.get("sampling_rate", obj.get("sample_rate")))
            return _frames_source(obj["frames"], obj.get("fps", fps), obj.get("times", times), audio)
        if obj.get("bytes"):
            source = as_media_source(obj["bytes"])
            if obj.get("path"):
                source.name = f"{obj['path']} ({source.name})"
            return source
        if obj.get("path"):
            return as_media_source(obj["path"])
        raise VideoDecodeError(repr(obj)[:80], "a media dict needs 'path', 'bytes' or 'frames'")
    if _is_torchcodec_decoder(obj):
        return _decoder_source(obj)
    if hasattr(obj, "read"):
        return MediaSource("filelike", obj, describe_source(obj))
    if _looks_like_frames(obj):
        return _frames_source(obj, fps, times, None)
    raise VideoDecodeError(describe_source(obj), f"unsupported video input type {type(obj).__name__}")


def _is_torchcodec_decoder(obj: Any) -> bool:
    return type(obj).__name__ == "VideoDecoder" and hasattr(obj, "get_frames_played_at")


def _decoder_source(decoder: Any) -> MediaSource:
    """A torchcodec VideoDecoder. ``datasets`` records what it was made from in ``_hf_encoded``: reopen that with
    our own backends (to resize at decode time and to read its audio); otherwise decode through the object."""
    encoded = getattr(decoder, "_hf_encoded", None) or {}
    name = describe_source(decoder)
    try:
        if encoded.get("bytes"):
            source = as_media_source(encoded["bytes"])
            source.name, source.decoder = name, decoder
            return source
        path = encoded.get("path") or getattr(getattr(decoder, "metadata", None), "path", None)
        if isinstance(path, str) and os.path.isfile(path):
            source = as_media_source(path)
            source.decoder = decoder
            return source
    except VideoDecodeError:
        pass
    return MediaSource("decoder", decoder, name, decoder=decoder)


def _looks_like_frames(obj: Any) -> bool:
    if hasattr(obj, "shape") and len(getattr(obj, "shape", ())) in (3, 4):
        return True
    if isinstance(obj, (list, tuple)) and obj:
        first = obj[0]
        return hasattr(first, "shape") or type(first).__module__.startswith("PIL")
    return False


def _frames_source(frames: Any, fps: float | None, times: Sequence[float] | None, audio: Any) -> MediaSource:
    if times is None and not fps:
        raise ValueError(
            "a video given as an array or a list of frames needs its frame times: pass "
            "{'frames': ..., 'fps': 25.0} or {'frames': ..., 'times': [...]} (or video_fps=... to the processor)"
        )
    if getattr(frames, "ndim", None) == 3 and frames.shape[-1] in (1, 3, 4):
        frames = frames[None]  # one H x W x C frame
    count = len(frames)
    if count == 0:
        raise VideoDecodeError("<0 frames>", "the frame list is empty")
    if times is not None:
        times = np.asarray(times, dtype=np.float64).reshape(-1)
        if len(times) != count:
            raise ValueError(f"got {count} frames but {len(times)} frame times")
    return MediaSource("frames", frames, f"<{count} frames in memory>", fps=fps, times=times, audio=audio)


# --------------------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------------------
@dataclass
class SampledVideo:
    """Frames sampled from a video.

    frames: uint8 ``[N, H, W, 3]`` (N <= num_frames distinct frames, in time order; H x W = the requested size).
    times: float64 ``[N]`` presentation time of each frame in seconds.
    begin, end: the video stream's time interval in seconds (``end`` = pts + duration of the last frame).
    """

    frames: np.ndarray
    times: np.ndarray
    begin: float
    end: float
    backend: str
    vfr: bool = False
    attempts: dict[str, str] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return max(self.end, 0.0)


def sample_times(begin: float, end: float, num_frames: int) -> np.ndarray:
    """Centres of ``num_frames`` equal segments of ``[begin, end)``: uniform in time and never the very first or
    last instant (which are often black or fading)."""
    span = max(end - begin, 0.0)
    return begin + (np.arange(num_frames, dtype=np.float64) + 0.5) * span / max(num_frames, 1)


def _pick_by_pts(pts: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Index of the frame on screen at each target time: the last frame whose pts <= t (the first if none)."""
    order = np.argsort(pts, kind="stable")
    sorted_pts = pts[order]
    positions = np.searchsorted(sorted_pts, targets, side="right") - 1
    return order[np.clip(positions, 0, len(pts) - 1)]


def _dedupe(frames: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(times, kind="stable")
    times, frames = times[order], frames[order]
    keep = np.ones(len(times), dtype=bool)
    keep[1:] = np.diff(times) > 1e-6
    return frames[keep], times[keep]


def resize_frame(frame: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """Resize one uint8 HWC frame (bilinear, antialiased) - used only where a decoder cannot resize itself."""
    if size is None or tuple(frame.shape[:2]) == tuple(size):
        return np.ascontiguousarray(frame[..., :3])
    import torch

    tensor = torch.from_numpy(np.ascontiguousarray(frame[..., :3])).permute(2, 0, 1)[None].float()
    out = torch.nn.functional.interpolate(
        tensor, size=tuple(size), mode="bilinear", antialias=True, align_corners=False
    )
    return out[0].permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).numpy()


# --------------------------------------------------------------------------------------------------------------
# Backends
# --------------------------------------------------------------------------------------------------------------
def _torchcodec_is_vfr(metadata: Any) -> bool:
    count = getattr(metadata, "num_frames_from_header", None)
    duration = getattr(metadata, "duration_seconds_from_header", None)
    rate = getattr(metadata, "average_fps_from_header", None)
    if not count or not duration or not rate:
        return True  # cannot tell: take the exact (scanning) path, which is always right
    return abs(count / duration - rate) / rate > _VFR_TOLERANCE


def decode_torchcodec(
    source: MediaSource, num_frames: int, size: tuple[int, int] | None, deadline: Deadline
) -> SampledVideo:
    from torchcodec.decoders import VideoDecoder

    transforms = None
    if size is not None:
        from torchcodec.transforms import Resize

        transforms = [Resize(tuple(size))]

    def open_decoder(mode: str) -> Any:
        return VideoDecoder(
            source.for_backend("torchcodec"),
            seek_mode=mode,
            dimension_order="NHWC",
            num_ffmpeg_threads=1,
            transforms=transforms,
        )

    decoder = open_decoder("approximate")
    vfr = _torchcodec_is_vfr(decoder.metadata)
    if vfr:
        deadline.check()
        decoder = open_decoder("exact")
    metadata = decoder.metadata
    begin = float(metadata.begin_stream_seconds or 0.0)
    end = float(metadata.end_stream_seconds)
    targets = sample_times(begin, end, num_frames)
    targets = np.clip(targets, begin, np.nextafter(end, begin))
    deadline.check()
    try:
        batch = decoder.get_frames_played_at(targets.tolist())
    except (IndexError, RuntimeError):
        if vfr:
            raise
        # The header promised more than the stream holds (or a subtle VFR): the exact index is always right.
        deadline.check()
        decoder = open_decoder("exact")
        metadata = decoder.metadata
        begin, end = float(metadata.begin_stream_seconds or 0.0), float(metadata.end_stream_seconds)
        targets = np.clip(sample_times(begin, end, num_frames), begin, np.nextafter(end, begin))
        batch = decoder.get_frames_played_at(targets.tolist())
        vfr = True
    frames = batch.data.numpy()
    times = batch.pts_seconds.numpy().astype(np.float64)
    frames, times = _dedupe(frames, times)
    return SampledVideo(frames, times, begin, end, "torchcodec", vfr=vfr)


def decode_decord(
    source: MediaSource, num_frames: int, size: tuple[int, int] | None, deadline: Deadline
) -> SampledVideo:
    if source.kind not in ("path", "bytes"):
        raise VideoDecodeError(source.name, f"decord cannot read a {source.kind} input")
    import decord

    kwargs = {"ctx": decord.cpu(0), "num_threads": 1}
    if size is not None:
        kwargs.update(height=int(size[0]), width=int(size[1]))
    reader = decord.VideoReader(source.for_backend("decord"), **kwargs)
    count = len(reader)
    if count == 0:
        raise VideoDecodeError(source.name, "decord found no frames")
    deadline.check()
    # True pts from decord's own index (its get_avg_fps() is wrong for VFR; index / fps would be too). decord
    # counts them from the stream's start time; add it back so that every backend reports container times.
    stamps = np.asarray(reader.get_frame_timestamp(np.arange(count)), dtype=np.float64).reshape(count, 2)
    stamps += _video_start_seconds(source)
    pts = stamps[:, 0]
    begin, end = float(pts.min()), float(max(stamps[:, 1].max(), pts.max()))
    steps = np.diff(np.sort(pts))
    vfr = bool(len(steps) > 2 and (steps.max() - steps.min()) > 0.25 * max(np.median(steps), 1e-9))
    indices = np.unique(_pick_by_pts(pts, sample_times(begin, end, num_frames)))
    frames = reader.get_batch(indices.tolist()).asnumpy()
    times = pts[indices]
    frames, times = _dedupe(frames, times)
    return SampledVideo(frames, times, begin, end, "decord", vfr=vfr)


def _video_start_seconds(source: MediaSource) -> float:
    """The video stream's start time in seconds (read from the container header with PyAV; 0 if unknown)."""
    try:
        container = _pyav_open(source)
    except Exception:  # noqa: BLE001
        return 0.0
    try:
        stream = container.streams.video[0]
        if stream.start_time is None or not stream.time_base:
            return 0.0
        return float(stream.start_time * stream.time_base)
    except Exception:  # noqa: BLE001
        return 0.0
    finally:
        container.close()


def _pyav_open(source: MediaSource) -> Any:
    import av

    target = source.for_backend("pyav")
    return av.open(target, mode="r", metadata_errors="ignore", timeout=(30.0, 30.0) if source.kind == "url" else None)


def _pyav_stream_interval(container: Any, stream: Any) -> tuple[float, float]:
    time_base = float(stream.time_base) if stream.time_base else 0.0
    begin = float(stream.start_time * time_base) if stream.start_time is not None and time_base else 0.0
    if stream.duration and time_base:
        end = begin + float(stream.duration * time_base)
    elif container.duration:
        end = float(container.duration) / 1e6
    elif stream.frames and stream.average_rate:
        end = begin + stream.frames / float(stream.average_rate)
    else:
        end = float("nan")
    return begin, end


def decode_pyav(
    source: MediaSource, num_frames: int, size: tuple[int, int] | None, deadline: Deadline
) -> SampledVideo:
    container = _pyav_open(source)
    try:
        if not container.streams.video:
            raise VideoDecodeError(source.name, "no video stream")
        stream = container.streams.video[0]
        time_base = stream.time_base
        begin, end = _pyav_stream_interval(container, stream)
        if not np.isfinite(end) or end <= begin:
            # No duration in the header (some raw or streamed files): read packet timestamps, no decoding.
            last = begin
            for packet in container.demux(stream):
                deadline.check()
                if packet.pts is not None:
                    last = max(last, float((packet.pts + (packet.duration or 0)) * time_base))
            end = last if last > begin else begin + 1e-3
            container.seek(0)
        average = float(stream.average_rate) if stream.average_rate else 0.0
        nominal = float(stream.base_rate) if stream.base_rate else 0.0
        vfr = bool(average and nominal and abs(average - nominal) / nominal > _VFR_TOLERANCE)
        targets = sample_times(begin, end, num_frames)
        frames, times = _pyav_frames_played_at(container, stream, targets, size, deadline, trust_durations=not vfr)
    finally:
        container.close()
    if not len(times):
        raise VideoDecodeError(source.name, "no decodable video frame (truncated or corrupt stream)")
    frames, times = _dedupe(np.stack(frames), np.asarray(times, dtype=np.float64))
    return SampledVideo(frames, times, begin, end, "pyav", vfr=vfr)


def _pyav_frame_time(frame: Any, time_base: Any) -> float | None:
    if frame.pts is not None:
        return float(frame.pts * time_base)
    return frame.time


def _covers(held: tuple[float, Any], target: float, time_base: Any, trust_durations: bool) -> bool:
    """Whether the held frame is still on screen at ``target`` (saves decoding the next frame to find out). Frame
    durations are trusted only for constant-frame-rate streams."""
    if not trust_durations:
        return False
    duration = getattr(held[1], "duration", None)
    return bool(duration) and held[0] + float(duration * time_base) > target + 1e-9


def _pyav_frames_played_at(
    container: Any,
    stream: Any,
    targets: np.ndarray,
    size: tuple[int, int] | None,
    deadline: Deadline,
    trust_durations: bool = False,
) -> tuple[list[np.ndarray], list[float]]:
    """For each target time, the frame on screen then. Seeks (to the keyframe before t) unless t is close ahead of
    where decoding already is; converts (and resizes) only the frames it returns."""
    time_base = stream.time_base
    reformat = {"format": "rgb24"}
    if size is not None:
        reformat.update(height=int(size[0]), width=int(size[1]), interpolation="BILINEAR")
    out_frames: list[np.ndarray] = []
    out_times: list[float] = []
    frame_iter = None
    held = None  # (time, frame): the newest decoded frame with time <= current target
    ahead = None  # (time, frame): a decoded frame that is already past the current target
    position = -np.inf  # time of the newest decoded frame

    def decoded():
        for packet in container.demux(stream):
            deadline.check()
            yield from packet.decode()
        deadline.check()

    for target in np.sort(targets):
        if frame_iter is None or target < position - 1e-9 or target - position > 1.0:
            container.seek(int(target / time_base), stream=stream, backward=True, any_frame=False)
            frame_iter, held, ahead, position = decoded(), None, None, -np.inf
        if ahead is not None and ahead[0] <= target + 1e-9:
            held, ahead = ahead, None
        while ahead is None and not (held and _covers(held, target, time_base, trust_durations)):
            frame = next(frame_iter, None)
            if frame is None:
                break
            when = _pyav_frame_time(frame, time_base)
            if when is None:
                continue
            position = max(position, when)
            if when <= target + 1e-9:
                held = (when, frame)
            else:
                ahead = (when, frame)
        chosen = held or ahead  # before the first frame (target < begin): the first frame
        if chosen is None:
            continue  # past the end of what can be decoded: the caller keeps what it has
        if not out_times or abs(out_times[-1] - chosen[0]) > 1e-6:
            out_frames.append(chosen[1].to_ndarray(**reformat))
            out_times.append(chosen[0])
    return out_frames, out_times


def decode_decoder_object(
    source: MediaSource, num_frames: int, size: tuple[int, int] | None, deadline: Deadline
) -> SampledVideo:
    """A torchcodec VideoDecoder we could not reopen: decode through it, one frame at a time, resizing each."""
    decoder = source.decoder
    metadata = decoder.metadata
    begin = float(getattr(metadata, "begin_stream_seconds", 0.0) or 0.0)
    end = float(metadata.end_stream_seconds)
    targets = np.clip(sample_times(begin, end, num_frames), begin, np.nextafter(end, begin))
    frames, times = [], []
    for target in targets:
        deadline.check()
        frame = decoder.get_frame_played_at(float(target))
        data = frame.data
        if data.shape[0] in (1, 3) and data.shape[-1] not in (1, 3):  # NCHW decoder
            data = data.permute(1, 2, 0)
        frames.append(resize_frame(data.numpy(), size))
        times.append(float(frame.pts_seconds))
    frames, times = _dedupe(np.stack(frames), np.asarray(times, dtype=np.float64))
    return SampledVideo(frames, times, begin, end, "torchcodec-object")


def sample_frame_list(source: MediaSource, num_frames: int, size: tuple[int, int] | None) -> SampledVideo:
    """Frames given in memory with an fps or explicit times."""
    frames = source.value
    count = len(frames)
    if source.times is not None:
        pts = source.times
        step = float(np.median(np.diff(np.sort(pts)))) if count > 1 else 1.0 / float(source.fps or 1.0)
    else:
        step = 1.0 / float(source.fps)
        pts = np.arange(count, dtype=np.float64) * step
    begin, end = float(pts.min()), float(pts.max() + step)
    indices = np.unique(_pick_by_pts(pts, sample_times(begin, end, num_frames)))
    picked = [resize_frame(_to_hwc_uint8(frames[int(i)]), size) for i in indices]
    return SampledVideo(np.stack(picked), pts[indices].astype(np.float64), begin, end, "memory")


def _to_hwc_uint8(frame: Any) -> np.ndarray:
    if type(frame).__module__.startswith("PIL"):
        return np.array(frame.convert("RGB"))
    if hasattr(frame, "detach"):
        frame = frame.detach().cpu().numpy()
    array = np.asarray(frame)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=-1)
    if array.ndim == 3 and array.shape[0] in (1, 3, 4) and array.shape[-1] not in (1, 3, 4):
        array = np.transpose(array, (1, 2, 0))  # CHW -> HWC
    if array.shape[-1] == 1:
        array = np.repeat(array, 3, axis=-1)
    if array.dtype != np.uint8:
        array = np.clip(array * (255.0 if array.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    return array[..., :3]


_DECODERS = {"torchcodec": decode_torchcodec, "decord": decode_decord, "pyav": decode_pyav}


def backend_order(backend: str | None, fallback: bool = True) -> tuple[str, ...]:
    """The backends to try, in order: ``"auto"`` -> AUTO_BACKEND_ORDER; a name -> that one first, then (if
    ``fallback``) the others."""
    if backend in (None, "auto"):
        return AUTO_BACKEND_ORDER
    if backend not in VIDEO_BACKENDS:
        raise ValueError(f"unknown video backend {backend!r}; choose from 'auto', {', '.join(VIDEO_BACKENDS)}")
    if not fallback:
        return (backend,)
    return (backend,) + tuple(name for name in AUTO_BACKEND_ORDER if name != backend)


def sample_video(
    source: Any,
    num_frames: int = 16,
    size: tuple[int, int] | None = None,
    backend: str | None = "auto",
    fallback: bool = True,
    deadline: Deadline | None = None,
) -> SampledVideo:
    """Sample ``num_frames`` frames (uniform in time) with their pts from any accepted video input.

    Raises :class:`VideoDecodeError` if no backend can decode it; its ``attempts`` lists each backend's error.
    """
    source = as_media_source(source)
    deadline = deadline or Deadline(None, source.name)
    if source.kind == "frames":
        return sample_frame_list(source, num_frames, size)
    if source.kind == "decoder":
        try:
            return decode_decoder_object(source, num_frames, size, deadline)
        except VideoDecodeError:
            raise
        except Exception as error:
            raise VideoDecodeError(source.name, f"the VideoDecoder failed ({_first_line(error)})") from error
    attempts: dict[str, str] = {}
    last_error: BaseException | None = None
    for name in backend_order(backend, fallback):
        deadline.check()
        if name == "decord" and source.kind not in ("path", "bytes"):
            continue
        try:
            result = _DECODERS[name](source, num_frames, size, deadline)
        except VideoDecodeError as error:
            if "timed out" in error.reason:
                raise
            attempts[name], last_error = error.reason, error
            continue
        except ImportError as error:
            attempts[name], last_error = f"not available ({_first_line(error)})", error
            continue
        except Exception as error:  # every backend has its own exception types; all mean "cannot decode"
            attempts[name], last_error = _first_line(error), error
            continue
        if attempts:
            logger.info("%s: decoded with %s after %s", source.name, name, attempts)
        result.attempts = attempts
        return result
    reason = diagnose(source, attempts)
    raise VideoDecodeError(source.name, reason, attempts) from last_error


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".strip()


def diagnose(source: MediaSource, attempts: dict[str, str] | None = None) -> str:
    """Why an input cannot be decoded, in words (uses PyAV to look at the container)."""
    try:
        import av
    except ImportError:  # pragma: no cover - PyAV is a dependency
        return "no backend could decode it"
    try:
        container = _pyav_open(source)
    except av.error.InvalidDataError:
        if _looks_truncated(_head(source)):
            return "truncated or corrupt media file"
        return "not a media file (FFmpeg recognises no container format in it)"
    except (PermissionError, av.error.PermissionError):
        return "permission denied"
    except Exception as error:  # noqa: BLE001
        text = str(error).lower()
        if "moov atom not found" in text or "end of file" in text or "truncat" in text:
            return "truncated or corrupt media file"
        return f"cannot open it ({_first_line(error)})"
    try:
        kinds = [stream.type for stream in container.streams]
        if "video" not in kinds:
            if "audio" in kinds:
                return "no video stream (audio only)"
            return f"no video or audio stream (streams: {', '.join(kinds) or 'none'})"
        codec = container.streams.video[0].codec_context
        if codec is None or not getattr(codec, "name", None):
            return "unsupported video codec (no decoder in this FFmpeg build)"
        tried = [name for name in (attempts or {}) if name != "pyav"]
        if attempts and "pyav" not in attempts:  # a restricted backend list: PyAV could still try it
            return f"{' and '.join(tried)} cannot decode this {codec.name} stream (allow a fallback backend)"
        return f"the {codec.name} stream could not be decoded (truncated or corrupt)"
    except Exception as error:  # noqa: BLE001
        return f"cannot read it ({_first_line(error)})"
    finally:
        container.close()


def _head(source: MediaSource, size: int = 16) -> bytes:
    """The first bytes of an input (empty if they cannot be read without side effects)."""
    try:
        if source.kind == "path":
            with open(source.value, "rb") as handle:
                return handle.read(size)
        if source.kind == "bytes":
            return source.value[:size]
        if source.kind == "filelike" and hasattr(source.value, "seek"):
            source.value.seek(0)
            head = source.value.read(size)
            source.value.seek(0)
            return head if isinstance(head, bytes) else b""
    except Exception:  # noqa: BLE001
        return b""
    return b""


def _looks_truncated(head: bytes) -> bool:
    """An MP4/MOV (first box 'ftyp', ...) or Matroska/WebM (EBML magic) that FFmpeg cannot open was cut short."""
    return head[4:8] in (b"ftyp", b"mdat", b"moov", b"wide", b"free") or head[:4] == b"\x1a\x45\xdf\xa3"
