"""An offline Qwen2-style tokenizer for tests, the demo and tiny checkpoints.

Nothing can be downloaded at run time, so we train a small byte-level BPE on a built-in corpus and wrap it in
``Qwen2Tokenizer`` with Qwen2's ChatML template and the special tokens SAVEnVideo needs. It behaves like the
real one (byte-level, so any text round-trips) but has a vocabulary of a few hundred tokens.
"""

from __future__ import annotations

import itertools
import json

from transformers import Qwen2Tokenizer

ENDOFTEXT = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
VISION_START = "<|vision_start|>"
VISION_END = "<|vision_end|>"
VIDEO_TOKEN = "<|video_pad|>"
AUDIO_TOKEN = "<|audio_pad|>"
SPECIAL_TOKENS = [ENDOFTEXT, IM_START, IM_END, VISION_START, VISION_END, VIDEO_TOKEN, AUDIO_TOKEN]

# Qwen2-Instruct's ChatML template (text content only; the processor adds media items on top of it).
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}"
    "{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def _training_corpus() -> list[str]:
    """Short English, timestamps and multiple-choice phrasing: what tests and the demo actually write."""
    words = (
        "the a an of to in on at and or is was what which when where who why how video audio sound frame "
        "clip scene screen colour color red green blue yellow white black square circle text card tone chirp "
        "click noise hum beep silence high low pitch question answer option options choose best from between "
        "seconds second minute time interval during while after before first last appears plays shown heard "
        "you are helpful assistant user system describe happens moving left right up down large small"
    ).split()
    sentences = [" ".join(w) for w in itertools.permutations(words[:12], 3)][:400]
    sentences += [f"{w.capitalize()} {v}." for w, v in zip(words, reversed(words))]
    sentences += [
        f"At 00:{m:02d}:{s:02d}.{ms:03d}" for m, s, ms in itertools.product(range(0, 60, 7), range(0, 60, 9), (0, 480))
    ]
    sentences += [f"({c}) option {c}. Answer: {c}" for c in "ABCD"]
    sentences += [str(n) for n in range(200)]
    return sentences


def build_tiny_tokenizer(vocab_size: int = 640) -> Qwen2Tokenizer:
    """Train a byte-level BPE offline and return it as a ``Qwen2Tokenizer`` with ChatML and media tokens."""
    from tokenizers import ByteLevelBPETokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(_training_corpus(), vocab_size=vocab_size, min_frequency=2, show_progress=False)
    trained = json.loads(bpe._tokenizer.to_str())["model"]  # vocab and merges in training order
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in trained["merges"]]
    tokenizer = Qwen2Tokenizer(vocab=trained["vocab"], merges=merges)
    tokenizer.add_special_tokens({"additional_special_tokens": SPECIAL_TOKENS[1:]})
    tokenizer.eos_token = IM_END  # as in Qwen2-Instruct: generation ends with the assistant's turn
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer
