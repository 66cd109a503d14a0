"""Bad input: every failure is a VideoDecodeError that names the input and the reason, and nothing can hang."""

import io
import os
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from fractions import Fraction

import av
import numpy as np
import pytest

from savenvideo.processing.media_errors import MediaTimeoutError, VideoDecodeError, run_with_timeout
from savenvideo.processing.processing_savenvideo import SAVEnVideoProcessor
from savenvideo.processing.tiny_tokenizer import build_tiny_tokenizer
from savenvideo.processing.video_decoding import sample_video

SIZE = (32, 32)


@pytest.fixture(scope="module")
def processor():
    return SAVEnVideoProcessor(
        image_processor=SAVEnVideoProcessor.default_image_processor(32),
        tokenizer=build_tiny_tokenizer(),
        num_frames=4,
        num_video_tokens=2,
        decode_timeout=2.0,
    )


def video_message(value):
    return [{"role": "user", "content": [{"type": "video", "video": value}, {"type": "text", "text": "What?"}]}]


def expect_error(source, reason, name=None):
    with pytest.raises(VideoDecodeError) as caught:
        sample_video(source, 4, SIZE)
    assert reason in caught.value.reason, caught.value
    assert (name or str(source)) in str(caught.value)
    return caught.value


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    expect_error(path, "empty file")
    expect_error(b"", "empty", name="0 bytes")


def test_truncated_mp4(synthetic_clip, tmp_path):
    path, _ = synthetic_clip(seconds=2.0, seed=21)
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])  # the moov index sits at the end: gone
    error = expect_error(cut, "truncated")
    assert set(error.attempts) == {"torchcodec", "decord", "pyav"}
    expect_error(data[: len(data) // 2], "truncated", name="bytes in memory")


def test_truncated_streamable_file_never_crashes(synthetic_clip, tmp_path):
    """A cut Matroska file still opens; whatever is decodable comes back, or a typed error."""
    path, _ = synthetic_clip(seconds=3.0, seed=22, container="mkv")
    data = path.read_bytes()
    for fraction in (0.05, 0.5, 0.9):
        cut = tmp_path / f"cut{fraction}.mkv"
        cut.write_bytes(data[: int(len(data) * fraction)])
        try:
            video = sample_video(cut, 4, SIZE)
        except VideoDecodeError as error:
            assert str(cut) in str(error)
        else:
            assert len(video.times) >= 1 and np.all(video.times <= 3.0)


def test_non_media_file(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("these are not the frames you are looking for\n" * 50)
    expect_error(path, "not a media file")


def test_unsupported_codec(synthetic_clip, tmp_path):
    path, _ = synthetic_clip(seconds=1.0, seed=23, container="mkv", audio=False)
    data = path.read_bytes()
    assert data.count(b"V_MPEG4/ISO/AVC") == 1
    odd = tmp_path / "odd_codec.mkv"
    odd.write_bytes(data.replace(b"V_MPEG4/ISO/AVC", b"V_QWERTY/XY/ZZZ"))  # a codec id no FFmpeg knows
    expect_error(odd, "unsupported video codec")


def test_missing_file_directory_and_fifo(tmp_path):
    expect_error(tmp_path / "missing.mp4", "no such file")
    expect_error(tmp_path, "is a directory")
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    start = time.monotonic()
    expect_error(fifo, "not a regular file")  # opening a FIFO would block forever
    assert time.monotonic() - start < 1.0


def test_unreadable_file(synthetic_clip, tmp_path):
    path, _ = synthetic_clip(seconds=1.0, seed=24)
    locked = tmp_path / "locked.mp4"
    locked.write_bytes(path.read_bytes())
    locked.chmod(0)
    tmp_path.chmod(0o755)
    script = textwrap.dedent(
        f"""
        import os, sys
        # import first: the interpreter may live under /root; the check fails before any backend is loaded
        from savenvideo.processing.video_decoding import sample_video
        from savenvideo.processing.media_errors import VideoDecodeError
        if os.geteuid() == 0:
            os.setgid(65534); os.setuid(65534)  # root reads everything: drop to nobody
        try:
            sample_video({str(locked)!r}, 4, (32, 32))
        except VideoDecodeError as error:
            print("REASON:", error.reason)
            print("MESSAGE:", error)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert "REASON: permission denied" in result.stdout, result.stdout + result.stderr
    assert str(locked) in result.stdout


class BlockingReader(io.RawIOBase):
    """A seekable stream whose reads never return (a stalled network mount, a dead pipe)."""

    def __init__(self):
        self.release = threading.Event()

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=0):
        return 0

    def tell(self):
        return 0

    def readinto(self, buffer):
        self.release.wait()
        return 0


def test_a_hanging_input_times_out(processor):
    reader = BlockingReader()
    start = time.monotonic()
    try:
        with pytest.raises(MediaTimeoutError) as caught:
            processor.apply_chat_template(video_message(reader), tokenize=True, return_dict=True)
    finally:
        reader.release.set()  # let the abandoned worker thread finish
    assert time.monotonic() - start < 10.0
    assert "timed out" in caught.value.reason and "BlockingReader" in str(caught.value)
    assert isinstance(caught.value, VideoDecodeError) and isinstance(caught.value, TimeoutError)


def test_run_with_timeout_passes_results_and_errors():
    assert run_with_timeout(lambda: 42, 1.0, "x") == 42
    with pytest.raises(ZeroDivisionError):
        run_with_timeout(lambda: 1 / 0, 1.0, "x")
    with pytest.raises(MediaTimeoutError):
        run_with_timeout(lambda: time.sleep(5), 0.2, "sleepy")


def test_processor_raises_typed_errors_or_masks_on_request(processor, tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_text("nope" * 100)
    with pytest.raises(VideoDecodeError, match="bad.mp4"):
        processor.apply_chat_template(video_message(str(bad)), tokenize=True, return_dict=True)
    lenient = SAVEnVideoProcessor(
        image_processor=processor.image_processor,
        tokenizer=processor.tokenizer,
        num_frames=4,
        num_video_tokens=2,
        on_media_error="warn",
    )
    out = lenient.apply_chat_template(video_message(str(bad)), tokenize=True, return_dict=True)
    assert not out["video_frame_mask"].any() and not out["audio_window_mask"].any()
    assert (out["input_ids"] == lenient.video_token_id).sum() == 2


def write_big_clip(path, width, height, frames=3):
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=1, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, 1)
        for index in range(frames):
            image = np.zeros((height, width, 3), np.uint8)
            image[..., index % 3] = 200
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


@pytest.mark.parametrize("backend", ["torchcodec", "decord", "pyav"])
def test_huge_frames_are_resized_at_decode_time(tmp_path_factory, backend):
    """A 4K stream: no full-resolution frame array is ever made (numpy allocations stay far below one frame)."""
    directory = tmp_path_factory.getbasetemp() / "huge"
    directory.mkdir(exist_ok=True)
    path = directory / "uhd.mp4"
    if not path.exists():
        write_big_clip(path, 3840, 2160)
    one_frame = 3840 * 2160 * 3
    tracemalloc.start()
    try:
        video = sample_video(path, 3, SIZE, backend=backend, fallback=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert video.frames.shape == (3, *SIZE, 3)
    assert [int(np.argmax(frame[16, 16])) for frame in video.frames] == [0, 1, 2]
    assert peak < one_frame / 4, f"{backend} traced {peak / 1e6:.1f} MB"
