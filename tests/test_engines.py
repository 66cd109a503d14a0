"""Engines: the request interface, configuration, clip extraction, the echo engine, the transformers engine on
tiny random Qwen2 / Qwen2-VL / Qwen2-Audio checkpoints, and the vLLM engine (a fake ``vllm`` module on CPU, the
real one where a GPU and vLLM exist)."""

import importlib.util
import sys
import types

import numpy as np
import pytest

from savenvideo.dataset_scripts.engine_base import ChatRequest, Engine
from savenvideo.dataset_scripts.engine_config import EngineConfig, build_engine
from savenvideo.dataset_scripts.engine_echo import EchoEngine
from savenvideo.dataset_scripts.engine_inputs import load_model_inputs
from savenvideo.dataset_scripts.engine_media import (
    MediaError,
    _pyav_audio,
    _pyav_frames,
    read_clip_audio,
    read_clip_frames,
)
from savenvideo.dataset_scripts.engine_messages import (
    AudioClip,
    RequestError,
    VideoClip,
    audio_part,
    message_parts,
    text_part,
    video_part,
)
from savenvideo.dataset_scripts.engine_tiny_models import (
    build_tiny_qwen2,
    build_tiny_qwen2_audio,
    build_tiny_qwen2_vl,
)
from savenvideo.dataset_scripts.synthetic import SolidColour, Timeline, Tone, colour_named, nearest_colour


@pytest.fixture(scope="session")
def red_blue_clip(synthetic_clip):
    """4 s: red then blue at 2 s; a 440 Hz tone in [0.5, 1.5] s, silence from 1.5 s on."""
    timeline = Timeline(
        duration=4.0,
        visuals=[
            SolidColour(start=0.0, end=2.0, background=colour_named("red")),
            SolidColour(start=2.0, end=4.0, background=colour_named("blue")),
        ],
        sounds=[Tone(start=0.5, end=1.5, frequency=440.0)],
    )
    path, _ = synthetic_clip(timeline=timeline)
    return str(path)


def user(*parts):
    return [{"role": "user", "content": list(parts)}]


def colours(frames):
    return [nearest_colour(np.median(frame.reshape(-1, 3), axis=0)).name for frame in frames]


def peak_hz(samples, rate=16_000):
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))]


# -- configuration and messages ------------------------------------------------------------------------------
def test_config_from_yaml_and_unknown_keys(tmp_path):
    path = tmp_path / "engine.yaml"
    path.write_text("kind: http\nmodel: m\nbase_urls: http://a:1/v1\nmax_concurrency: 3\n")
    config = EngineConfig.from_yaml(path)
    assert (config.kind, config.base_urls, config.max_concurrency) == ("http", ["http://a:1/v1"], 3)
    with pytest.raises(ValueError, match="unknown engine setting"):
        EngineConfig.from_mapping({"kind": "echo", "max_concurency": 3})
    with pytest.raises(ValueError, match="not one of"):
        EngineConfig(kind="tgi")
    with pytest.raises(ValueError, match="needs a model"):
        EngineConfig(kind="transformers")


def test_message_parts_are_checked():
    parts = message_parts(
        {"role": "user", "content": [text_part("hi"), video_part("a.mp4", 1, 2, 4), audio_part("a.mp4")]}
    )
    assert parts == ["hi", VideoClip("a.mp4", 1.0, 2.0, 4), AudioClip("a.mp4")]
    assert message_parts({"role": "system", "content": "plain"}) == ["plain"]
    for bad, reason in [
        ({"type": "video", "video": "a.mp4", "start": 3, "end": 2}, "not after its start"),
        ({"type": "audio"}, "without an 'audio' path"),
        ({"type": "image_url"}, "unknown content part type"),
        ({"type": "video", "video": "a.mp4", "num_frames": 0}, "asks for 0 frames"),
    ]:
        with pytest.raises(RequestError, match=reason):
            message_parts({"role": "user", "content": [bad]})


