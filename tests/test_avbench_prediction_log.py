"""The resumable predictions log: durable appends, resume by question id, a kill's half line cut off."""

import json
import os
import subprocess
import sys

import pytest

from savenvideo.dataset_scripts.avbench_errors import PredictionLogError
from savenvideo.dataset_scripts.prediction_log import PredictionLog, read_predictions


def prediction(qid, text="The answer is (B)."):
    return {"question_id": qid, "prediction": text, "model": "tiny"}


def test_append_then_resume_skips_answered_questions(tmp_path):
    path = tmp_path / "runs" / "preds.jsonl"
    with PredictionLog(path) as log:
        assert len(log) == 0
        log.append(prediction("q1"))
        log.append(prediction("q2", "Réponse : C"))
    with PredictionLog(path) as log:
        assert log.done == {"q1", "q2"} and "q1" in log and "q3" not in log
        todo = [qid for qid in ("q1", "q2", "q3") if qid not in log]
        for qid in todo:
            log.append(prediction(qid))
    assert [p["question_id"] for p in read_predictions(path)] == ["q1", "q2", "q3"]
    assert read_predictions(path)[1]["prediction"] == "Réponse : C"


def test_each_append_is_on_disk_before_the_next(tmp_path):
    path = tmp_path / "preds.jsonl"
    with PredictionLog(path) as log:
        log.append(prediction("q1"))
        assert read_predictions(path) == [prediction("q1")]  # visible without closing the writer


def test_a_truncated_last_line_is_ignored_and_cut_before_appending(tmp_path):
    path = tmp_path / "preds.jsonl"
    good = json.dumps(prediction("q1")) + "\n"
    path.write_text(good + '{"question_id": "q2", "predic')
    assert [p["question_id"] for p in read_predictions(path)] == ["q1"]
    with PredictionLog(path) as log:
        assert log.done == {"q1"}
        log.append(prediction("q2"))
    assert path.read_text() == good + json.dumps(prediction("q2")) + "\n"


def test_a_last_line_missing_only_its_newline_is_kept(tmp_path):
    path = tmp_path / "preds.jsonl"
    path.write_text(json.dumps(prediction("q1")) + "\n" + json.dumps(prediction("q2")))
    with PredictionLog(path) as log:
        assert log.done == {"q1", "q2"}
        log.append(prediction("q3"))
    assert [p["question_id"] for p in read_predictions(path)] == ["q1", "q2", "q3"]


def test_a_half_written_multibyte_character_is_a_truncation(tmp_path):
    path = tmp_path / "preds.jsonl"
    path.write_bytes(
        (json.dumps(prediction("q1")) + "\n").encode() + '{"question_id": "q2", "prediction": "é'.encode()[:-1]
    )
    assert [p["question_id"] for p in read_predictions(path)] == ["q1"]


def test_damage_before_the_last_line_is_reported_with_its_line(tmp_path):
    path = tmp_path / "preds.jsonl"
    path.write_text(json.dumps(prediction("q1")) + "\n{broken\n" + json.dumps(prediction("q3")) + "\n")
    with pytest.raises(PredictionLogError, match=r"preds.jsonl:2: line is not JSON"):
        PredictionLog(path)
    path.write_text(json.dumps(prediction("q1")) + "\n" + json.dumps(prediction("q1")) + "\n")
    with pytest.raises(PredictionLogError, match=r":2: question_id 'q1' is logged twice"):
        read_predictions(path)
    path.write_text('{"prediction": "A"}\n')
    with pytest.raises(PredictionLogError, match="string question_id"):
        read_predictions(path)


def test_appending_a_duplicate_or_an_id_less_prediction_is_refused(tmp_path):
    with PredictionLog(tmp_path / "preds.jsonl") as log:
        log.append(prediction("q1"))
        with pytest.raises(PredictionLogError, match="already logged"):
            log.append(prediction("q1"))
        with pytest.raises(PredictionLogError, match="needs a string question_id"):
            log.append({"question_id": 3})


def test_survives_a_kill_mid_run(tmp_path):
    """A child process appends forever and is killed; every complete line survives, the log resumes."""
    path = tmp_path / "preds.jsonl"
    script = (
        "import sys\n"
        "from savenvideo.dataset_scripts.prediction_log import PredictionLog\n"
        "log = PredictionLog(sys.argv[1])\n"
        "i = 0\n"
        "while True:\n"
        "    log.append({'question_id': f'q{i}', 'prediction': 'x' * 5000})\n"
        "    i += 1\n"
        "    if i == 20: print('ready', flush=True)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    written = read_predictions(path)
    assert len(written) >= 20
    assert [p["question_id"] for p in written] == [f"q{i}" for i in range(len(written))]
    with PredictionLog(path) as log:
        log.append(prediction("after-kill"))
    assert read_predictions(path)[-1]["question_id"] == "after-kill"
    assert os.path.getsize(path) == sum(len(json.dumps(p)) + 1 for p in read_predictions(path))
