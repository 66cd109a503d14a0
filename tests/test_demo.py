"""`savenvideo demo` end to end at toy size, and the per-clip media memory it trains with."""

import json

import pytest
import torch

from savenvideo.dataset_scripts.synthetic.benchmark_config import BenchmarkConfig
from savenvideo.dataset_scripts.synthetic.benchmark_media_cache import remembered_media
from savenvideo.processing.tiny_tokenizer import build_tiny_tokenizer
from savenvideo.train.assemble import build_processor
from savenvideo.train.demo import DemoConfig, DemoError, run_demo
from savenvideo.train.tiny_checkpoint import tiny_config

TOY = DemoConfig(benchmark=BenchmarkConfig(videos=3, fps=4, questions_per_kind=1), max_steps=2, progress=False)


class _Counting:
    """A feature extractor that counts the clips it is asked for."""

    def __init__(self, extractor):
        self.extractor, self.calls = extractor, []

    def __getattr__(self, name):
        return getattr(self.extractor, name)

    def __call__(self, clips, **kwargs):
        self.calls.append(len(clips))
        return self.extractor(clips, **kwargs)


def test_remembered_media_changes_nothing_but_the_work(synthetic_clip, tmp_path):
    clip, _ = synthetic_clip(seconds=4.0, seed=2)
    processor = build_processor(tiny_config(), build_tiny_tokenizer())
    conversations = [
        [{"role": "user", "content": [{"type": "video", "path": str(clip)}, {"type": "text", "text": text}]}]
        for text in ("What is on screen at 00:01.5?", "Which sound comes first?")
    ]

    def process():
        return processor.apply_chat_template(conversations, tokenize=True, return_dict=True, padding_side="right")

    expected = process()
    with remembered_media(processor):
        counting = _Counting(processor.feature_extractor._extractor)
        processor.feature_extractor._extractor = counting
        first, second = process(), process()
    for batch in (first, second):
        assert batch.keys() == expected.keys()
        for key in expected:
            torch.testing.assert_close(batch[key], expected[key], rtol=0, atol=0)
    assert counting.calls == [processor.num_frames]  # each distinct window's filterbank, computed once
    assert type(processor.feature_extractor).__name__ == "BeatsFeatureExtractor"
    assert "_load_media" not in vars(processor)
    processor.save_pretrained(tmp_path / "saved")  # restored: it saves as before


def test_demo_runs_end_to_end_and_resumes(tmp_path, capsys):
    out = tmp_path / "demo"
    config = DemoConfig(**{**vars(TOY), "out": out})
    results = run_demo(config)
    saved = json.loads((out / "results.json").read_text())
    assert saved["metrics"]["num_questions"] == len(saved["metrics"]["per_question_type"]) == 3
    assert set(saved["ablations"]) == {"no_audio_input", "blind"}
    assert saved["chance"] == 0.25 and saved == json.loads(json.dumps(results))
    checkpoint = out / "checkpoint"
    for name in ("config.json", "model.safetensors", "processor_config.json", "modeling_savenvideo.py", "README.md"):
        assert (checkpoint / name).is_file(), name
    assert "savenvideo-tiny-synthetic-demo" in (checkpoint / "README.md").read_text()
    assert saved["fresh_clip"]["correct_answer"] in "ABCD"
    assert saved["fresh_clip"]["likelihood_choice"] in "ABCD"
    assert set(saved["captions"]) == {"train_prior", "full", "no_audio_input"}
    assert saved["captions"]["full"]["shots"] == config.benchmark.test_videos * config.benchmark.slots
    assert saved["settings"]["benchmark"] == config.benchmark.to_dict()
    assert "chance" in capsys.readouterr().out

    weights = (checkpoint / "model.safetensors").stat().st_mtime_ns
    again = run_demo(config)  # every step's output is reused
    assert (checkpoint / "model.safetensors").stat().st_mtime_ns == weights
    assert again["metrics"] == results["metrics"]
    with pytest.raises(DemoError, match="other settings"):
        run_demo(DemoConfig(**{**vars(config), "max_steps": 3}))