def test_echo_engine_templates_and_isolates_failures():
    engine = build_engine({"kind": "echo", "echo_reply": "[{request_id}] {text}"})
    assert isinstance(engine, Engine)
    requests = [
        ChatRequest(user(text_part("first")), request_id="a"),
        ChatRequest(user({"type": "nonsense"}), request_id="b"),
        ChatRequest([{"role": "system", "content": "s"}, {"role": "user", "content": "third"}], request_id="c"),
    ]
    with engine:
        results = engine.generate(requests)
    assert [r.request_id for r in results] == ["a", "b", "c"]
    assert results[0].text == "[a] first" and results[2].text == "[c] third"
    assert results[1].text is None and "unknown content part type" in results[1].error and not results[1].ok
    scripted = EchoEngine(reply=lambda request: request.request_id.upper()).generate(requests[:1])
    assert scripted[0].text == "A"


# -- media -----------------------------------------------------------------------------------------------------
def test_clip_frames_seek_into_the_interval(red_blue_clip):
    blue = read_clip_frames(red_blue_clip, 2.0, 4.0, num_frames=4)
    assert blue.frames.shape == (4, 90, 160, 3) and blue.frames.dtype == np.uint8
    assert np.all((blue.times >= 2.0) & (blue.times < 4.0)) and np.all(np.diff(blue.times) > 0)
    assert colours(blue.frames) == ["blue"] * 4
    red = read_clip_frames(red_blue_clip, 0.0, 2.0, num_frames=3)
    assert colours(red.frames) == ["red"] * 3
    whole = read_clip_frames(red_blue_clip, num_frames=8)  # no interval: the whole stream
    assert colours(whole.frames) == ["red"] * 4 + ["blue"] * 4
    many = read_clip_frames(red_blue_clip, 3.9, 4.0, num_frames=6)  # fewer frames than asked: repeats
    assert len(many.frames) == 6
    fallback = _pyav_frames(red_blue_clip, 2.0, 4.0, 4)  # the PyAV fallback picks the same frames
    np.testing.assert_allclose(fallback.times, blue.times, atol=1e-3)


def test_clip_audio_is_16k_mono_of_the_interval(red_blue_clip):
    tone = read_clip_audio(red_blue_clip, 0.6, 1.4)
    assert tone.dtype == np.float32 and tone.ndim == 1 and len(tone) == round(0.8 * 16_000)
    assert abs(peak_hz(tone) - 440.0) < 5.0
    assert np.abs(read_clip_audio(red_blue_clip, 2.5, 3.5)).max() < 0.01  # silence
    fallback = _pyav_audio(red_blue_clip, 0.6, 1.4, 16_000)
    assert abs(len(fallback) - len(tone)) <= 1 and abs(peak_hz(fallback) - 440.0) < 5.0


def test_media_errors_name_the_problem(red_blue_clip, synthetic_clip, tmp_path):
    silent, _ = synthetic_clip(seconds=2.0, audio=False)
    with pytest.raises(MediaError, match="no audio stream"):
        read_clip_audio(silent)
    with pytest.raises(MediaError, match="outside the stream"):
        read_clip_frames(red_blue_clip, 5.0, 6.0)
    with pytest.raises(MediaError, match="no such file"):
        read_clip_frames(tmp_path / "missing.mp4")


def test_model_inputs_refuse_missing_modalities_before_decoding():
    request = ChatRequest(user(video_part("/nonexistent.mp4"), text_part("x")))
    with pytest.raises(ValueError, match="takes no video"):
        load_model_inputs(request, 4, takes_video=False)
    text = load_model_inputs(
        ChatRequest(user(text_part("a"), text_part("b"))), 4, takes_video=False, takes_audio=False
    )
    assert text.messages == [{"role": "user", "content": "a\nb"}]


# -- transformers engine ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny_models")
    return {
        "text": str(build_tiny_qwen2(root / "qwen2")),
        "vl": str(build_tiny_qwen2_vl(root / "qwen2_vl")),
        "audio": str(build_tiny_qwen2_audio(root / "qwen2_audio")),
    }


