"""benchmarks/recall.py: the recall sequences hold the answer they claim, and a run reports what it measured."""

import importlib.util
import sys
from pathlib import Path

import torch

SPEC = importlib.util.spec_from_file_location("recall", Path(__file__).parents[1] / "benchmarks" / "recall.py")
recall = sys.modules["recall"] = importlib.util.module_from_spec(SPEC)  # dataclasses look their module up
SPEC.loader.exec_module(recall)


def test_the_label_is_the_value_stored_after_the_query_key():
    setting = recall.Setting(learning_rate=1e-3, gap=3, pairs=4)
    sequences, labels = recall.recall_batch(setting, 64, torch.Generator().manual_seed(0))
    assert sequences.shape == labels.shape == (64, 2 * 4 + 1 + 1 + 3 + 1)
    for row, label in zip(sequences.tolist(), labels.tolist()):
        pairs = dict(zip(row[0:8:2], row[1:8:2]))
        assert len(pairs) == 4 and row[8] == recall.SEPARATOR and row[10:13] == [recall.FILLER] * 3
        assert row[-1] == pairs[row[9]]
        assert label[:-1] == [-100] * 13 and label[-1] == row[-1]


def test_every_query_of_a_sequence_is_labelled_with_its_value():
    setting = recall.Setting(learning_rate=1e-3, gap=2, pairs=3, queries=4)
    sequences, labels = recall.recall_batch(setting, 16, torch.Generator().manual_seed(0))
    context = 2 * 3 + 1
    assert sequences.shape == (16, context + 4 * (1 + 2 + 1))
    for row, label in zip(sequences.tolist(), labels.tolist()):
        pairs = dict(zip(row[0:6:2], row[1:6:2]))
        for question in range(4):
            start = context + 4 * question
            key, fillers, value = row[start], row[start + 1 : start + 3], row[start + 3]
            assert fillers == [recall.FILLER] * 2 and value == pairs[key]
            assert label[start : start + 3] == [-100] * 3 and label[start + 3] == value
        assert label[:context] == [-100] * context


def test_the_torch_init_is_the_scale_it_names():
    hf, torch_scale = recall.tiny_llm(0, "hf"), recall.tiny_llm(0, "torch")
    assert abs(float(hf.get_input_embeddings().weight.detach().std()) - 0.02) < 0.005
    assert abs(float(torch_scale.get_input_embeddings().weight.detach().std()) - 1.0) < 0.1
    q_proj = torch_scale.model.layers[0].self_attn.q_proj.weight.detach()
    assert abs(float(q_proj.std()) - (3 * q_proj.shape[1]) ** -0.5) < 0.01


def test_a_short_run_reports_its_curve_and_the_chance_level():
    run = recall.train(recall.Setting(learning_rate=1e-3, gap=0, pairs=2), steps=20, eval_every=10)
    assert run["chance"] == 0.5 and [step for step, _ in run["curve"]] == [10, 20]
    assert 0.0 <= run["final_accuracy"] <= 1.0 and run["final_accuracy"] == run["curve"][-1][1]
