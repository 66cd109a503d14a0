"""The AVBench eval runner: ask a model every question of a benchmark, log each answer durably, then score.

Answers go to a predictions log next to the results file (``results.json`` -> ``results.predictions.jsonl``),
one fsynced line per question, so a run that is killed resumes with the next unanswered question. Each line
carries a digest of the settings that change answers (model, dataset, flags); resuming with other settings is
refused rather than mixing two runs in one score. A video that cannot be decoded does not stop the run: the
question is logged with its error, counted, and scored as an invalid answer, so the score stays over the whole
benchmark.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .avbench_errors import PredictionLogError, UnsafeVideoPathError
from .avbench_records import AVBenchRecord
from .eval_models import EvalModel, ModelConfig, Question, best_choice, load_model
from .eval_prompt import ANSWER_STYLES, answer_choices, question_prompt
from .eval_sources import EvalDataset, load_eval_dataset
from .prediction_log import PredictionLog, read_predictions

PREDICTIONS_SUFFIX = ".predictions.jsonl"
SCORINGS = ("generate", "likelihood")


@dataclass(frozen=True)
class EvalConfig:
    """One evaluation run: which model on which questions, and where the results go."""

    model: ModelConfig
    dataset: str
    out: Path
    split: str = "test"
    dataset_config: str | None = None
    dataset_revision: str | None = None
    limit: int | None = None
    batch_size: int = 1
    answer_with: str = "letter"
    """What the prompt asks for: the option's ``letter`` (the paper's) or its text (``option``)."""
    scoring: str = "generate"
    """``generate`` greedily and read the answer with the metric's rules, or pick the option whose answer the model
    finds most ``likelihood``-ly (the prediction logged is then that option's letter, with the scores)."""
    progress: bool = True

    def __post_init__(self):
        if self.answer_with not in ANSWER_STYLES:
            raise ValueError(f"answer_with must be one of {ANSWER_STYLES}, got {self.answer_with!r}")
        if self.scoring not in SCORINGS:
            raise ValueError(f"scoring must be one of {SCORINGS}, got {self.scoring!r}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be at least 1, got {self.limit}")

    @property
    def predictions_path(self) -> Path:
        return predictions_path(self.out)

    def settings(self) -> dict[str, Any]:
        """What decides the answers; written into the results and, as a digest, into every logged prediction."""
        model = {k: v for k, v in asdict(self.model).items() if k != "device"}  # a resumed run may move
        dataset = {"name": self.dataset, "split": self.split, "config": self.dataset_config}
        return {
            "model": model,
            "dataset": {**dataset, "revision": self.dataset_revision},
            "prompt": {"answer_with": self.answer_with, "scoring": self.scoring},
        }


def predictions_path(out: str | os.PathLike) -> Path:
    """The predictions log of a results file: ``results.json`` -> ``results.predictions.jsonl``."""
    out = Path(out)
    return out.with_name(out.stem + PREDICTIONS_SUFFIX)


def settings_digest(settings: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def run_eval(config: EvalConfig, model: EvalModel | None = None) -> dict[str, Any]:
    """Answer every question not yet in the log, score all of them, write ``config.out``; returns the results.

    ``model`` replaces the one ``config.model`` names (tests pass a stand-in).
    """
    dataset = load_eval_dataset(config.dataset, config.split, config.dataset_config, config.dataset_revision)
    records = dataset.records[: config.limit]
    digest = settings_digest(config.settings())
    _check_resumable(config.predictions_path, digest)
    with PredictionLog(config.predictions_path) as log:
        todo = [record for record in records if record.question_id not in log]
        if todo:
            model = model or load_model(config.model)
            _answer_all(model, dataset, todo, log, digest, config, len(records) - len(todo))
    logged = {p["question_id"]: p for p in read_predictions(config.predictions_path)}
    results = score_run(records, [logged[record.question_id] for record in records], config.settings())
    results["predictions_file"] = config.predictions_path.name
    _write_json(config.out, results)
    return results


def _check_resumable(path: Path, digest: str) -> None:
    others = {p.get("settings_digest") for p in read_predictions(path)} - {digest}
    if others:
        raise PredictionLogError(
            path, "was written by a run with other settings (model, dataset or flags); choose another --out"
        )


def _answer_all(
    model: EvalModel,
    dataset: EvalDataset,
    todo: list[AVBenchRecord],
    log: PredictionLog,
    digest: str,
    config: EvalConfig,
    done: int,
) -> None:
    from tqdm.auto import tqdm

    with tqdm(total=done + len(todo), initial=done, unit="question", disable=not config.progress) as bar:
        for start in range(0, len(todo), config.batch_size):
            batch = todo[start : start + config.batch_size]
            answers = _answer_batch(model, dataset, batch, config)
            for record, (answer, error, scores) in zip(batch, answers):
                line = {"question_id": record.question_id, "prediction": answer, "error": error}
                if scores is not None:
                    line["choice_log_likelihoods"] = scores
                log.append({**line, "settings_digest": digest})
            bar.update(len(batch))


Answer = tuple[str | None, str | None, list[float] | None]
"""(answer, None, choice scores or None), or (None, why the video cannot be read, None)."""


def _answer_batch(
    model: EvalModel, dataset: EvalDataset, records: Sequence[AVBenchRecord], config: EvalConfig
) -> list[Answer]:
    results: list[Answer | None] = [None] * len(records)
    asked, questions = [], []
    for index, record in enumerate(records):
        try:
            video = None if config.model.blind else dataset.video_path(record)
        except UnsafeVideoPathError as error:
            results[index] = (None, str(error), None)
            continue
        asked.append(index)
        choices = answer_choices(record.options, config.answer_with) if config.scoring == "likelihood" else ()
        questions.append(
            Question(question_prompt(record.question, record.options, config.answer_with), video, choices)
        )
    for index, result in zip(asked, _ask(model, questions)):
        results[index] = result
    return results


def _ask(model: EvalModel, questions: list[Question]) -> list[Answer]:
    if not questions:
        return []
    try:
        inputs = model.inputs(questions)
    except model.media_errors as error:
        if len(questions) == 1:
            return [(None, f"{type(error).__name__}: {error}", None)]
        # Some video in the batch cannot be read: ask one by one so the others still get answered.
        return [result for question in questions for result in _ask(model, [question])]
    if not questions[0].choices:
        return [(answer, None, None) for answer in model.generate(inputs)]
    scores = model.choose(inputs, questions)
    return [(best_choice(s), None, [round(x, 4) for x in s]) for s in scores]


def score_run(
    records: Sequence[AVBenchRecord], predictions: Sequence[dict[str, Any]], settings: dict[str, Any]
) -> dict[str, Any]:
    """The results file's content: settings, the metric with its breakdowns, and the questions that failed."""
    from savenvideo.evaluate_metrics.avbench_accuracy.scoring import score_answers

    metrics = score_answers(
        [p["prediction"] for p in predictions],
        [record.answer for record in records],
        options=[list(record.options) for record in records],
        question_types=[record.question_type for record in records],
        durations=[record.duration for record in records],
    )
    errors = [
        {"question_id": record.question_id, "video": record.video, "error": p["error"]}
        for record, p in zip(records, predictions)
        if p.get("error")
    ]
    return {"settings": settings, "metrics": metrics, "num_errors": len(errors), "errors": errors}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)


def format_table(results: dict[str, Any]) -> str:
    """The scores as a text table: all questions, each question type, each duration bucket."""
    metrics = results["metrics"]
    rows = [("all questions", metrics)]
    rows += [(name, group) for name, group in metrics.get("per_question_type", {}).items()]
    rows += [(f"duration: {name}", group) for name, group in metrics.get("per_duration", {}).items()]
    width = max(len(name) for name, _ in rows)
    lines = [f"{'group':<{width}}  {'n':>6}  {'accuracy':>8}  {'95% CI':>13}  {'invalid':>7}"]
    for name, group in rows:
        low, high = group["accuracy_ci95"]
        lines.append(
            f"{name:<{width}}  {group['num_questions']:>6}  {_percent(group['accuracy']):>8}  "
            f"{f'{100 * low:.1f}-{100 * high:.1f}%':>13}  {_percent(group['invalid_rate']):>7}"
        )
    lines.append(f"unreadable videos: {results['num_errors']} (scored as invalid answers)")
    lines += [f"  {error['question_id']}: {_shorten(error['error'])}" for error in results["errors"][:3]]
    return "\n".join(lines)


def _shorten(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _percent(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{100 * value:.1f}%"
