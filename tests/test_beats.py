"""BEATs: our fbank against torchaudio's Kaldi fbank, our model against outputs of the official code
(tests/data/beats, made by scripts/make_beats_golden.py), conversion, loading errors and training paths."""

import logging
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torchaudio.compliance.kaldi as ta_kaldi
from safetensors.torch import load_file

from savenvideo.cli import main as cli_main
from savenvideo.modeling.configuration_beats import BeatsConfig
from savenvideo.modeling.modeling_beats import (
    BeatsCheckpointError,
    BeatsForAudioClassification,
    BeatsModel,
    config_from_original,
    relative_position_buckets,
)
from savenvideo.processing.feature_extraction_beats import BeatsFeatureExtractor, kaldi_fbank

DATA = Path(__file__).parent / "data" / "beats"
PRETRAINED = DATA / "beats_tiny.pt"
FINETUNED = DATA / "beats_tiny_finetuned.pt"
TOLERANCE = 1e-4
HIDDEN_TOLERANCE = 1e-3
"""For hidden states of magnitude up to ~3.5: the golden outputs were computed on another CPU, and on an AMD EPYC
the same float32 forward differs from them by up to 3e-4 (other kernel accumulation orders); an implementation
error shows as differences of order 0.1-1."""


@pytest.fixture(scope="module")
def clips():
    inputs = load_file(DATA / "inputs.safetensors")
    return [inputs[f"clip_{i}"].float() / 32768.0 for i in range(len(inputs))]


@pytest.fixture(scope="module")
def golden():
    return load_file(DATA / "outputs.safetensors")


@pytest.fixture(scope="module")
def extractor():
    return BeatsFeatureExtractor()


def tiny_config(**overrides) -> BeatsConfig:
    sizes = {
        "num_hidden_layers": 2,
        "hidden_size": 32,
        "num_attention_heads": 4,
        "intermediate_size": 64,
        "patch_embed_dim": 16,
        "num_conv_pos_embeddings": 8,
        "num_conv_pos_embedding_groups": 4,
    }
    return BeatsConfig(**{**sizes, **overrides})


def _signals() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    t = torch.arange(32000, dtype=torch.float64) / 16000
    return {
        "sine": 0.5 * torch.sin(2 * math.pi * 440 * t),
        "noise": 0.3 * torch.randn(16007, generator=generator, dtype=torch.float64),
        "chirp": 0.5 * torch.sin(2 * math.pi * (100 * t + 2000 * t**2)),
        "near_silence": 1e-5 * torch.randn(12345, generator=generator, dtype=torch.float64),
        "digital_silence": torch.zeros(4000, dtype=torch.float64),
        "one_frame": 0.1 * torch.randn(400, generator=generator, dtype=torch.float64),
    }


@pytest.mark.parametrize("name", list(_signals()))
def test_fbank_matches_torchaudio_kaldi(name):
    waveform = _signals()[name].float() * 32768
    expected = ta_kaldi.fbank(
        waveform[None], num_mel_bins=128, sample_frequency=16000, frame_length=25, frame_shift=10
    )
    ours = kaldi_fbank(waveform)
    assert ours.shape == expected.shape
    assert (ours - expected).abs().max() <= 1e-3


def test_fbank_batch_equals_each_row(extractor):
    waveforms = torch.stack([s[:16000] for name, s in _signals().items() if len(s) >= 16000]).float()
    batched = extractor.fbank(waveforms)
    for row, waveform in zip(batched, waveforms):
        expected = ta_kaldi.fbank(waveform[None] * 32768, num_mel_bins=128, frame_length=25, frame_shift=10)
        assert (row - (expected - 15.41663) / (2 * 6.55582)).abs().max() <= 1e-3


