"""SAVEnVideo modeling on tiny configs: training step, generation, batching, ablation switches, placeholder checks."""

import pytest
import torch

from savenvideo.modeling.configuration_savenvideo import SAVEnVideoConfig
from savenvideo.train.tiny_checkpoint import build_tiny_model, random_batch


def one(batch: dict, index: int) -> dict:
    """Sample `index` of a left-padded batch, alone and without its padding."""
    keep = batch["attention_mask"][index].bool()
    single = {key: value[index : index + 1] for key, value in batch.items()}
    single["input_ids"] = single["input_ids"][:, keep]
    single["attention_mask"] = single["attention_mask"][:, keep]
    return single


@pytest.fixture(scope="module")
def model():
    return build_tiny_model(seed=0)


def test_default_config_is_the_7b_model_within_the_token_budget():
    config = SAVEnVideoConfig()
    assert (config.vision_config.hidden_size, config.vision_config.num_hidden_layers) == (1152, 27)
    assert (config.vision_config.image_size, config.vision_config.patch_size) == (384, 14)
    assert (config.text_config.hidden_size, config.text_config.num_hidden_layers) == (3584, 28)
    assert config.text_config.num_key_value_heads == 4 and config.text_config.vocab_size == 152064
    assert config.audio_config.hidden_size == 768
    assert config.num_video_tokens + config.num_audio_tokens <= 3136 // 4
    assert config.num_audio_tokens == 0
    mlp = SAVEnVideoConfig(projector_type="mlp")
    assert (mlp.num_video_tokens, mlp.num_audio_tokens) == (16 * 14 * 14, 16 * 8)
    assert SAVEnVideoConfig(projector_type="mlp", use_audio=False).num_audio_tokens == 0


def test_forward_and_backward_reach_every_trained_part(model):
    model.train()
    try:
        batch = random_batch(model.config)
        labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
        out = model(**batch, labels=labels)
        assert out.logits.shape == (*batch["input_ids"].shape, model.config.text_config.vocab_size)
        out.loss.backward()
        unused = {name for name, p in model.named_parameters() if p.grad is None}
        # vision_feature_layer=-2: SigLIP's last layer and post-norm are never used.
        assert all(
            name.startswith(("model.vision_tower.encoder.layers.1.", "model.vision_tower.post")) for name in unused
        )
        for part in ("resampler.visual_mlp", "resampler.audio_mlp", "resampler.layers", "resampler.queries"):
            assert any(part in name for name, p in model.named_parameters() if p.grad is not None), part
        assert model.model.time_projection.linear.weight.grad.abs().sum() > 0
        assert model.model.audio_tower.encoder.layers[0].fc1.weight.grad.abs().sum() > 0
    finally:
        model.zero_grad()
        model.eval()


def test_gradient_checkpointing_gives_the_same_gradients(model):
    batch = random_batch(model.config)
    labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
    grads = []
    for checkpointing in (False, True):
        model.train()
        if checkpointing:  # transformers 5.24 renamed gradient to activation checkpointing
            getattr(model, "activation_checkpointing_enable", model.gradient_checkpointing_enable)()
            assert model.model.resampler.layers[0].gradient_checkpointing
        model(**batch, labels=labels).loss.backward()
        grads.append(model.model.resampler.visual_mlp.linear_1.weight.grad.clone())
        model.zero_grad()
    getattr(model, "activation_checkpointing_disable", model.gradient_checkpointing_disable)()
    model.eval()
    torch.testing.assert_close(grads[0], grads[1])


def test_generate_with_cache_equals_generate_without(model):
    batch = random_batch(model.config)
    cached = model.generate(**batch, max_new_tokens=6, min_new_tokens=6, do_sample=False)
    uncached = model.generate(**batch, max_new_tokens=6, min_new_tokens=6, do_sample=False, use_cache=False)
    assert torch.equal(cached, uncached)


def test_left_padded_batch_answers_like_each_sample_alone(model):
    batch = random_batch(model.config, text_lengths=(4, 11), frames=(4, 1), sound=(True, False))
    greedy = {"max_new_tokens": 5, "min_new_tokens": 5, "do_sample": False}
    together = model.generate(**batch, **greedy)[:, -5:]
    for index in range(2):
        alone = model.generate(**one(batch, index), **greedy)[:, -5:]
        assert torch.equal(together[index], alone[0])


def test_silent_and_sounding_videos_share_a_batch(model):
    batch = random_batch(model.config, text_lengths=(7, 7), sound=(True, False))
    with torch.no_grad():
        logits = model(**batch).logits
        for index in range(2):
            torch.testing.assert_close(logits[index], model(**one(batch, index)).logits[0], atol=1e-5, rtol=1e-4)
        # The silent video's answer does not depend on what its (absent) audio tensors hold.
        noisy = dict(batch, audio_features=torch.randn_like(batch["audio_features"]))
        torch.testing.assert_close(model(**noisy).logits[1], logits[1])
        assert not torch.allclose(model(**noisy).logits[0], logits[0])


