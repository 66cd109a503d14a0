"""The offline tokenizer must behave like Qwen2's: byte-level round trips, ChatML, atomic media tokens."""

from transformers import AutoTokenizer

from savenvideo.processing.tiny_tokenizer import SPECIAL_TOKENS, VIDEO_TOKEN, build_tiny_tokenizer


def test_any_text_round_trips_byte_level():
    tokenizer = build_tiny_tokenizer()
    text = "At 00:03:57.480, which sound? Ünïcödé 🎵 and\ttabs\nnew lines"
    assert tokenizer.decode(tokenizer(text).input_ids) == text


def test_special_tokens_are_single_ids_and_never_split():
    tokenizer = build_tiny_tokenizer()
    ids = tokenizer.convert_tokens_to_ids(SPECIAL_TOKENS)
    assert len(set(ids)) == len(SPECIAL_TOKENS)
    assert tokenizer.unk_token_id not in ids[1:]
    encoded = tokenizer(f"a{VIDEO_TOKEN}{VIDEO_TOKEN}b").input_ids
    assert encoded.count(tokenizer.convert_tokens_to_ids(VIDEO_TOKEN)) == 2


def test_chatml_template_matches_qwen2_layout():
    tokenizer = build_tiny_tokenizer()
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True
    )
    assert rendered == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    )


def test_save_and_reload_gives_identical_ids(tmp_path):
    tokenizer = build_tiny_tokenizer()
    tokenizer.save_pretrained(tmp_path)
    reloaded = AutoTokenizer.from_pretrained(tmp_path)
    text = f"<|im_start|>user\n{VIDEO_TOKEN} What is heard at 1:02?<|im_end|>"
    assert reloaded(text).input_ids == tokenizer(text).input_ids
    assert reloaded.chat_template == tokenizer.chat_template


def test_build_is_deterministic():
    assert build_tiny_tokenizer().get_vocab() == build_tiny_tokenizer().get_vocab()


def test_eos_ends_the_assistant_turn_and_pad_is_endoftext_as_in_qwen2_instruct():
    tokenizer = build_tiny_tokenizer()
    assert tokenizer.eos_token == "<|im_end|>"
    assert tokenizer.pad_token == "<|endoftext|>"


def test_every_word_the_synthetic_benchmark_writes_is_one_token():
    """Labels and question words stay whole, with or without a leading space, as in Qwen2's own vocabulary:
    a model this small must not spend its two layers gluing "fal" + "ling" back together."""
    from savenvideo.dataset_scripts.synthetic.benchmark_captions import CAPTION_REQUEST
    from savenvideo.dataset_scripts.synthetic.benchmark_catalogue import DISTINCT_SOUNDS, FORMS, NAMED_COLOURS

    tokenizer = build_tiny_tokenizer()
    labels = [colour.name for colour in NAMED_COLOURS] + list(FORMS) + [sound.label for sound in DISTINCT_SOUNDS]
    sentences = labels + ["What was on screen when the rising chirp played?", CAPTION_REQUEST]
    for sentence in sentences:
        words = sentence.replace("?", "").replace(",", "").replace(".", "").replace(":", "").split()
        for form in (words[0], *[" " + word for word in words]):
            assert len(tokenizer.encode(form)) == 1, (sentence, form, tokenizer.tokenize(form))
