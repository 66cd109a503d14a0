"""The eval runner: a tiny SAVEnVideo answers a 5-question AVBench folder built from synthetic clips.

One question's video is garbage (it must be counted and scored invalid, not stop the run). A run interrupted
after two answers and resumed must write the same results as an uninterrupted one.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from savenvideo import cli
from savenvideo.dataset_scripts.avbench_errors import DatasetFolderError, PredictionLogError, UnsafeVideoPathError
from savenvideo.dataset_scripts.avbench_eval import EvalConfig, format_table, predictions_path, run_eval
from savenvideo.dataset_scripts.avbench_records import AVBenchRecord
from savenvideo.dataset_scripts.eval_models import ModelConfig, load_model
from savenvideo.dataset_scripts.eval_prompt import INSTRUCTIONS, question_prompt, user_message
from savenvideo.dataset_scripts.eval_sources import load_eval_dataset
from savenvideo.dataset_scripts.hub_dataset import write_dataset_folder
from savenvideo.dataset_scripts.prediction_log import PredictionLog, read_predictions

QUESTIONS = [
    ("q0", "videos/a.mp4", 2.0, "no_timestamp", "Which colour shows while the tone plays?", 4, "A"),
    ("q1", "videos/a.mp4", 2.0, "timestamp_in_question", "What is heard at 00:01?", 4, "B"),
    ("q2", "videos/silent.mp4", 3.0, "choose_time_range", "When is the screen blue?", 3, "C"),
    ("q3", "videos/broken.mp4", 200.0, "no_timestamp", "What happens?", 2, "A"),
    ("q4", "videos/silent.mp4", 3.0, "no_timestamp", "Is anything heard?", 2, "B"),
]
BROKEN = "q3"


def _record(question_id, video, duration, question_type, question, num_options, answer):
    options = ("0-1 s", "1-2 s", "2-3 s") if question_type == "choose_time_range" else ("red", "green", "blue", "no")
    return AVBenchRecord(
        video_id=Path(video).stem,
        video=video,
        duration=duration,
        source="synthetic",
        question_id=question_id,
        question=question,
        options=options[:num_options],
        answer=answer,
        question_type=question_type,
    )


@pytest.fixture(scope="module")
def bench(tmp_path_factory, synthetic_clip):
    broken = tmp_path_factory.mktemp("media") / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"not a video" * 40)
    media = {
        "videos/a.mp4": synthetic_clip(seconds=2.0, seed=0, size=(64, 64), fps=10)[0],
        "videos/silent.mp4": synthetic_clip(seconds=3.0, seed=1, size=(64, 64), fps=10, audio=False)[0],
        "videos/broken.mp4": broken,
    }
    records = [_record(*question) for question in QUESTIONS]
    return write_dataset_folder(records, tmp_path_factory.mktemp("bench") / "avbench", copy_media_from=media)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from savenvideo.train.tiny_checkpoint import build_tiny_checkpoint

    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny") / "savenvideo")


def _config(checkpoint, bench, out, **model_settings):
    settings = {"max_new_tokens": 4, **model_settings}
    batch_size = settings.pop("batch_size", 2)
    limit = settings.pop("limit", None)
    model = ModelConfig(model=str(checkpoint), **settings)
    return EvalConfig(model, str(bench), Path(out), batch_size=batch_size, limit=limit, progress=False)


def _spy(model):
    """Record the keyword arguments of every ``generate`` call of a loaded model."""
    calls, generate = [], model.model.generate

    def recording(**kwargs):
        calls.append(kwargs)
        return generate(**kwargs)

    model.model.generate = recording
    return calls


@pytest.fixture(scope="module")
def full_run(checkpoint, bench, tmp_path_factory):
    config = _config(checkpoint, bench, tmp_path_factory.mktemp("full") / "results.json")
    model = load_model(config.model)
    calls = _spy(model)
    return config, run_eval(config, model), calls


def test_prompt_letters_the_options_once():
    prompt = question_prompt(" What is heard? ", ["a bell", "B. a drum", "(C) a flute"])
    assert prompt == f"What is heard?\nA. a bell\nB. a drum\nC. a flute\n{INSTRUCTIONS['letter']}"
    assert user_message("hi", Path("v.mp4"))["content"] == [
        {"type": "video", "path": "v.mp4"},
        {"type": "text", "text": "hi"},
    ]
    assert user_message("hi")["content"] == [{"type": "text", "text": "hi"}]


def test_full_run_scores_every_question_and_counts_the_broken_video(full_run):
    config, results, calls = full_run
    assert results["metrics"]["num_questions"] == len(QUESTIONS)
    assert results["num_errors"] == 1
    assert [error["question_id"] for error in results["errors"]] == [BROKEN]
    assert "VideoDecodeError" in results["errors"][0]["error"]
    assert set(results["metrics"]["per_question_type"]) == {
        "no_timestamp",
        "timestamp_in_question",
        "choose_time_range",
    }
    assert results["metrics"]["per_duration"]["medium"]["num_questions"] == 1  # the broken one, 200 s
    assert results["metrics"]["per_duration"]["medium"]["invalid_rate"] == 1.0
    assert json.loads(config.out.read_text()) == results
    logged = {p["question_id"]: p for p in read_predictions(predictions_path(config.out))}
    assert logged[BROKEN]["prediction"] is None
    assert all(isinstance(logged[q[0]]["prediction"], str) for q in QUESTIONS if q[0] != BROKEN)
    # Greedy, left-padded batches; the clip with sound reaches the model with audio windows.
    assert all(call["do_sample"] is False and call["num_beams"] == 1 for call in calls)
    assert any(bool(call["audio_window_mask"].any()) for call in calls)
    assert all(bool((call["attention_mask"][:, -1] == 1).all()) for call in calls)
    assert "all questions" in format_table(results)


class Interrupted(Exception):
    pass


def test_interrupted_run_resumes_to_the_same_results(full_run, checkpoint, bench, tmp_path, monkeypatch):
    full_config, full_results, _ = full_run
    config = _config(checkpoint, bench, tmp_path / "results.json", batch_size=1)
    append, written = PredictionLog.append, []

    def append_then_die(log, prediction):
        if len(written) == 2:
            raise Interrupted
        append(log, prediction)
        written.append(prediction["question_id"])

    monkeypatch.setattr(PredictionLog, "append", append_then_die)
    with pytest.raises(Interrupted):
        run_eval(config)
    monkeypatch.setattr(PredictionLog, "append", append)
    assert len(read_predictions(config.predictions_path)) == 2 and not config.out.exists()

    assert run_eval(config) == full_results  # batch size is not a setting: 1 and 2 give the same answers
    resumed = sorted(read_predictions(config.predictions_path), key=lambda p: p["question_id"])
    uninterrupted = sorted(read_predictions(full_config.predictions_path), key=lambda p: p["question_id"])
    assert resumed == uninterrupted


@pytest.mark.slow
def test_killed_process_resumes_to_the_same_results(full_run, checkpoint, bench, tmp_path):
    full_config, full_results, _ = full_run
    out = tmp_path / "results.json"
    command = [sys.executable, "-m", "savenvideo.cli", "eval", "--model", str(checkpoint), "--dataset", str(bench)]
    command += ["--out", str(out), "--max-new-tokens", "4", "--batch-size", "1", "--no-progress"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = predictions_path(out)
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if log.exists() and log.read_bytes().count(b"\n") >= 1:
            os.kill(process.pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert 1 <= len(read_predictions(log)) < len(QUESTIONS)
    assert subprocess.run(command, capture_output=True).returncode == 0
    assert json.loads(out.read_text()) == full_results


def test_resuming_with_other_settings_is_refused(full_run, checkpoint, bench):
    config, _, _ = full_run
    with pytest.raises(PredictionLogError, match="other settings"):
        run_eval(_config(checkpoint, bench, config.out, no_audio=True))


def test_no_audio_withholds_the_audio_track(checkpoint, bench, tmp_path):
    config = _config(checkpoint, bench, tmp_path / "results.json", no_audio=True)
    model = load_model(config.model)
    calls = _spy(model)
    results = run_eval(config, model)
    assert results["settings"]["model"]["no_audio"] is True
    assert results["metrics"]["num_questions"] == len(QUESTIONS) and results["num_errors"] == 1
    assert calls and not any(bool(call["audio_window_mask"].any()) for call in calls)
    assert not any(bool(call["audio_feature_mask"].any()) for call in calls)


def test_blind_savenvideo_reads_text_only(checkpoint, bench, tmp_path):
    config = _config(checkpoint, bench, tmp_path / "results.json", blind=True)
    model = load_model(config.model)
    calls = _spy(model)
    results = run_eval(config, model)
    assert results["num_errors"] == 0  # no video is opened, not even the broken one
    video_token = model.processor.video_token_id
    assert all(
        set(call) == {"input_ids", "attention_mask", "max_new_tokens", "do_sample", "num_beams", "pad_token_id"}
        for call in calls
    )
    assert not any(bool((call["input_ids"] == video_token).any()) for call in calls)


def test_blind_plain_causal_lm(bench, tmp_path):
    from savenvideo.dataset_scripts.engine_tiny_models import build_tiny_qwen2

    folder = build_tiny_qwen2(tmp_path / "qwen2")
    with pytest.raises(ValueError, match="only run --blind"):
        load_model(ModelConfig(model=str(folder)))
    config = EvalConfig(
        ModelConfig(model=str(folder), blind=True, max_new_tokens=4), str(bench), tmp_path / "r.json", progress=False
    )
    results = run_eval(config)
    assert results["metrics"]["num_questions"] == len(QUESTIONS) and results["num_errors"] == 0


def test_cli_limit(checkpoint, bench, tmp_path, capsys):
    out = tmp_path / "limited.json"
    argv = ["eval", "--model", str(checkpoint), "--dataset", str(bench), "--out", str(out), "--limit", "2"]
    assert cli.main([*argv, "--max-new-tokens", "2", "--no-progress"]) == 0
    assert "all questions" in capsys.readouterr().out
    assert json.loads(out.read_text())["metrics"]["num_questions"] == 2
    assert [p["question_id"] for p in read_predictions(predictions_path(out))] == ["q0", "q1"]
    assert cli.main([*argv, "--max-new-tokens", "2", "--blind"]) == 2
    assert "other settings" in capsys.readouterr().err


class ScriptedModel:
    """A stand-in model: answers right (as the models do: "The answer is (X).") and cannot read 'broken' videos."""

    media_errors = (OSError,)

    def __init__(self, config, answers):
        self.config, self.answers, self.batches = config, answers, []

    def inputs(self, questions):
        for question in questions:
            if question.video is not None and "broken" in question.video.name:
                raise OSError(f"cannot decode {question.video}")
        self.batches.append(len(questions))
        return questions

    def generate(self, questions):
        return [f"The answer is ({self.answers[question.prompt.splitlines()[0]]})." for question in questions]


def test_scores_with_a_scripted_model(bench, tmp_path):
    answers = {question: answer for _, _, _, _, question, _, answer in QUESTIONS}
    config = EvalConfig(ModelConfig(model="scripted"), str(bench), tmp_path / "r.json", batch_size=4, progress=False)
    model = ScriptedModel(config.model, answers)
    metrics = run_eval(config, model)["metrics"]
    assert metrics["num_correct"] == 4 and metrics["invalid_rate"] == pytest.approx(1 / 5)
    assert metrics["per_question_type"]["choose_time_range"]["accuracy"] == 1.0
    # The batch holding the broken video failed to load; its other three questions were asked one by one.
    assert model.batches == [1, 1, 1, 1]


def test_video_link_out_of_the_dataset_is_an_error_not_a_read(bench, tmp_path):
    folder = tmp_path / "linked"
    outside = tmp_path / "secret.mp4"
    outside.write_bytes(b"secret")
    record = _record("q0", "videos/link.mp4", 2.0, "no_timestamp", "What?", 2, "A")
    write_dataset_folder([record], folder)
    (folder / "videos").mkdir()
    (folder / "videos" / "link.mp4").symlink_to(outside)
    config = EvalConfig(ModelConfig(model="scripted"), str(folder), tmp_path / "r.json", progress=False)
    model = ScriptedModel(config.model, {})
    results = run_eval(config, model)
    assert results["num_errors"] == 1 and "outside the dataset root" in results["errors"][0]["error"]
    assert model.batches == []


def test_dataset_sources(bench, monkeypatch, tmp_path):
    with pytest.raises(DatasetFolderError, match="split 'test'"):
        load_eval_dataset(str(bench), split="train")
    with pytest.raises(DatasetFolderError, match="neither"):
        load_eval_dataset(str(tmp_path / "missing"))

    import datasets
    import huggingface_hub

    rows = [_record(*question).to_qa_row() for question in QUESTIONS]
    monkeypatch.setattr(datasets, "load_dataset", lambda name, config, split, revision: rows)
    fetched = []
    monkeypatch.setattr(
        huggingface_hub, "hf_hub_download", lambda repo, file, **kw: fetched.append((repo, file, kw)) or f"/c/{file}"
    )
    dataset = load_eval_dataset("someone/avbench")
    assert [record.question_id for record in dataset.records] == [q[0] for q in QUESTIONS]
    assert dataset.video_path(dataset.records[0]) == Path("/c/videos/a.mp4")
    assert fetched == [("someone/avbench", "videos/a.mp4", {"repo_type": "dataset", "revision": None})]
    monkeypatch.setattr(datasets, "load_dataset", lambda name, config, split, revision: rows + rows[:1])
    with pytest.raises(DatasetFolderError, match="question_id repeated: q0"):
        load_eval_dataset("someone/avbench")
    escaping = _record("qx", "videos/a.mp4", 2.0, "no_timestamp", "What?", 2, "A")
    object.__setattr__(escaping, "video", "../../etc/passwd")
    with pytest.raises(UnsafeVideoPathError):
        dataset.video_path(escaping)


def test_any_to_any_video_model(bench, tmp_path):
    from savenvideo.dataset_scripts.engine_tiny_models import build_tiny_qwen2_vl

    folder = build_tiny_qwen2_vl(tmp_path / "qwen2_vl")
    model = ModelConfig(model=str(folder), model_type="any-to-any", num_frames=4, max_new_tokens=4)
    results = run_eval(EvalConfig(model, str(bench), tmp_path / "r.json", batch_size=2, progress=False))
    assert results["metrics"]["num_questions"] == len(QUESTIONS)
    assert [error["question_id"] for error in results["errors"]] == [BROKEN]


def _choice_log_likelihood(model, question, choice):
    """Log-likelihood of one choice after its prompt, one unpadded sequence: the reference for batched scoring."""
    import torch

    inputs = model.inputs([question])
    end = model.model.generation_config.eos_token_id
    ids = model.tokenizer.encode(choice, add_special_tokens=False) + [end[0] if isinstance(end, list) else end]
    prompt = inputs["input_ids"][:, inputs["attention_mask"][0].bool()]
    full = torch.cat([prompt, torch.tensor([ids])], dim=1)
    batch = {k: v for k, v in inputs.items() if k not in ("input_ids", "attention_mask")}
    with torch.inference_mode():
        logits = model.model(input_ids=full, attention_mask=torch.ones_like(full), **batch).logits[0].float()
    logp = logits[prompt.shape[1] - 1 : -1].log_softmax(-1)
    return float(logp[torch.arange(len(ids)), torch.tensor(ids)].sum())


@pytest.mark.parametrize("answer_with", ["letter", "option"])
def test_likelihood_scoring_matches_one_sequence_per_choice(checkpoint, bench, tmp_path, answer_with):
    from savenvideo.dataset_scripts.avbench_eval import SCORINGS  # noqa: F401  (the flag exists)
    from savenvideo.dataset_scripts.eval_models import Question
    from savenvideo.dataset_scripts.eval_prompt import expected_answer

    model = load_model(ModelConfig(model=str(checkpoint)))
    records = [r for r in load_eval_dataset(str(bench), "test").records if r.question_id in ("q0", "q2")]
    dataset = load_eval_dataset(str(bench), "test")
    questions = [
        Question(
            question_prompt(r.question, r.options, answer_with),
            dataset.video_path(r),
            tuple(expected_answer(letter, r.options, answer_with) for letter in "ABCD"[: len(r.options)]),
        )
        for r in records
    ]
    batched = model.choose(model.inputs(questions), questions)  # 4 + 3 choices of different lengths, padded
    assert [len(scores) for scores in batched] == [4, 3]
    for question, scores in zip(questions, batched):
        reference = [_choice_log_likelihood(model, question, choice) for choice in question.choices]
        assert scores == pytest.approx(reference, abs=1e-3)

    config = EvalConfig(
        ModelConfig(model=str(checkpoint)),
        str(bench),
        tmp_path / "r.json",
        batch_size=3,
        progress=False,
        answer_with=answer_with,
        scoring="likelihood",
    )
    results = run_eval(config, model)
    logged = {p["question_id"]: p for p in read_predictions(predictions_path(tmp_path / "r.json"))}
    for record, scores in zip(records, batched):
        expected = "ABCD"[max(range(len(scores)), key=scores.__getitem__)]
        assert logged[record.question_id]["prediction"] == expected
        assert logged[record.question_id]["choice_log_likelihoods"] == pytest.approx(scores, abs=1e-3)
    assert results["metrics"]["invalid_rate"] == pytest.approx(1 / len(QUESTIONS))  # only the broken video
    assert results["settings"]["prompt"] == {"answer_with": answer_with, "scoring": "likelihood"}


def test_option_prompt_and_expected_answer():
    from savenvideo.dataset_scripts.eval_prompt import expected_answer

    prompt = question_prompt("Which?", ["(A) red square", "blue circle"], "option")
    assert prompt == f"Which?\nA. red square\nB. blue circle\n{INSTRUCTIONS['option']}"
    assert expected_answer("a", ["(A) red square", "blue circle"], "option") == "red square"
    assert expected_answer("B", ["red square", "blue circle"], "letter") == "B"
    with pytest.raises(ValueError, match="answer_with"):
        question_prompt("Which?", ["x", "y"], "number")


def test_likelihood_scoring_is_refused_for_any_to_any_models():
    from savenvideo.dataset_scripts.eval_models import AnyToAnyEvalModel

    model = AnyToAnyEvalModel.__new__(AnyToAnyEvalModel)
    model.config = ModelConfig(model="some/video-llm")
    with pytest.raises(NotImplementedError, match="--scoring generate"):
        model.choose({}, [])