def test_media_tokens_depend_on_frames_sound_and_times(model):
    batch = random_batch(model.config)
    media = {k: v for k, v in batch.items() if k not in ("input_ids", "attention_mask")}
    with torch.no_grad():
        base = model.model.get_media_embeddings(**media)[0]
        for key in ("pixel_values_videos", "audio_features", "video_frame_times", "audio_window_times", "query_times"):
            changed = model.model.get_media_embeddings(**dict(media, **{key: media[key] + 1.0}))[0]
            assert not torch.allclose(changed, base), key
        masked = model.model.get_media_embeddings(
            **dict(media, query_time_mask=torch.zeros_like(media["query_time_mask"]))
        )
        moved = dict(
            media, query_times=media["query_times"] + 3, query_time_mask=torch.zeros_like(media["query_time_mask"])
        )
        torch.testing.assert_close(model.model.get_media_embeddings(**moved)[0], masked[0])


def test_placeholder_count_mismatch_raises_a_clear_error(model):
    batch = random_batch(model.config)
    ids = batch["input_ids"].clone()
    ids[0, (ids[0] == model.config.video_token_id).nonzero()[0]] = 1
    with pytest.raises(ValueError, match=r"<\|video_pad\|> placeholders per sample .* do not match"):
        model(**dict(batch, input_ids=ids))


def test_text_only_sample_next_to_a_video(model):
    batch = random_batch(model.config)
    ids = batch["input_ids"].clone()
    ids[1][ids[1] == model.config.video_token_id] = 7
    with torch.no_grad():
        logits = model(**dict(batch, input_ids=ids)).logits
        text_only = model(input_ids=ids[1:], attention_mask=batch["attention_mask"][1:]).logits
    torch.testing.assert_close(logits[1], text_only[0], atol=1e-5, rtol=1e-4)


def _shared_weights(source, target):
    """Copy `source`'s weights into the ablated `target`; returns the names `target` lacks."""
    missing, unexpected = target.load_state_dict(source.state_dict(), strict=False)
    assert not missing
    return set(unexpected)


def test_use_audio_false_drops_exactly_the_audio_path(model):
    ablated = build_tiny_model(use_audio=False)
    dropped = _shared_weights(model, ablated)
    assert dropped and all(
        name.startswith(("model.audio_tower.", "model.resampler.audio_mlp.", "model.resampler.audio_position"))
        for name in dropped
    )
    assert ablated.model.audio_tower is None and ablated.config.num_video_tokens == model.config.num_video_tokens
    silent = random_batch(model.config, sound=(False, False))
    with torch.no_grad():
        # With silent videos the full model sees exactly what the audio-free one sees.
        torch.testing.assert_close(ablated(**silent).logits, model(**silent).logits)
        sounding = random_batch(model.config)
        noisy = dict(sounding, audio_features=torch.randn_like(sounding["audio_features"]))
        torch.testing.assert_close(ablated(**noisy).logits, ablated(**sounding).logits)


def test_use_time_false_drops_exactly_the_time_path(model):
    ablated = build_tiny_model(use_time=False)
    dropped = _shared_weights(model, ablated)
    assert dropped == {
        "model.time_projection.linear.weight",
        "model.time_projection.linear.bias",
        "model.resampler.query_time_embedding",
        "model.resampler.time_slopes",
    }
    batch = random_batch(model.config)
    timeless = build_tiny_model()
    timeless.load_state_dict(model.state_dict())
    torch.nn.init.zeros_(timeless.model.time_projection.linear.weight)
    torch.nn.init.zeros_(timeless.model.time_projection.linear.bias)
    torch.nn.init.zeros_(timeless.model.resampler.time_slopes)
    no_query_time = dict(batch, query_time_mask=torch.zeros_like(batch["query_time_mask"]))
    with torch.no_grad():
        torch.testing.assert_close(ablated(**batch).logits, timeless(**no_query_time).logits)
        shifted = dict(batch, video_frame_times=batch["video_frame_times"] + 60, query_times=batch["query_times"] + 9)
        torch.testing.assert_close(ablated(**shifted).logits, ablated(**batch).logits)