def test_extractor_inputs_padding_and_errors(extractor):
    clip = np.random.default_rng(0).uniform(-0.5, 0.5, 16000)
    single = extractor(clip, sampling_rate=16000)
    assert single["input_features"].shape == (1, 98, 128) and single["attention_mask"].all()
    as_list = extractor([clip.tolist(), torch.from_numpy(clip[:8000])], return_tensors="np")
    assert isinstance(as_list["input_features"], np.ndarray) and as_list["input_features"].shape == (2, 98, 128)
    padded = extractor([clip], padding="max_length", max_length=32000)
    assert padded["input_features"].shape[1] == 198 and padded["attention_mask"].sum() == 100
    assert extractor([clip], truncation=True, max_length=8000)["input_features"].shape[1] == 48

    with pytest.raises(ValueError, match="44100 Hz"):
        extractor(clip, sampling_rate=44100)
    with pytest.raises(ValueError, match="need padding"):
        extractor([clip, clip[:8000]], padding=False)
    with pytest.raises(ValueError, match="mono"):
        extractor(np.zeros((2, 2, 16000)))
    with pytest.raises(ValueError, match="empty"):
        extractor([clip, []])
    with pytest.raises(ValueError, match="shorter than one frame"):
        extractor(clip[:100])


def test_relative_position_buckets_match_official(golden):
    relative = golden["bucket_relative"]
    assert relative[0] == -1000 and relative[-1] == 1000
    ours = relative_position_buckets(len(relative), num_buckets=320, max_distance=800)[1000]
    assert torch.equal(ours, golden["bucket_index"])


@pytest.mark.parametrize("attn_implementation", ["sdpa", "eager"])
def test_original_checkpoint_matches_official(clips, golden, extractor, attn_implementation):
    model = BeatsModel.from_original_checkpoint(PRETRAINED)
    model.set_attn_implementation(attn_implementation)
    with torch.no_grad():
        for index, clip in enumerate(clips):
            output = model(**extractor(clip, sampling_rate=16000))
            assert (output.last_hidden_state[0] - golden[f"single_{index}"]).abs().max() <= HIDDEN_TOLERANCE
            assert output.attention_mask.all()
        # A padded batch: the patch mask and every position (padding included) agree with the original.
        output = model(**extractor(clips, sampling_rate=16000))
    assert torch.equal(output.attention_mask == 0, golden["batch_padding_mask"])
    assert (output.last_hidden_state - golden["batch_features"]).abs().max() <= HIDDEN_TOLERANCE


def test_finetuned_checkpoint(clips, golden, extractor, caplog):
    classifier = BeatsForAudioClassification.from_original_checkpoint(FINETUNED)
    assert classifier.config.num_labels == golden["finetuned_probs_batch"].shape[1]
    with torch.no_grad():
        batch = torch.sigmoid(classifier(**extractor(clips)).logits)
        single = torch.sigmoid(classifier(**extractor(clips[0])).logits)
    assert (batch - golden["finetuned_probs_batch"]).abs().max() <= TOLERANCE
    assert (single - golden["finetuned_probs_single_0"]).abs().max() <= TOLERANCE

    with caplog.at_level(logging.INFO, logger=BeatsModel.__module__):
        encoder = BeatsModel.from_original_checkpoint(FINETUNED)
    assert "ignoring the fine-tuned classification head" in caplog.text
    torch.testing.assert_close(encoder.state_dict(), classifier.beats.state_dict())
    with pytest.raises(BeatsCheckpointError, match="not a fine-tuned"):
        BeatsForAudioClassification.from_original_checkpoint(PRETRAINED)


def test_convert_beats_folder_loads_with_auto_classes(tmp_path, clips, golden):
    from transformers import AutoFeatureExtractor, AutoModel

    out = tmp_path / "beats"
    assert cli_main(["convert-beats", str(PRETRAINED), str(out)]) == 0
    for name in ("model.safetensors", "config.json", "preprocessor_config.json", "modeling_beats.py"):
        assert (out / name).is_file(), name
    model = AutoModel.from_pretrained(out, trust_remote_code=True)
    extractor = AutoFeatureExtractor.from_pretrained(out, trust_remote_code=True)
    assert type(model).__name__ == "BeatsModel" and not model.training
    with torch.no_grad():
        output = model(**extractor(clips, sampling_rate=16000))
    assert (output.last_hidden_state - golden["batch_features"]).abs().max() <= HIDDEN_TOLERANCE


