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
    sequences = recall.recall_batch(setting, 64, torch.Generator().manual_seed(0))
    assert sequences.shape == (64, 2 * 4 + 1 + 1 + 3 + 1)
    for row in sequences.tolist():
        pairs = dict(zip(row[0:8:2], row[1:8:2]))
        assert len(pairs) == 4 and row[8] == recall.SEPARATOR and row[10:13] == [recall.FILLER] * 3
        assert row[-1] == pairs[row[9]]


def test_a_short_run_reports_its_curve_and_the_chance_level():
    run = recall.train(recall.Setting(learning_rate=1e-3, gap=0, pairs=2), steps=20, eval_every=10)
    assert run["chance"] == 0.5 and [step for step, _ in run["curve"]] == [10, 20]
    assert 0.0 <= run["final_accuracy"] <= 1.0 and run["final_accuracy"] == run["curve"][-1][1]