def test_queries_are_anchored_at_frame_times(model):
    """With steep slopes a query reads only its own frame's moment: the picture and the sound of that time."""
    config = model.config
    batch = random_batch(config)
    media = {k: v for k, v in batch.items() if k not in ("input_ids", "attention_mask")}
    media["query_time_mask"] = torch.zeros_like(media["query_time_mask"])
    anchored = build_tiny_model()
    anchored.load_state_dict(model.state_dict())
    torch.nn.init.constant_(anchored.model.resampler.time_slopes, 200.0)
    # Queries are shared out over the frames in order: with 8 queries and 4 frames, queries 2j and 2j+1 sit at frame j.
    assert config.num_queries == 2 * config.num_frames
    last = config.num_frames - 1
    changed = dict(media)
    changed["pixel_values_videos"] = media["pixel_values_videos"].clone()
    changed["pixel_values_videos"][:, last] += 1.0
    changed["audio_features"] = media["audio_features"].clone()
    changed["audio_features"][:, last] += 1.0
    # Query self-attention mixes the queries afterwards, so compare what each query reads: the first layer's
    # cross-attention output, through a hook.
    reads = []
    hook = anchored.model.resampler.layers[0].cross_attn.register_forward_hook(lambda m, a, out: reads.append(out))
    try:
        with torch.no_grad():
            anchored.model.get_media_embeddings(**media)
            anchored.model.get_media_embeddings(**changed)
    finally:
        hook.remove()
    difference = (reads[0] - reads[1]).abs().amax(-1)  # [batch, queries]
    assert torch.all(difference[:, -2:] > 1e-3)  # the queries of the last frame read the change
    torch.testing.assert_close(difference[:, :-2], torch.zeros_like(difference[:, :-2]), atol=1e-5, rtol=0)
    gaps = anchored.model.resampler._time_gaps(
        torch.zeros(2, config.num_frames, 1, 1),
        torch.ones(2, config.num_frames, 1, dtype=torch.bool),
        media["video_frame_times"],
        torch.zeros(2, config.num_frames, 1, 1),
        media["audio_window_times"],
        2 * config.num_frames + 1,
    )
    # Frames 0.5 s apart: query 2 (frame 1) is one spacing from frame 0 and from window 0; the null token is untimed.
    assert gaps.shape == (2, config.num_queries, 2 * config.num_frames + 1)
    assert gaps[0, 2, 0] == 1.0 and gaps[0, 2, config.num_frames] == 1.0 and gaps[0, 2, 1] == 0.0
    assert torch.all(gaps[:, :, -1] == 0)


def test_mlp_projector_sends_pooled_mlp_outputs_straight_to_the_llm(model):
    ablated = build_tiny_model(projector_type="mlp")
    dropped = _shared_weights(model, ablated)
    assert all(name.startswith("model.resampler.") and "_mlp." not in name for name in dropped)
    config = ablated.config
    assert config.num_video_tokens == config.num_frames * config.vision_pool_size**2
    assert config.num_audio_tokens == config.num_frames * config.audio_tokens_per_window
    batch = random_batch(config, sound=(True, False))
    media = {k: v for k, v in batch.items() if k not in ("input_ids", "attention_mask")}
    with torch.no_grad():
        visual, audio = ablated.model.get_media_embeddings(**media)
        assert visual.shape == (2, config.num_video_tokens, config.text_config.hidden_size)
        assert audio.shape == (2, config.num_audio_tokens, config.text_config.hidden_size)
        assert torch.count_nonzero(audio[1]) == 0  # the silent video's audio tokens are zero
        frame_features = ablated.model.get_video_features(media["pixel_values_videos"], media["video_frame_mask"])
        frame_times = ablated.model.time_projection(media["video_frame_times"])[:, :, None]
        torch.testing.assert_close(visual, (frame_features + frame_times).flatten(1, 2))
        assert ablated.generate(**batch, max_new_tokens=3, do_sample=False).shape[1] == batch["input_ids"].shape[1] + 3


def test_images_and_audio_only_samples_encode_only_real_frames(model):
    batch = random_batch(model.config, frames=(1, 0))  # an image, and audio alone
    calls = []
    hook = model.model.vision_tower.register_forward_hook(lambda m, args, out: calls.append(args[0].shape[0]))
    try:
        with torch.no_grad():
            logits = model(**batch).logits
            noisy = model(**dict(batch, pixel_values_videos=torch.randn_like(batch["pixel_values_videos"]))).logits
    finally:
        hook.remove()
    assert calls == [1, 1]
    torch.testing.assert_close(noisy[1], logits[1])  # no frame of the audio-only sample is looked at
    assert not torch.allclose(noisy[0], logits[0])


def test_bfloat16_forward(model):
    bf16 = build_tiny_model().to(torch.bfloat16)
    batch = random_batch(model.config)
    batch["pixel_values_videos"] = batch["pixel_values_videos"].bfloat16()
    with torch.no_grad():
        logits = bf16(**batch).logits
    assert logits.dtype == torch.bfloat16 and torch.isfinite(logits).all()
