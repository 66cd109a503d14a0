"""`assemble` builds an untrained SAVEnVideo from component checkpoints in their released formats (tiny, offline)."""

import json
from pathlib import Path

import pytest
import torch
from transformers import (
    AutoModel,
    AutoProcessor,
    Qwen2Config,
    Qwen2ForCausalLM,
    Qwen2Tokenizer,
    SiglipConfig,
    SiglipModel,
    SiglipVisionConfig,
    SiglipVisionModel,
)

from savenvideo.modeling.modeling_beats import BeatsModel
from savenvideo.processing.tiny_tokenizer import CHATML_TEMPLATE, IM_END, IM_START, build_tiny_tokenizer
from savenvideo.train.assemble import MEDIA_TOKENS, assemble
from savenvideo.train.tiny_checkpoint import TINY_VISION, random_batch

BEATS = Path(__file__).parent / "data" / "beats" / "beats_tiny.pt"


def qwen2_tokenizer_without_media_tokens() -> Qwen2Tokenizer:
    """The tiny tokenizer as a plain Qwen2-Instruct one: ChatML tokens only, like the released tokenizer."""
    tiny = build_tiny_tokenizer()
    model = json.loads(tiny.backend_tokenizer.to_str())["model"]
    vocab = {token: index for token, index in model["vocab"].items() if token not in MEDIA_TOKENS}
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    tokenizer = Qwen2Tokenizer(vocab=vocab, merges=merges)
    tokenizer.add_special_tokens({"additional_special_tokens": [IM_START, IM_END]})
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


@pytest.fixture(scope="module")
def components(tmp_path_factory):
    root = tmp_path_factory.mktemp("components")
    torch.manual_seed(0)
    vision = SiglipVisionConfig(**TINY_VISION)
    text_config = {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2}
    SiglipModel(SiglipConfig(vision_config=vision.to_dict(), text_config=text_config)).save_pretrained(root / "siglip")
    SiglipVisionModel(vision).save_pretrained(root / "siglip_vision")
    tokenizer = qwen2_tokenizer_without_media_tokens()
    llm = Qwen2ForCausalLM(
        Qwen2Config(
            vocab_size=len(tokenizer),
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            tie_word_embeddings=False,
        )
    )
    llm.save_pretrained(root / "qwen2")
    tokenizer.save_pretrained(root / "qwen2")
    return root


@pytest.mark.parametrize("vision", ["siglip", "siglip_vision"])
def test_assembled_model_keeps_component_weights_and_generates(components, tmp_path, vision):
    overrides = {"num_frames": 4, "vision_pool_size": 2, "num_queries": 8, "resampler_num_heads": 4}
    out = assemble(components / vision, BEATS, components / "qwen2", tmp_path / "out", dtype="float32", **overrides)
    model = AutoModel.from_pretrained(out, trust_remote_code=True).eval()
    processor = AutoProcessor.from_pretrained(out, trust_remote_code=True)
    tokenizer = processor.tokenizer
    assert (processor.num_video_tokens, processor.num_audio_tokens) == (8, 0) and processor.num_frames == 4
    assert processor.image_size == (32, 32)

    source_vision = SiglipVisionModel.from_pretrained(components / vision)
    for name, tensor in source_vision.state_dict().items():
        torch.testing.assert_close(model.model.vision_tower.state_dict()[name], tensor)
    beats = BeatsModel.from_original_checkpoint(BEATS)
    for name, tensor in beats.state_dict().items():
        torch.testing.assert_close(model.model.audio_tower.state_dict()[name], tensor)
    llm = Qwen2ForCausalLM.from_pretrained(components / "qwen2")
    old_vocab = llm.config.vocab_size
    embeddings = model.get_input_embeddings().weight
    torch.testing.assert_close(embeddings[:old_vocab], llm.model.embed_tokens.weight)
    torch.testing.assert_close(model.lm_head.weight[:old_vocab], llm.lm_head.weight)
    torch.testing.assert_close(
        model.model.language_model.layers[1].mlp.up_proj.weight, llm.model.layers[1].mlp.up_proj.weight
    )

    assert all(token in tokenizer.get_vocab() for token in MEDIA_TOKENS)
    assert model.config.video_token_id == tokenizer.convert_tokens_to_ids("<|video_pad|>")
    assert model.config.text_config.vocab_size >= len(tokenizer) and embeddings.shape[0] % 64 == 0
    assert model.config.audio_config.hidden_size == beats.config.hidden_size
    assert model.model.resampler.queries.std() > 0  # freshly initialised, not left empty

    batch = random_batch(model.config, fbank_frames=48)
    out_tokens = model.generate(**batch, max_new_tokens=3, min_new_tokens=3, do_sample=False)
    assert out_tokens.shape[1] == batch["input_ids"].shape[1] + 3


def test_assemble_refuses_a_non_siglip_vision_checkpoint(components, tmp_path):
    with pytest.raises(ValueError, match="not a SigLIP checkpoint"):
        assemble(components / "qwen2", BEATS, components / "qwen2", tmp_path / "out")
