"""SAVEnVideoProcessor: the keys of docs/model_inputs.md, the chat template, batching, and save -> reload."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from savenvideo.dataset_scripts.synthetic import ClipInfo, SolidColour, Timeline, Tone, colour_named
from savenvideo.dataset_scripts.synthetic.inspection import dominant_frequency
from savenvideo.processing.processing_savenvideo import (
    AUDIO_TOKEN,
    MODEL_INPUT_NAMES,
    VIDEO_TOKEN,
    SAVEnVideoProcessor,
)
from savenvideo.processing.tiny_tokenizer import build_tiny_tokenizer

FRAMES, SIDE, VIDEO_TOKENS, AUDIO_TOKENS = 8, 32, 3, 2
T = 198  # fbank frames of a 2 s window


@pytest.fixture(scope="module")
def tokenizer():
    return build_tiny_tokenizer()


def make_processor(tokenizer, **kwargs):
    options = {"num_frames": FRAMES, "num_video_tokens": VIDEO_TOKENS, "num_audio_tokens": AUDIO_TOKENS}
    options.update(kwargs)
    return SAVEnVideoProcessor(
        image_processor=SAVEnVideoProcessor.default_image_processor(SIDE), tokenizer=tokenizer, **options
    )


@pytest.fixture(scope="module")
def processor(tokenizer):
    return make_processor(tokenizer)


def user(*items, text="What happens?"):
    return [{"role": "user", "content": [*items, {"type": "text", "text": text}]}]


def tone_timeline(seconds=6.0, step=1.5):
    colours = ["red", "green", "blue", "yellow"]
    frequencies = [440.0, 880.0, 1320.0, 660.0]
    count = int(round(seconds / step))
    visuals = [
        SolidColour(start=i * step, end=(i + 1) * step, background=colour_named(colours[i % 4])) for i in range(count)
    ]
    sounds = [Tone(start=i * step, end=(i + 1) * step, frequency=frequencies[i % 4], gain=0.5) for i in range(count)]
    return Timeline(duration=seconds, visuals=visuals, sounds=sounds)


def check_contract(out, batch):
    """Exactly the keys, dtypes and shapes of docs/model_inputs.md."""
    assert list(out.keys()) == MODEL_INPUT_NAMES
    length = out["input_ids"].shape[1]
    query = out["query_times"].shape[1]
    expected = {
        "input_ids": (torch.long, (batch, length)),
        "attention_mask": (torch.long, (batch, length)),
        "pixel_values_videos": (torch.float32, (batch, FRAMES, 3, SIDE, SIDE)),
        "video_frame_mask": (torch.bool, (batch, FRAMES)),
        "video_frame_times": (torch.float32, (batch, FRAMES)),
        "audio_features": (torch.float32, (batch, FRAMES, T, 128)),
        "audio_feature_mask": (torch.bool, (batch, FRAMES, T)),
        "audio_window_mask": (torch.bool, (batch, FRAMES)),
        "audio_window_times": (torch.float32, (batch, FRAMES)),
        "query_times": (torch.float32, (batch, query)),
        "query_time_mask": (torch.bool, (batch, query)),
    }
    for key, (dtype, shape) in expected.items():
        assert out[key].dtype == dtype, key
        assert tuple(out[key].shape) == shape, key
    assert query >= 1
    # zeros wherever a mask is False
    assert not out["pixel_values_videos"][~out["video_frame_mask"]].any()
    # (a partly filled window keeps BEATs' fbank of its zero padding, as the original code computes it)
    assert not out["audio_features"][~out["audio_window_mask"]].any()
    assert not out["audio_feature_mask"][~out["audio_window_mask"]].any()


def test_video_with_sound(processor, synthetic_clip):
    path, timeline = synthetic_clip(timeline=tone_timeline())
    out = processor.apply_chat_template(
        user({"type": "video", "path": str(path)}, text="What is heard at 00:00:02.000?"),
        tokenize=True,
        return_dict=True,
        add_generation_prompt=True,
    )
    check_contract(out, 1)
    ids = out["input_ids"][0]
    assert (ids == processor.video_token_id).sum() == VIDEO_TOKENS and (
        ids == processor.audio_token_id
    ).sum() == AUDIO_TOKENS
    text = processor.decode(ids)
    assert "<|vision_start|>" + VIDEO_TOKEN * VIDEO_TOKENS + AUDIO_TOKEN * AUDIO_TOKENS + "<|vision_end|>" in text
    assert text.endswith("<|im_start|>assistant\n")
    assert out["video_frame_mask"].all() and out["audio_window_mask"].all() and out["audio_feature_mask"].all()
    truth = ClipInfo.load(path).frame_schedule.frame_times(6.0)
    times = out["video_frame_times"][0].numpy()
    assert np.min(np.abs(truth[None] - times[:, None]), axis=1).max() < 1e-3
    # windows are centred on the frames, shifted inside the 6 s of audio near either end
    expected = np.clip(times, 1.0, 5.0)
    np.testing.assert_allclose(out["audio_window_times"][0].numpy(), expected, atol=1e-4)
    assert out["query_times"].tolist() == [[2.0]] and out["query_time_mask"].all()
    # the pixels are SigLIP-normalised frames of the event's colour
    pixels = out["pixel_values_videos"][0]
    assert pixels.min() >= -1.0 and pixels.max() <= 1.0
    red = colour_named("red").rgb
    np.testing.assert_allclose(pixels[0, :, 16, 16].numpy(), [c / 127.5 - 1 for c in red], atol=0.1)


def test_audio_features_follow_the_tones(processor, synthetic_clip):
    """Each window's fbank peaks in the mel bin of the tone the event list plays at the frame time."""
    path, timeline = synthetic_clip(timeline=tone_timeline())
    out = processor(text=MEDIA(), videos=[str(path)])
    features = out["audio_features"][0]  # [W, T, 128]
    peaks = features[:, 90:108].mean(1).argmax(-1)  # the centre 0.2 s of each window
    by_frequency = {}
    for peak, time in zip(peaks.tolist(), out["audio_window_times"][0].tolist()):
        frequency = timeline.sounds_at(time)[0].frequency
        by_frequency.setdefault(frequency, set()).add(peak)
    ordered = [sorted(by_frequency[f]) for f in sorted(by_frequency)]
    assert all(a[-1] < b[0] for a, b in zip(ordered, ordered[1:]))  # higher tone -> higher mel bin


