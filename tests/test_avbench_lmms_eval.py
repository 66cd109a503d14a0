"""The lmms-eval AVBench task: its hooks score exactly like the avbench_accuracy metric.

The hooks are imported by file path, as lmms-eval itself imports a task's utils.py, so this runs without
lmms-eval; only the check that lmms-eval's TaskManager finds the task needs lmms-eval installed.
"""

import importlib.util
from pathlib import Path

import pytest

from savenvideo.dataset_scripts.avbench_errors import UnsafeVideoPathError
from savenvideo.evaluate_metrics.avbench_accuracy.scoring import score_answers

TASK_DIR = Path(__file__).resolve().parents[1] / "evaluate_metrics" / "lmms_eval_avbench"

DOCS = [
    {
        "video_id": f"v{index // 2}",
        "video": f"videos/v{index // 2}.mp4",
        "duration": [50.0, 300.0, 2000.0, None][index // 2],
        "source": "FineVideo",
        "question_id": f"q{index}",
        "question": f"What sound follows the door closing? ({index})",
        "options": ["A bell", "A dog barking", "Footsteps", "Thunder"] if index % 4 else ["yes", "no"],
        "answer": "ABCDABAB"[index],
        "question_type": ["no_timestamp", "timestamp_in_question", "choose_time_range"][index % 3],
        "category": None,
    }
    for index in range(8)
]
OUTPUTS = [
    "A",
    "The answer is (B).",
    "Footsteps",
    "A or D",
    "no",
    "I choose C",
    "**A**",
    "Thunder",
]


@pytest.fixture
def utils(monkeypatch, tmp_path):
    monkeypatch.setenv("AVBENCH_ROOT", str(tmp_path))
    spec = importlib.util.spec_from_file_location("utils", TASK_DIR / "utils.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_process_results_and_aggregation_equal_the_metric(utils):
    entries = [utils.avbench_process_results(doc, [output]) for doc, output in zip(DOCS, OUTPUTS)]
    accuracy = utils.avbench_aggregate_accuracy([entry["avbench_accuracy"] for entry in entries])
    invalid = utils.avbench_aggregate_invalid_rate([entry["avbench_invalid_rate"] for entry in entries])

    expected = score_answers(
        OUTPUTS,
        [doc["answer"] for doc in DOCS],
        options=[doc["options"] for doc in DOCS],
        question_types=[doc["question_type"] for doc in DOCS],
        durations=[doc["duration"] for doc in DOCS],
    )
    assert (accuracy, invalid) == (expected["accuracy"], expected["invalid_rate"])
    # extracted: A B C - B C A D against A B C D A B A B -> correct q0 q1 q2 q6 = 4 of 8; "A or D" refused
    assert (accuracy, invalid) == (4 / 8, 1 / 8)
    assert entries[3]["avbench_accuracy"]["rule"] == "hedged"


def test_metric_loaded_with_evaluate_agrees(utils, monkeypatch, tmp_path):
    import evaluate

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    metric = evaluate.load(str(TASK_DIR.parent / "avbench_accuracy"), cache_dir=str(tmp_path / "metric"))
    result = metric.compute(
        predictions=OUTPUTS, references=[doc["answer"] for doc in DOCS], options=[doc["options"] for doc in DOCS]
    )
    entries = [utils.avbench_process_results(doc, [output])["avbench_accuracy"] for doc, output in zip(DOCS, OUTPUTS)]
    assert utils.avbench_aggregate_accuracy(entries) == result["accuracy"]


def test_prompt_and_video_path(utils, tmp_path):
    text = utils.avbench_doc_to_text(DOCS[1], {"pre_prompt": "", "post_prompt": "Answer with the letter."})
    assert text == (
        "What sound follows the door closing? (1)\nA. A bell\nB. A dog barking\nC. Footsteps\nD. Thunder\n"
        "Answer with the letter."
    )
    assert utils.avbench_doc_to_visual(DOCS[0]) == [str((tmp_path / "videos" / "v0.mp4").resolve())]
    with pytest.raises(UnsafeVideoPathError, match="question q0: video path"):
        utils.avbench_doc_to_visual(dict(DOCS[0], video="../../etc/passwd"))


def test_lmms_eval_task_manager_finds_the_task():
    lmms_tasks = pytest.importorskip(
        "lmms_eval.tasks",
        reason="lmms-eval is not installed here (0.7.3 pins av<16, the project pins av 18); see the task README",
    )
    manager = lmms_tasks.TaskManager(include_path=str(TASK_DIR), include_defaults=False)
    assert "avbench" in manager.all_tasks
