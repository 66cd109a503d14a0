"""An offline Qwen2-style tokenizer for tests, the demo and tiny checkpoints.

Nothing can be downloaded at run time, so we train a small byte-level BPE on a built-in corpus and wrap it in
``Qwen2Tokenizer`` with Qwen2's ChatML template and the special tokens SAVEnVideo needs. It behaves like the
real one (byte-level, so any text round-trips) but has a vocabulary of a few hundred tokens, in which the words
the tests and the synthetic benchmark write are whole tokens.
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


WORDS = (
    "the a an of to in on at and or is was what which when where who why how video audio sound frame clip scene "
    "screen colour color text card tone noise silence pitch question answer option options choose best from between "
    "seconds second minute time interval during while after before first last appears plays played play shown heard "
    "you are helpful assistant user system describe happens moving left right up down large small nearest each every "
    "shot its order over with this that reply correct only letter What Which When Describe Reply "
    # the synthetic benchmark's colours, forms and sounds (dataset_scripts/synthetic/benchmark_catalogue.py)
    "red green blue yellow cyan magenta orange purple black white gray circle square triangle "
    "low hum buzz high beep whistle rising falling chirp burst slow fast clicks Hz"
).split()
"""Words the tiny model reads and writes. Each becomes one token, with and without a leading space (an answer's
first word follows a newline), so a label is a word or two, as it is for Qwen2's own tokenizer."""
WORD_REPEATS = 4
"""How often each word form appears in the corpus: BPE merges only pairs seen at least twice."""


def _training_corpus() -> list[str]:
    """Short English, timestamps and multiple-choice phrasing: what tests and the demo actually write."""
    words = [word for word in WORDS for _ in range(WORD_REPEATS)]
    sentences = [" ".join(words[start:] + words[:start]) for start in range(0, len(words), len(WORDS) // 3)]
    sentences += words  # the bare forms, as at the start of a line
    sentences += [
        f"At 00:{m:02d}:{s:02d}.{ms:03d}" for m, s, ms in itertools.product(range(0, 60, 7), range(0, 60, 9), (0, 480))
    ]
    sentences += [f"({c}) option {c}. Answer: {c}" for c in "ABCD"]
    sentences += [str(n) for n in range(200)]
    return sentences


def build_tiny_tokenizer(vocab_size: int = 1024) -> Qwen2Tokenizer:
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