def MEDIA():
    return "<|im_start|>user\n<|vision_start|><|video_pad|><|vision_end|>What?<|im_end|>\n"


def test_mixed_batch_and_padding_sides(processor, synthetic_clip, tmp_path):
    video, _ = synthetic_clip(seconds=3.0, seed=31)
    silent, _ = synthetic_clip(seconds=3.0, seed=32, audio=False)
    image = Image.new("RGB", (50, 40), colour_named("blue").rgb)
    waveform = 0.5 * np.sin(2 * np.pi * 440 * np.arange(48000) / 48000).astype(np.float32)  # 1 s at 48 kHz
    conversations = [
        user({"type": "video", "path": str(video)}, text="At 0:01, what sound is heard? Answer briefly please."),
        user({"type": "video", "video": str(silent)}),
        user({"type": "image", "image": image}),
        user(
            {"type": "audio", "audio": waveform, "sampling_rate": 48000}, text="What is heard between 0:00 and 0:01?"
        ),
        [{"role": "user", "content": "Just text, no media."}],
    ]
    left = processor.apply_chat_template(conversations, tokenize=True, return_dict=True, add_generation_prompt=True)
    check_contract(left, 5)
    lengths = left["attention_mask"].sum(1)
    assert lengths.max() == left["attention_mask"].shape[1] and lengths.min() < lengths.max()
    for row in left["attention_mask"]:
        assert row[-1] == 1  # left padding for generation: real tokens end every row
    right = processor.apply_chat_template(conversations, tokenize=True, return_dict=True, padding_side="right")
    for row in right["attention_mask"]:
        assert row[0] == 1
    assert left["video_frame_mask"].sum(1).tolist() == [FRAMES, FRAMES, 1, 0, 0]
    # the 1 s waveform is shorter than one 2 s window: one window holds it (about half full), its copies are masked
    assert left["audio_window_mask"].sum(1).tolist() == [FRAMES, 0, 0, 1, 0]
    real = left["audio_feature_mask"][3, 0].sum()
    assert 90 < real < 110
    assert abs(float(left["audio_window_times"][3, 0]) - 0.5) < 1e-3  # the centre of the real audio
    assert left["query_time_mask"].sum(1).tolist() == [1, 0, 0, 2, 0]
    assert left["query_times"][3].tolist() == [0.0, 1.0]
    # media placeholders only in samples with media
    media_tokens = (left["input_ids"] == processor.video_token_id).sum(1).tolist()
    assert media_tokens == [VIDEO_TOKENS] * 4 + [0]


def test_audio_only_file(processor, synthetic_clip, tmp_path):
    import av

    path, timeline = synthetic_clip(timeline=tone_timeline())
    audio_path = tmp_path / "only.m4a"
    with av.open(str(path)) as source, av.open(str(audio_path), "w", format="mp4") as out:
        stream = out.add_stream_from_template(source.streams.audio[0])
        for packet in source.demux(source.streams.audio[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    for item in ({"type": "audio", "path": str(audio_path)}, {"type": "video", "path": str(audio_path)}):
        out = processor.apply_chat_template(user(item), tokenize=True, return_dict=True)
        check_contract(out, 1)
        assert not out["video_frame_mask"].any() and out["audio_window_mask"].all()
        centres = out["audio_window_times"][0].numpy()
        np.testing.assert_allclose(centres, 1.0 + np.arange(FRAMES) * 4.0 / (FRAMES - 1), atol=0.05)  # [0,2)..[4,6)


def test_query_times_come_from_the_user_not_the_answer(processor, synthetic_clip):
    path, _ = synthetic_clip(seconds=3.0, seed=33)
    conversation = user({"type": "video", "path": str(path)}, text="When does the beep start? Between 0:01 and 0:10?")
    conversation.append({"role": "assistant", "content": [{"type": "text", "text": "At 00:00:02.500."}]})
    out = processor.apply_chat_template(conversation, tokenize=True, return_dict=True)
    assert out["query_times"].tolist() == [[1.0, 3.0]]  # 0:10 clipped to the 3 s video, 2.5 s ignored
    # the same when the rendered text is passed straight to the processor
    text = processor.apply_chat_template(conversation)
    direct = processor(text=text, videos=[str(path)])
    assert direct["query_times"].tolist() == [[1.0, 3.0]]


def test_chat_template_text(processor):
    conversation = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "video", "path": "x.mp4"}, {"type": "text", "text": "Hi"}]},
    ]
    text = processor.apply_chat_template(conversation, add_generation_prompt=True)
    assert text == (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\n<|vision_start|><|video_pad|><|vision_end|>Hi<|im_end|>\n<|im_start|>assistant\n"
    )


def test_inputs_without_chat_template(processor, synthetic_clip):
    path, _ = synthetic_clip(seconds=3.0, seed=34)
    frames = np.zeros((30, 40, 40, 3), np.uint8)
    out = processor(
        text=[MEDIA(), MEDIA(), "no media"],
        videos=[str(path), {"frames": frames, "fps": 10.0}, None],
        padding_side="right",
    )
    check_contract(out, 3)
    expected = np.floor((np.arange(FRAMES) + 0.5) * 3.0 / FRAMES * 10) / 10  # the frame on screen at each target
    np.testing.assert_allclose(out["video_frame_times"][1].numpy(), expected, atol=1e-5)
    with pytest.raises(ValueError, match="placeholder"):
        processor(text=["no placeholder"], videos=[str(path)])
    with pytest.raises(ValueError, match="placeholder"):
        processor(text=[MEDIA()])


@pytest.mark.parametrize("backend", ["torchcodec", "decord", "pyav"])
def test_each_backend_through_the_processor(tokenizer, synthetic_clip, backend):
    path, _ = synthetic_clip(timeline=tone_timeline())
    processor = make_processor(tokenizer, video_backend=backend, backend_fallback=False)
    out = processor(text=MEDIA(), videos=[str(path)])
    check_contract(out, 1)
    reference = make_processor(tokenizer, video_backend="pyav")(text=MEDIA(), videos=[str(path)])
    torch.testing.assert_close(out["video_frame_times"], reference["video_frame_times"], atol=1e-4, rtol=0)
    assert out["audio_window_mask"].all()