def transformers_engine(model, **settings):
    return build_engine({"kind": "transformers", "model": model, "device": "cpu", "max_new_tokens": 4, **settings})


def test_transformers_text_batches_like_single_requests(tiny_models):
    requests = [
        ChatRequest(user(text_part("what plays between 00:00:07 and 00:00:14")), request_id="long"),
        ChatRequest(user(text_part("red")), request_id="short"),
        ChatRequest(user(video_part("/x.mp4")), request_id="video"),
    ]
    with transformers_engine(tiny_models["text"], batch_size=4) as engine:
        batched = engine.generate(requests)
        single = [engine.generate([request])[0] for request in requests[:2]]
    assert [r.request_id for r in batched] == ["long", "short", "video"]
    assert all(r.ok and isinstance(r.text, str) for r in batched[:2])
    # Left padding: a short prompt batched with a long one gets the same greedy answer as alone.
    assert [r.text for r in batched[:2]] == [r.text for r in single]
    assert "takes no video" in batched[2].error


def test_transformers_qwen2_vl_gets_each_clip_as_a_video(tiny_models, red_blue_clip):
    engine = transformers_engine(tiny_models["vl"])
    requests = [
        ChatRequest(user(video_part(red_blue_clip, 2.0, 4.0, num_frames=4), text_part("describe"))),
        ChatRequest(user(video_part(red_blue_clip, 0.0, 1.0, num_frames=2), text_part("and this"))),
    ]
    inputs = engine.processor_inputs([load_model_inputs(r, engine.config.num_frames) for r in requests])
    # 90 x 160 frames resized to 84 x 140: 6 x 10 patches of 14; 2 frames per temporal patch.
    assert inputs["video_grid_thw"].tolist() == [[2, 6, 10], [1, 6, 10]]
    assert inputs["pixel_values_videos"].shape == (120 + 60, 3 * 2 * 14 * 14)
    video_token = engine.processor.tokenizer.convert_tokens_to_ids("<|video_pad|>")
    counts = (inputs["input_ids"] == video_token).sum(dim=1).tolist()
    assert counts == [120 // 4, 60 // 4]  # 2 x 2 patches merge into one token
    results = engine.generate(requests)
    assert all(r.ok and isinstance(r.text, str) for r in results), results
    engine.close()


def test_transformers_qwen2_audio_gets_16k_whisper_features(tiny_models, red_blue_clip):
    engine = transformers_engine(tiny_models["audio"])
    request = ChatRequest(user(audio_part(red_blue_clip, 0.5, 2.5), text_part("what do you hear")))
    inputs = engine.processor_inputs([load_model_inputs(request, 4)])
    assert inputs["input_features"].shape == (1, 128, 3000)  # 30 s window of 128 mel bins
    assert inputs["feature_attention_mask"].sum().item() == 200  # 2 s at 16 kHz, hop 160
    audio_token = engine.processor.tokenizer.convert_tokens_to_ids("<|AUDIO|>")
    assert (inputs["input_ids"] == audio_token).sum().item() == 50  # conv stride 2, then pooling 2
    too_long = ChatRequest(user({"type": "audio", "audio": red_blue_clip}))
    engine.max_audio_samples = 48_000  # pretend the window is 3 s to hit the limit with a 4 s clip
    results = engine.generate([request, too_long])
    assert results[0].ok and isinstance(results[0].text, str)
    assert "exceeds the model's 3 s window" in results[1].error
    engine.close()


# -- vLLM engine -----------------------------------------------------------------------------------------------
class _FakeOutput:
    def __init__(self, text):
        self.outputs = [types.SimpleNamespace(text=text)]


class _FakeLLM:
    instances = []

    def __init__(self, **options):
        self.options = options
        self.calls = []
        _FakeLLM.instances.append(self)

    def generate(self, prompts, sampling_params=None, use_tqdm=True):
        self.calls.append((prompts, sampling_params))
        if any("BROKEN" in prompt["prompt"] for prompt in prompts):
            raise ValueError("prompt too long")
        return [_FakeOutput(f"reply {len(prompt['prompt'])}") for prompt in prompts]


@pytest.fixture
def fake_vllm(monkeypatch):
    module = types.ModuleType("vllm")
    module.LLM = _FakeLLM
    module.SamplingParams = lambda **kwargs: types.SimpleNamespace(**kwargs)
    monkeypatch.setitem(sys.modules, "vllm", module)
    _FakeLLM.instances.clear()
    return _FakeLLM.instances


def test_vllm_engine_builds_multimodal_prompts(fake_vllm, tiny_models, red_blue_clip):
    engine = build_engine({"kind": "vllm", "model": tiny_models["vl"], "tensor_parallel_size": 4, "num_frames": 6})
    llm = fake_vllm[0]
    assert llm.options["tensor_parallel_size"] == 4 and llm.options["limit_mm_per_prompt"] == {"video": 1}
    requests = [
        ChatRequest(user(video_part(red_blue_clip, 2.0, 4.0), text_part("describe")), temperature=0.7, seed=5),
        ChatRequest(user(text_part("BROKEN")), max_new_tokens=9),
        ChatRequest(user(audio_part(red_blue_clip))),
    ]
    results = engine.generate(requests)
    assert results[0].ok and results[0].text.startswith("reply")
    assert results[1].error == "ValueError: prompt too long"  # the batch failed; the others were retried alone
    assert "takes no audio" in results[2].error
    prompts, params = llm.calls[0]
    video = prompts[0]["multi_modal_data"]["video"][0]
    assert video.shape == (6, 90, 160, 3) and colours(video) == ["blue"] * 6
    assert "<|vision_start|><|video_pad|><|vision_end|>describe" in prompts[0]["prompt"]
    assert (params[0].temperature, params[0].seed, params[1].max_tokens) == (0.7, 5, 9)


def test_vllm_engine_sends_audio_as_waveform_and_rate(fake_vllm, tiny_models, red_blue_clip):
    engine = build_engine({"kind": "vllm", "model": tiny_models["audio"]})
    assert fake_vllm[0].options["limit_mm_per_prompt"] == {"audio": 1}
    prompt = engine.vllm_input(ChatRequest(user(audio_part(red_blue_clip, 0.6, 1.4), text_part("sound?"))))
    ((samples, rate),) = prompt["multi_modal_data"]["audio"]
    assert rate == 16_000 and len(samples) == 12_800 and abs(peak_hz(samples) - 440.0) < 5.0
    assert "<|audio_bos|><|AUDIO|><|audio_eos|>" in prompt["prompt"]
    text = build_engine({"kind": "vllm", "model": tiny_models["text"]})
    assert "limit_mm_per_prompt" not in fake_vllm[1].options
    assert text.vllm_input(ChatRequest(user(text_part("hi")))) == {
        "prompt": text.processor.apply_chat_template(
            [{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True
        )
    }


def _cuda_available():
    try:
        import torch

        return torch.cuda.is_available()
    except ImportError:
        return False


@pytest.mark.gpu
@pytest.mark.skipif(
    importlib.util.find_spec("vllm") is None, reason="vLLM is not installed (pip install savenvideo[vllm])"
)
@pytest.mark.skipif(not _cuda_available(), reason="vLLM runs on a CUDA GPU only")
def test_vllm_engine_on_gpu(tmp_path):
    model = str(build_tiny_qwen2(tmp_path / "qwen2", hidden_size=128, num_attention_heads=2, num_key_value_heads=1))
    with build_engine({"kind": "vllm", "model": model, "max_new_tokens": 4, "gpu_memory_utilization": 0.2}) as engine:
        results = engine.generate([ChatRequest(user(text_part("hello"))), ChatRequest(user(text_part("red")))])
    assert all(r.ok and isinstance(r.text, str) for r in results), results
