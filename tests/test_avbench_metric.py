"""The avbench_accuracy metric: breakdowns on a hand-computed example, Wilson bounds, and offline evaluate.load."""

import sys
from pathlib import Path

import pytest

from savenvideo.evaluate_metrics.avbench_accuracy.scoring import (
    duration_bucket,
    score_answers,
    wilson_interval,
)

REPO = Path(__file__).resolve().parents[1]
METRIC_DIR = REPO / "evaluate_metrics" / "avbench_accuracy"

# Eight questions, scored by hand:
#   extracted  A  B  D  -  A  C  C  D   ("-" = refused: "A or D")
#   reference  A  B  C  D  A  B  C  D
#   correct    y  y  n  n  y  n  y  y   -> 5 / 8, 1 invalid
PREDICTIONS = ["A", "The answer is (B).", "D", "I think A or D", "(A)", "C", "Answer: c", "The answer is d"]
REFERENCES = ["A", "B", "C", "D", "A", "B", "C", "D"]
TYPES = [
    "no_timestamp",
    "no_timestamp",
    "timestamp_in_question",
    "timestamp_in_question",
    "choose_time_range",
    "choose_time_range",
    "no_timestamp",
    "timestamp_in_question",
]
#   bucket      short medium medium long - short short long
DURATIONS = [30.0, 150.0, 600.0, 1000.0, None, 45.0, 119.9, 900.0]


def test_overall_per_type_and_per_bucket_match_the_hand_count():
    result = score_answers(PREDICTIONS, REFERENCES, question_types=TYPES, durations=DURATIONS)
    assert (result["num_questions"], result["num_correct"]) == (8, 5)
    assert result["accuracy"] == pytest.approx(5 / 8)
    assert result["invalid_rate"] == pytest.approx(1 / 8)

    per_type = result["per_question_type"]
    assert per_type["no_timestamp"]["accuracy"] == pytest.approx(3 / 3)
    assert per_type["timestamp_in_question"]["accuracy"] == pytest.approx(1 / 3)
    assert per_type["timestamp_in_question"]["invalid_rate"] == pytest.approx(1 / 3)
    assert per_type["choose_time_range"]["accuracy"] == pytest.approx(1 / 2)

    per_duration = result["per_duration"]
    assert list(per_duration) == ["short", "medium", "long"]
    assert (per_duration["short"]["num_correct"], per_duration["short"]["num_questions"]) == (2, 3)
    assert (per_duration["medium"]["num_correct"], per_duration["medium"]["num_questions"]) == (1, 2)
    assert (per_duration["long"]["num_correct"], per_duration["long"]["num_questions"]) == (1, 2)
    assert per_duration["long"]["invalid_rate"] == pytest.approx(1 / 2)
    assert sum(group["num_questions"] for group in per_duration.values()) == 7  # the unknown duration is in none


def test_duration_bucket_edges():
    assert [duration_bucket(s) for s in (0, 119.99, 120, 899.9, 900, 7200)] == [
        "short",
        "short",
        "medium",
        "medium",
        "long",
        "long",
    ]
    assert duration_bucket(None) is None
    with pytest.raises(ValueError):
        duration_bucket(-1)


@pytest.mark.parametrize(
    ("correct", "total", "low", "high"),
    [(8, 10, 0.4902, 0.9433), (0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0), (1, 1, 0.2065, 1.0)],
)
def test_wilson_interval_known_values(correct, total, low, high):
    assert wilson_interval(correct, total) == pytest.approx((low, high), abs=5e-5)


def test_interval_is_reported_and_narrows_with_more_questions():
    small = score_answers(["A"] * 8 + ["B"] * 2, ["A"] * 10)
    large = score_answers(["A"] * 80 + ["B"] * 20, ["A"] * 100)
    assert small["accuracy_ci95"] == pytest.approx([0.4902, 0.9433], abs=5e-5)
    assert (
        large["accuracy_ci95"][1] - large["accuracy_ci95"][0]
        < 0.2
        < small["accuracy_ci95"][1] - small["accuracy_ci95"][0]
    )


def test_options_enable_text_answers_and_bound_letters():
    options = [["yes", "no"], ["cat", "dog", "bird", "fish"]]
    result = score_answers(["No, it stops.", "C"], ["B", "C"], options=options)
    assert result["accuracy"] == 1.0
    assert score_answers(["C"], ["A"], options=[["yes", "no"]])["invalid_rate"] == 1.0


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="reference 1"):
        score_answers(["A", "B"], ["A", "E"])
    with pytest.raises(ValueError, match="question_types has 1 entries for 2"):
        score_answers(["A", "B"], ["A", "B"], question_types=["x"])


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_EVALUATE_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def test_metric_loads_with_evaluate_by_relative_and_absolute_path(offline, monkeypatch, tmp_path):
    import evaluate

    monkeypatch.chdir(REPO)
    by_relative = evaluate.load("evaluate_metrics/avbench_accuracy", cache_dir=str(tmp_path / "rel"))
    by_absolute = evaluate.load(str(METRIC_DIR), cache_dir=str(tmp_path / "abs"))

    expected = score_answers(PREDICTIONS, REFERENCES, question_types=TYPES, durations=DURATIONS)
    for metric in (by_relative, by_absolute):
        result = metric.compute(
            predictions=PREDICTIONS, references=REFERENCES, question_types=TYPES, durations=DURATIONS
        )
        assert result == expected
    # evaluate copied the relative imports next to the script it imported
    copied = Path(sys.modules[type(by_relative).__module__].__file__).parent
    assert {"answer_extraction.py", "scoring.py"} <= {p.name for p in copied.iterdir()}


def test_metric_accepts_batches(offline, tmp_path):
    import evaluate

    metric = evaluate.load(str(METRIC_DIR), cache_dir=str(tmp_path))
    metric.add_batch(predictions=PREDICTIONS[:4], references=REFERENCES[:4])
    metric.add_batch(predictions=PREDICTIONS[4:], references=REFERENCES[4:])
    assert metric.compute()["accuracy"] == pytest.approx(5 / 8)
