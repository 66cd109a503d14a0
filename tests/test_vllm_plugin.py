"""The vLLM serving plugin (serving/): registration, token layout, how a video and its sound travel, fused tokens.

Three levels. Without vLLM (CI): the plugin's plain parts are checked against the transformers processor and model,
and ``register()`` against a fake ``vllm``. With vLLM installed (the ``vllm`` extra), on the CPU: vLLM's chat
parsing, our multimodal processor and our model class run on the tiny checkpoint and must reproduce the processor's
tokens and tensors and the model's fused media vectors. With a GPU: ``vllm serve`` answers like ``generate``.
"""

import ast
import importlib.util
import json
import socket
import subprocess
import sys
import time
import tomllib
import types
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch

from savenvideo.modeling.modeling_savenvideo import MEDIA_INPUTS
from savenvideo.processing.tiny_tokenizer import build_tiny_tokenizer
from savenvideo.serving.layout import MEDIA_PLACEHOLDER, MediaLayout
from savenvideo.serving.media_encoder import CHECKPOINT_PREFIXES, SAVEnVideoMediaEncoder, stack_padded
from savenvideo.serving.query_text import mentioned_times, user_text
from savenvideo.serving.video_items import (
    CONTAINER_KEY,
    LOADER_NAME,
    container_item,
    dummy_item,
    frames_item,
    processor_video,
)
from savenvideo.serving.vllm_plugin import ARCHITECTURE, MODEL_CLASS, register
from savenvideo.train.assemble import build_processor
from savenvideo.train.tiny_checkpoint import build_tiny_checkpoint, build_tiny_model, random_batch, tiny_config

ROOT = Path(__file__).resolve().parents[1]
HAS_VLLM = importlib.util.find_spec("vllm") is not None
needs_vllm = pytest.mark.skipif(
    not HAS_VLLM, reason="vLLM is not installed (pip install 'savenvideo[vllm]': torch==2.14.0, transformers<5.21)"
)
SERVE_OPTIONS = {"video": {"video_backend": LOADER_NAME}}


def chat(video, question):
    return [{"role": "user", "content": [{"type": "video", "video": video}, {"type": "text", "text": question}]}]


def openai_chat(path, question):
    video = {"type": "video_url", "video_url": {"url": Path(path).as_uri()}}
    return [{"role": "user", "content": [video, {"type": "text", "text": question}]}]


def served_name(key: str) -> str:
    """A checkpoint key under CHECKPOINT_PREFIXES, as vLLM's WeightsMapper applies them (in order, once each)."""
    for prefix, new in CHECKPOINT_PREFIXES.items():
        if key.startswith(prefix):
            key = new + key[len(prefix) :]
    return key


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    return build_tiny_checkpoint(tmp_path_factory.mktemp("vllm_plugin") / "ckpt", seed=5)


@pytest.fixture(scope="module")
def clip(synthetic_clip):
    path, _ = synthetic_clip(seconds=6.0, seed=11)
    return Path(path)