def test_bad_checkpoints_raise_typed_errors(tmp_path, capsys):
    missing = tmp_path / "missing.pt"
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        BeatsModel.from_original_checkpoint(missing)

    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(BeatsCheckpointError, match="garbage.pt: not a readable PyTorch checkpoint"):
        BeatsModel.from_original_checkpoint(garbage)

    original = torch.load(PRETRAINED, weights_only=True)
    cases = {
        "list.pt": [1, 2],
        "no_model.pt": {"cfg": original["cfg"]},
        "truncated.pt": {"cfg": original["cfg"], "model": dict(list(original["model"].items())[:-3])},
        "pre_ln.pt": {"cfg": {**original["cfg"], "layer_norm_first": True}, "model": original["model"]},
    }
    messages = {
        "list.pt": "not an original BEATs checkpoint",
        "no_model.pt": "not a state dict",
        "truncated.pt": "weights do not fit",
        "pre_ln.pt": "layer_norm_first",
    }
    for name, content in cases.items():
        torch.save(content, tmp_path / name)
        with pytest.raises(BeatsCheckpointError, match=messages[name]) as raised:
            BeatsModel.from_original_checkpoint(tmp_path / name)
        assert name in str(raised.value)

    assert cli_main(["convert-beats", str(garbage), str(tmp_path / "out")]) == 1
    assert "garbage.pt" in capsys.readouterr().err


def test_config_from_original_fills_original_defaults():
    config = config_from_original({"input_patch_size": 16})
    assert config.max_distance == 1280 and not config.deep_norm and config.hidden_dropout == 0.1
    with pytest.raises(BeatsCheckpointError, match="input_patch_size"):
        config_from_original({})


def test_forward_backward_and_outputs():
    torch.manual_seed(0)
    model = BeatsModel(tiny_config(hidden_dropout=0.1, attention_dropout=0.1)).train()
    features = torch.randn(2, 100, 128)
    attention_mask = torch.ones(2, 100, dtype=torch.long)
    attention_mask[1, 60:] = 0
    output = model(features, attention_mask, output_hidden_states=True)
    assert output.last_hidden_state.shape == (2, 48, 32)
    assert len(output.hidden_states) == 3
    assert output.attention_mask[0].all() and not output.attention_mask[1].all()
    loss = (output.last_hidden_state * output.attention_mask[..., None]).pow(2).mean()
    loss.backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, name

    tuple_output = model.eval()(features, return_dict=False)
    assert len(tuple_output) == 2 and tuple_output[1].all()
    with pytest.raises(ValueError, match="at least 16"):
        model(torch.randn(1, 10, 128))
    with pytest.raises(ValueError, match=r"\[batch, frames, 128\]"):
        model(torch.randn(1, 100, 64))


@pytest.mark.filterwarnings("ignore:`gradient_checkpointing_enable` is deprecated:FutureWarning")
def test_gradient_checkpointing_gives_the_same_gradients():
    torch.manual_seed(0)
    model = BeatsModel(tiny_config()).train()
    features = torch.randn(2, 64, 128)

    def grads():
        model.zero_grad()
        model(features).last_hidden_state.sum().backward()
        return {name: p.grad.clone() for name, p in model.named_parameters()}

    reference = grads()
    model.gradient_checkpointing_enable()
    assert all(layer.gradient_checkpointing for layer in model.encoder.layers)
    torch.testing.assert_close(grads(), reference)


def test_layer_wise_gradient_decay_scales_gradients_below_the_layers():
    torch.manual_seed(0)
    features = torch.randn(1, 32, 128)
    plain = BeatsModel(tiny_config(layer_wise_gradient_decay_ratio=1.0))
    decayed = BeatsModel(tiny_config(layer_wise_gradient_decay_ratio=0.5))
    decayed.load_state_dict(plain.state_dict())
    for model in (plain, decayed):
        model(features).last_hidden_state.sum().backward()
    torch.testing.assert_close(decayed.patch_embedding.weight.grad, plain.patch_embedding.weight.grad * 0.25)
    torch.testing.assert_close(decayed.encoder.layers[-1].fc2.weight.grad, plain.encoder.layers[-1].fc2.weight.grad)