def test_datasets_video_and_audio_features(processor, synthetic_clip):
    datasets = pytest.importorskip("datasets")
    path, timeline = synthetic_clip(timeline=tone_timeline())
    table = datasets.Dataset.from_dict({"video": [str(path)], "audio": [str(path)]})
    table = table.cast_column("video", datasets.Video()).cast_column("audio", datasets.Audio(sampling_rate=16000))
    row = table[0]
    out = processor.apply_chat_template(
        [user({"type": "video", "video": row["video"]}), user({"type": "audio", "audio": row["audio"]})],
        tokenize=True,
        return_dict=True,
    )
    check_contract(out, 2)
    assert out["video_frame_mask"][0].all() and out["audio_window_mask"].all()
    reference = processor(text=MEDIA(), videos=[str(path)])
    torch.testing.assert_close(out["video_frame_times"][:1], reference["video_frame_times"])
    torch.testing.assert_close(out["audio_features"][:1], reference["audio_features"])


CLEAN_LOAD = textwrap.dedent(
    """
    import importlib.abc, sys
    class NoSavenvideo(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == "savenvideo" or name.startswith("savenvideo."):
                raise ImportError(f"{name} must not be needed to load the checkpoint")
    sys.meta_path.insert(0, NoSavenvideo())
    import json, torch
    from transformers import AutoProcessor
    folder, clip, out = sys.argv[1:4]
    processor = AutoProcessor.from_pretrained(folder, trust_remote_code=True)
    assert type(processor).__name__ == "SAVEnVideoProcessor", type(processor)
    assert not any(m.startswith("savenvideo") for m in sys.modules)
    messages = json.loads(sys.argv[4])
    messages[0][0]["content"][0]["path"] = clip
    result = processor.apply_chat_template(messages, tokenize=True, return_dict=True, add_generation_prompt=True)
    torch.save(dict(result), out)
    """
)


@pytest.mark.slow
def test_save_and_reload_in_a_clean_process(processor, synthetic_clip, tmp_path):
    import json

    path, _ = synthetic_clip(timeline=tone_timeline())
    folder = tmp_path / "processor"
    processor.save_pretrained(folder)
    files = {p.name for p in folder.iterdir()}
    for name in (
        "processing_savenvideo.py",
        "video_decoding.py",
        "audio_decoding.py",
        "query_times.py",
        "media_errors.py",
        "feature_extraction_beats.py",
        "processor_config.json",
        "chat_template.jinja",
    ):
        assert name in files, name
    messages = [
        user({"type": "video", "path": "CLIP"}, text="What is heard at 0:03?"),
        [{"role": "user", "content": [{"type": "text", "text": "Hello"}]}],
    ]
    expected = processor.apply_chat_template(
        [
            [
                {**m, "content": [dict(c, path=str(path)) if c["type"] == "video" else c for c in m["content"]]}
                for m in messages[0]
            ],
            messages[1],
        ],
        tokenize=True,
        return_dict=True,
        add_generation_prompt=True,
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_MODULES_CACHE": str(tmp_path / "modules")}
    out_file = tmp_path / "out.pt"
    result = subprocess.run(
        [sys.executable, "-c", CLEAN_LOAD, str(folder), str(path), str(out_file), json.dumps(messages)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    reloaded = torch.load(out_file)
    assert list(reloaded) == list(expected.keys())
    for key in expected:
        assert torch.equal(reloaded[key], expected[key]), key
    assert Path(folder / "chat_template.jinja").read_text() == processor.chat_template


def test_frame_array_and_pil_list_inputs(processor):
    frames = [Image.new("RGB", (48, 36), colour_named(name).rgb) for name in ("red", "green", "blue", "yellow")]
    out = processor.apply_chat_template(
        user({"type": "video", "video": frames, "times": [0.0, 1.0, 2.5, 4.0]}), tokenize=True, return_dict=True
    )
    check_contract(out, 1)
    assert out["video_frame_mask"].sum() == 4
    assert out["video_frame_times"][0, :4].tolist() == [0.0, 1.0, 2.5, 4.0]


def test_waveform_peak_survives(processor):
    """An in-memory waveform is resampled to 16 kHz before the fbank (sanity check of the audio path)."""
    from savenvideo.processing.audio_decoding import windows_from_waveform

    waveform = np.sin(2 * np.pi * 1000 * np.arange(44100 * 3) / 44100).astype(np.float32)
    windows = windows_from_waveform(waveform, 44100, None, 3, 2.0)
    assert abs(dominant_frequency(windows.waveforms[1], 16000) - 1000) < 20