# -- registration ----------------------------------------------------------------------------------------------
def test_importing_the_plugin_does_not_import_vllm():
    modules = ["layout", "query_text", "video_items", "media_encoder", "vllm_plugin"]
    code = (
        "import sys, importlib\n"
        f"for name in {modules!r}: importlib.import_module('savenvideo.serving.' + name)\n"
        "print(sorted(m for m in sys.modules if m == 'vllm' or m.startswith('vllm.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_entry_point_and_package_are_declared():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    plugins = config["project"].get("entry-points", {}).get("vllm.general_plugins", {})
    assert plugins.get("savenvideo") == "savenvideo.serving.vllm_plugin:register"
    assert config["tool"]["setuptools"]["package-dir"].get("savenvideo.serving") == "serving"
    assert "savenvideo.serving" in config["tool"]["setuptools"]["packages"]
    assert "vllm" in config["project"]["optional-dependencies"]


def test_model_class_path_names_the_vllm_model(tiny_checkpoint):
    module, name = MODEL_CLASS.split(":")
    assert module == "savenvideo.serving.vllm_model"
    tree = ast.parse((ROOT / "serving" / "vllm_model.py").read_text())
    assert name in {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    # vLLM looks the class up by the architecture a saved checkpoint declares.
    assert json.loads((tiny_checkpoint / "config.json").read_text())["architectures"] == [ARCHITECTURE]


class _FakeModelRegistry:
    def __init__(self):
        self.models = {}

    def get_supported_archs(self):
        return list(self.models)

    def register_model(self, name, model_cls):
        self.models[name] = model_cls


class _FakeLoaderRegistry:
    def __init__(self):
        self.name2class = {}

    def register(self, name):
        def wrap(cls):
            self.name2class[name] = cls
            return cls

        return wrap


@pytest.fixture
def fake_vllm(monkeypatch):
    """Just the registries `register()` touches, in place of vLLM (installed or not)."""
    vllm = types.ModuleType("vllm")
    vllm.ModelRegistry = _FakeModelRegistry()
    multimodal = types.ModuleType("vllm.multimodal")
    video = types.ModuleType("vllm.multimodal.video")
    video.VIDEO_LOADER_REGISTRY = _FakeLoaderRegistry()
    video.VideoLoader = type("VideoLoader", (), {})
    for name, module in {"vllm": vllm, "vllm.multimodal": multimodal, "vllm.multimodal.video": video}.items():
        monkeypatch.setitem(sys.modules, name, module)
    loader_module = "savenvideo.serving.vllm_video_loader"
    previous = sys.modules.pop(loader_module, None)
    yield vllm.ModelRegistry, video.VIDEO_LOADER_REGISTRY
    sys.modules.pop(loader_module, None)  # it was built on the fake VideoLoader
    if previous is not None:
        sys.modules[loader_module] = previous


def test_register_adds_the_model_and_the_video_loader_once(fake_vllm):
    models, loaders = fake_vllm
    register()
    register()  # vLLM loads plugins in every process, sometimes twice
    assert models.models == {ARCHITECTURE: MODEL_CLASS}
    loader = loaders.name2class[LOADER_NAME]
    frames, metadata = loader.load_bytes(b"\x00\x00\x00\x18ftypmp42", num_frames=32, fps=2)
    assert frames.shape[0] == 0 and metadata[CONTAINER_KEY] == b"\x00\x00\x00\x18ftypmp42"


# -- token layout ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("projector_type", ["avts", "mlp"])
def test_layout_is_the_processors_placeholder_expansion(projector_type):
    config = tiny_config(projector_type=projector_type)
    processor = build_processor(config, build_tiny_tokenizer())
    layout = MediaLayout.from_config(config)
    assert (layout.num_audio_tokens > 0) == (projector_type == "mlp")
    video = {"frames": np.zeros((3, 32, 32, 3), dtype=np.uint8), "fps": 1.0}
    prompt = processor.apply_chat_template(chat(video, "Hello?"), add_generation_prompt=True)
    unexpanded = processor.tokenizer(prompt)["input_ids"]
    at = unexpanded.index(layout.video_token_id)
    expected = unexpanded[:at] + layout.placeholder_ids() + unexpanded[at + 1 :]
    expanded = processor(text=prompt, videos=[video])["input_ids"][0].tolist()
    assert expanded == expected
    assert len(expanded) == len(unexpanded) - 1 + layout.num_tokens


def test_layout_reads_the_checkpoints_remote_code_config(tiny_checkpoint):
    from transformers import AutoConfig

    remote = AutoConfig.from_pretrained(tiny_checkpoint, trust_remote_code=True)
    assert not type(remote).__module__.startswith("savenvideo")  # the checkpoint's own copy of the class
    assert MediaLayout.from_config(remote) == MediaLayout.from_config(tiny_config())


# -- query times -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "conversation",
    [
        [{"role": "user", "content": "What happens at 1:05 and at 70 seconds?"}],
        [
            {"role": "system", "content": "Answer within 10 seconds; the clip starts at 0:30."},
            {"role": "user", "content": "What is shown?"},
        ],
        [
            {"role": "user", "content": "What happens at 0:12?"},
            {"role": "assistant", "content": "At 0:15 a dog barks."},
            {"role": "user", "content": "And between 0:20 and 0:25?"},
        ],
    ],
)
def test_query_text_is_what_the_processor_reads_times_from(conversation):
    processor = build_processor(tiny_config(), build_tiny_tokenizer())
    prompt = processor.apply_chat_template(conversation, add_generation_prompt=True)
    out = processor(text=prompt)  # no media: no duration to clip to
    expected = out["query_times"][0][out["query_time_mask"][0]].tolist()
    assert mentioned_times(user_text(prompt)) == pytest.approx(expected)


# -- how a video reaches the processor ---------------------------------------------------------------------------
def test_video_items_become_processor_inputs():
    assert processor_video(*container_item(b"abc")) == b"abc"

    frames = np.zeros((2, 8, 8, 3), dtype=np.uint8)
    item = processor_video(*frames_item(frames, [0.5, 1.5], audio=np.ones(100), sampling_rate=8000))
    assert item["times"] == [0.5, 1.5] and item["sampling_rate"] == 8000 and item["audio"].dtype == np.float32

    # vLLM's own `data:video/jpeg;base64,...` frame sequences: times from frame index and fps, no sound.
    item = processor_video(frames, {"video_backend": "jpeg_sequence", "fps": 2.0, "frames_indices": [0, 3]})
    assert item["times"] == [0.0, 1.5] and "audio" not in item

    with pytest.raises(ValueError, match="--media-io-kwargs"):  # a loader that decoded a file and dropped its sound
        processor_video(frames, {"video_backend": "opencv", "fps": 30.0, "frames_indices": [0, 1]})
    with pytest.raises(ValueError, match="frame_times"):
        processor_video(frames, {})


def test_a_container_item_decodes_like_the_file_it_came_from(clip):
    processor = build_processor(tiny_config(), build_tiny_tokenizer())
    question = ["What happens at 0:03?"]
    from_file = processor(text=MEDIA_PLACEHOLDER, videos=[str(clip)], query_texts=question)
    served = processor(
        text=MEDIA_PLACEHOLDER, videos=[processor_video(*container_item(clip.read_bytes()))], query_texts=question
    )
    assert set(served) == set(from_file)
    for name in from_file:
        torch.testing.assert_close(served[name], from_file[name], rtol=0, atol=0, msg=name)
    assert served["audio_window_mask"].all() and served["video_frame_mask"].all()  # frames and sound, one file


def test_the_profiling_dummy_fills_every_frame_and_audio_window():
    config = tiny_config()
    processor = build_processor(config, build_tiny_tokenizer())
    dummy = dummy_item(config.num_frames, config.vision_config.image_size)
    out = processor(text=MEDIA_PLACEHOLDER, videos=[processor_video(*dummy)])
    assert out["video_frame_mask"].all() and out["audio_window_mask"].all()


# -- fused media vectors -----------------------------------------------------------------------------------------
def test_checkpoint_keys_map_onto_the_encoder_and_the_language_model():
    model = build_tiny_model()
    encoder = SAVEnVideoMediaEncoder(model.config)
    names = {served_name(key) for key in model.state_dict()}
    media = {name.removeprefix("media_encoder.") for name in names if name.startswith("media_encoder.")}
    assert media == set(encoder.state_dict())
    rest = {name for name in names if not name.startswith("media_encoder.")}
    assert rest and all(name.startswith(("language_model.model.", "language_model.lm_head.")) for name in rest)


def served_encoder(model) -> SAVEnVideoMediaEncoder:
    encoder = SAVEnVideoMediaEncoder(model.config).eval()
    weights = {served_name(key): value for key, value in model.state_dict().items()}
    prefix = "media_encoder."
    encoder.load_state_dict({k.removeprefix(prefix): v for k, v in weights.items() if k.startswith(prefix)})
    return encoder


@pytest.mark.parametrize(
    "overrides", [{}, {"projector_type": "mlp"}, {"use_audio": False}, {"use_time": False}], ids=str
)
def test_media_encoder_fuses_what_the_transformers_model_fuses(overrides):
    model = build_tiny_model(seed=2, **overrides)
    encoder = served_encoder(model)
    batch = random_batch(model.config, frames=(4, 2), sound=(True, False))
    media = {name: batch[name] for name in MEDIA_INPUTS}
    with torch.no_grad():
        video, audio = model.model.get_media_embeddings(**media)
        expected = video if audio is None else torch.cat((video, audio), dim=1)
        served = encoder(media)
    assert served.shape == (2, MediaLayout.from_config(model.config).num_tokens, model.config.text_config.hidden_size)
    torch.testing.assert_close(served, expected)


def test_media_encoder_takes_per_video_lists_of_different_shapes():
    """vLLM hands items whose shapes differ (here: the number of query times) as one tensor per video."""
    model = build_tiny_model(seed=3)
    encoder = served_encoder(model)
    batch = random_batch(model.config, frames=(4, 3))
    batch["query_times"] = torch.tensor([[1.0, 0.5], [0.7, 0.0]])
    batch["query_time_mask"] = torch.tensor([[True, True], [True, False]])
    as_lists = {name: list(batch[name]) for name in MEDIA_INPUTS}
    as_lists["query_times"] = [torch.tensor([1.0, 0.5]), torch.tensor([0.7])]
    as_lists["query_time_mask"] = [torch.tensor([True, True]), torch.tensor([True])]
    with torch.no_grad():
        torch.testing.assert_close(encoder(as_lists), encoder({name: batch[name] for name in MEDIA_INPUTS}))


def test_stack_padded_pads_every_dimension_with_zeros_and_false():
    masks = stack_padded([torch.tensor([True]), torch.tensor([True, True])])
    assert masks.tolist() == [[True, False], [True, True]]
    values = stack_padded([torch.ones(1, 2), torch.ones(2, 1)])
    assert values.tolist() == [[[1.0, 1.0], [0.0, 0.0]], [[1.0, 0.0], [1.0, 0.0]]]
    tensor = torch.ones(2, 3)
    assert stack_padded(tensor) is tensor


# -- with vLLM, on the CPU -----------------------------------------------------------------------------------------
@needs_vllm
def test_vllm_loads_the_installed_plugin():
    from importlib.metadata import entry_points

    from vllm import ModelRegistry
    from vllm.multimodal.video import VIDEO_LOADER_REGISTRY
    from vllm.plugins import load_general_plugins

    assert "savenvideo" in {plugin.name for plugin in entry_points(group="vllm.general_plugins")}
    load_general_plugins()
    assert ARCHITECTURE in ModelRegistry.get_supported_archs()
    frames, metadata = VIDEO_LOADER_REGISTRY.load(LOADER_NAME).load_bytes(b"video bytes", num_frames=32)
    assert metadata[CONTAINER_KEY] == b"video bytes"


@pytest.fixture(scope="module")
def vllm_setup(tiny_checkpoint, clip):
    """vLLM's model config, tokenizer and our multimodal processor for the tiny checkpoint, as `vllm serve` has them
    with the plugin's flags (float32 so that the CPU comparisons are exact)."""
    from vllm.config import ModelConfig
    from vllm.multimodal import MULTIMODAL_REGISTRY
    from vllm.tokenizers import get_tokenizer

    register()
    config = ModelConfig(
        model=str(tiny_checkpoint),
        trust_remote_code=True,
        dtype="float32",
        max_model_len=1024,
        allowed_local_media_path=str(clip.parent),
        media_io_kwargs=SERVE_OPTIONS,
    )
    tokenizer = get_tokenizer(str(tiny_checkpoint), trust_remote_code=True)
    return config, tokenizer, MULTIMODAL_REGISTRY.create_processor(config)


def vllm_process(vllm_setup, messages):
    """What `vllm serve` does with a chat request before the engine: parse, render, process."""
    from vllm.renderers.chat_utils.chat_message import parse_chat_messages
    from vllm.renderers.hf import resolve_chat_template_content_format, safe_apply_chat_template

    config, tokenizer, processor = vllm_setup
    content_format = resolve_chat_template_content_format(None, None, "auto", tokenizer, model_config=config)
    conversation, mm_data, _ = parse_chat_messages(messages, config, content_format)
    prompt = safe_apply_chat_template(config, tokenizer, conversation, tokenize=False, add_generation_prompt=True)
    return processor(prompt, processor.info.parse_mm_data(mm_data))


@pytest.fixture(scope="module")
def transformers_reference(tiny_checkpoint):
    from transformers import AutoModel, AutoProcessor

    model = AutoModel.from_pretrained(tiny_checkpoint, trust_remote_code=True, dtype=torch.float32).eval()
    return model, AutoProcessor.from_pretrained(tiny_checkpoint, trust_remote_code=True)


@needs_vllm
def test_vllm_processes_a_chat_request_as_the_processor_does(vllm_setup, transformers_reference, clip):
    question = "What happens at 0:03?"
    served = vllm_process(vllm_setup, openai_chat(clip, question))
    _, processor = transformers_reference
    expected = processor.apply_chat_template(
        chat(str(clip), question), add_generation_prompt=True, tokenize=True, return_dict=True
    )
    ids = expected["input_ids"][0].tolist()
    assert served["prompt_token_ids"] == ids
    layout = MediaLayout.from_config(vllm_setup[0].hf_config)
    (placeholder,) = served["mm_placeholders"]["video"]
    assert (placeholder.offset, placeholder.length) == (ids.index(layout.video_token_id), layout.num_tokens)
    (item,) = served["mm_kwargs"]["video"]
    fields = item.get_data()
    assert set(fields) == set(MEDIA_INPUTS)
    for name in MEDIA_INPUTS:
        torch.testing.assert_close(fields[name], expected[name][0], rtol=0, atol=0, msg=name)
    assert fields["query_times"].tolist() == [3.0] and fields["video_frame_times"].dtype == torch.float32


@needs_vllm
def test_vllm_cache_key_follows_the_times_a_question_names(vllm_setup, clip):
    def key(question):
        return vllm_process(vllm_setup, openai_chat(clip, question))["mm_hashes"]["video"][0]

    assert key("What happens at 0:03?") == key("Describe the moment 3 seconds in.")
    assert key("What happens at 0:03?") != key("What happens at 0:04?")
    assert key("What is shown?") == key("Which colours appear?")


@needs_vllm
def test_vllm_profiles_with_a_full_video(vllm_setup):
    _, _, processor = vllm_setup
    dummy = processor.get_dummy_mm_inputs({"video": 1})
    (placeholder,) = dummy["mm_placeholders"]["video"]
    assert placeholder.length == MediaLayout.from_config(vllm_setup[0].hf_config).num_tokens
    fields = dummy["mm_kwargs"]["video"][0].get_data()
    assert fields["video_frame_mask"].all() and fields["audio_window_mask"].all()


@pytest.fixture(scope="module")
def vllm_model(vllm_setup, tiny_checkpoint):
    """Our vLLM model class built on the CPU. vLLM picks no attention backend without a GPU: FlexAttention is named
    for construction only (nothing here runs the LLM's attention)."""
    from safetensors.torch import load_file
    from vllm.config import DeviceConfig, VllmConfig, set_current_vllm_config
    from vllm.distributed import (
        destroy_distributed_environment,
        destroy_model_parallel,
        init_distributed_environment,
        initialize_model_parallel,
    )
    from vllm.platforms import current_platform

    from savenvideo.serving.vllm_model import VllmSAVEnVideoForConditionalGeneration

    flex = "vllm.v1.attention.backends.flex_attention.FlexAttentionBackend"
    port = _free_port()
    config = VllmConfig(model_config=vllm_setup[0], device_config=DeviceConfig(device="cpu"))
    with pytest.MonkeyPatch.context() as patch, set_current_vllm_config(config):
        patch.setattr(current_platform, "get_attn_backend_cls", lambda *args, **kwargs: flex, raising=False)
        init_distributed_environment(
            world_size=1, rank=0, local_rank=0, distributed_init_method=f"tcp://127.0.0.1:{port}", backend="gloo"
        )
        initialize_model_parallel(1, 1)
        model = VllmSAVEnVideoForConditionalGeneration(vllm_config=config).eval()
        loaded = model.load_weights(load_file(tiny_checkpoint / "model.safetensors").items())
        yield model, loaded
        destroy_model_parallel()
        destroy_distributed_environment()


@needs_vllm
def test_vllm_model_loads_every_weight_of_the_checkpoint(vllm_model):
    model, loaded = vllm_model
    assert {name for name, _ in model.named_parameters()} == loaded


@needs_vllm
def test_vllm_model_writes_the_fused_tokens_over_the_placeholders(
    vllm_model, vllm_setup, transformers_reference, clip
):
    model, _ = vllm_model
    reference, processor = transformers_reference
    question = "What is heard at 0:02?"
    served = vllm_process(vllm_setup, openai_chat(clip, question))
    fields = served["mm_kwargs"]["video"][0].get_data()
    expected = processor.apply_chat_template(
        chat(str(clip), question), add_generation_prompt=True, tokenize=True, return_dict=True
    )
    ids = torch.tensor(served["prompt_token_ids"])
    is_media = ids == MediaLayout.from_config(vllm_setup[0].hf_config).video_token_id
    with torch.no_grad():
        (fused,) = model.embed_multimodal(**{name: [value] for name, value in fields.items()})
        video, _ = reference.model.get_media_embeddings(**{name: expected[name] for name in MEDIA_INPUTS})
        merged = model.embed_input_ids(ids, [fused], is_multimodal=is_media)
        text = reference.get_input_embeddings()(ids)
    torch.testing.assert_close(fused, video[0])
    torch.testing.assert_close(merged[is_media], video[0])
    torch.testing.assert_close(merged[~is_media], text[~is_media])


# -- with vLLM, on a GPU -------------------------------------------------------------------------------------------
def _post(url: str, body: dict, timeout: float = 120.0) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def _first_token_seconds(url: str, body: dict) -> float:
    """Seconds from sending a streamed request to the first chunk that carries a generated token."""
    request = urllib.request.Request(
        url, json.dumps({**body, "stream": True}).encode(), {"Content-Type": "application/json"}
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120.0) as response:
        for line in response:
            if line.startswith(b"data: ") and line.strip() != b"data: [DONE]":
                choices = json.loads(line[6:])["choices"]
                if choices and choices[0].get("token_ids"):
                    return time.perf_counter() - start
    raise AssertionError("the stream ended without a generated token")


@pytest.fixture(scope="module")
def gpu_checkpoint(tmp_path_factory):
    """The tiny checkpoint with 32-wide attention heads: vLLM's Triton attention then serves it in float32, so its
    greedy tokens can be compared with transformers' exactly (FlashAttention has no float32, Triton no 16-wide heads).
    """
    text = tiny_config().text_config.to_dict()
    text.update(num_attention_heads=2, num_key_value_heads=1)
    return build_tiny_checkpoint(tmp_path_factory.mktemp("vllm_gpu") / "ckpt", seed=5, text_config=text)


@pytest.fixture(scope="module")
def vllm_server(gpu_checkpoint, clip, tmp_path_factory):
    """`vllm serve` on the checkpoint with the flags of serving/README.md; yields its base URL."""
    port = _free_port()
    command = [
        *(sys.executable, "-m", "vllm.entrypoints.cli.main", "serve", str(gpu_checkpoint)),
        *("--trust-remote-code", "--dtype", "float32", "--max-model-len", "1024", "--enforce-eager"),
        *("--gpu-memory-utilization", "0.3", "--served-model-name", "savenvideo-tiny", "--seed", "0"),
        *("--media-io-kwargs", json.dumps(SERVE_OPTIONS), "--limit-mm-per-prompt", json.dumps({"video": 1})),
        *("--allowed-local-media-path", str(clip.parent), "--host", "127.0.0.1", "--port", str(port)),
    ]
    log_path = tmp_path_factory.mktemp("vllm_serve") / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 600
            while not _healthy(url):
                assert server.poll() is None, f"vllm serve exited:\n{log_path.read_text()[-4000:]}"
                assert time.monotonic() < deadline, (
                    f"vllm serve not healthy after 600 s:\n{log_path.read_text()[-4000:]}"
                )
                time.sleep(2)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.gpu
@pytest.mark.timeout(1500)
@needs_vllm
@pytest.mark.skipif(not torch.cuda.is_available(), reason="vLLM serves on a CUDA GPU only")
def test_vllm_serve_answers_like_transformers_generate(request, gpu_checkpoint, clip):
    from transformers import AutoModel, AutoProcessor

    steps = 12
    questions = ["What happens at 0:02?", "Describe what you hear.", "What colour is shown at 0:05?"]
    model = AutoModel.from_pretrained(gpu_checkpoint, trust_remote_code=True, dtype=torch.float32).to("cuda").eval()
    processor = AutoProcessor.from_pretrained(gpu_checkpoint, trust_remote_code=True)
    expected = {}
    for question in questions:
        inputs = processor.apply_chat_template(
            chat(str(clip), question), add_generation_prompt=True, tokenize=True, return_dict=True
        ).to("cuda")
        with torch.no_grad():
            output = model.generate(**inputs, max_new_tokens=steps, min_new_tokens=steps, do_sample=False)
        prompt = inputs["input_ids"][0].tolist()
        expected[question] = (prompt, output[0, len(prompt) :].tolist())
    del model
    torch.cuda.empty_cache()

    endpoint = f"{request.getfixturevalue('vllm_server')}/v1/chat/completions"

    def body(question):
        return {
            "model": "savenvideo-tiny",
            "messages": openai_chat(clip, question),
            "max_tokens": steps,
            "temperature": 0.0,
            "ignore_eos": True,
            "return_token_ids": True,
        }

    for question, (prompt, answer) in expected.items():
        response = _post(endpoint, body(question))
        assert response["prompt_token_ids"] == prompt, question
        assert response["choices"][0]["token_ids"] == answer, question

    first_tokens = sorted(_first_token_seconds(endpoint, body(questions[0])) for _ in range(8))
    count, start = 64, time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda i: _post(endpoint, body(questions[i % len(questions)])), range(count)))
    requests_per_second = count / (time.perf_counter() - start)
    assert all(len(answer["choices"][0]["token_ids"]) == steps for answer in answers)
    metrics = {
        "gpu": torch.cuda.get_device_name(),
        "requests_per_second": round(requests_per_second, 2),
        "median_time_to_first_token_s": round(first_tokens[len(first_tokens) // 2], 4),
        "concurrency": 16,
        "max_tokens": steps,
    }
    print(json.dumps(metrics))
    request.node.user_properties.extend(metrics.items())
