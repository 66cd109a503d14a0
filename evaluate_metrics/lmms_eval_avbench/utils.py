"""lmms-eval hooks of the AVBench task: the prompt, the video path, and scoring by the avbench_accuracy rules.

lmms-eval imports this file by path (no package), so it imports the rules from the installed savenvideo package:
the same ``extract_answer`` and ``score_answers`` as the ``evaluate`` metric and the eval runner.
"""

import logging
import os
from functools import cache
from pathlib import Path

import yaml

from savenvideo.dataset_scripts.avbench_records import LETTERS, resolve_video_path
from savenvideo.evaluate_metrics.avbench_accuracy.answer_extraction import extract_answer
from savenvideo.evaluate_metrics.avbench_accuracy.scoring import score_answers

TASK_YAML = Path(__file__).with_name("avbench.yaml")
logger = logging.getLogger(__name__)


class _TaskLoader(yaml.SafeLoader):
    """Reads the task YAML outside lmms-eval: ``!function`` tags become plain strings."""


_TaskLoader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))


@cache
def dataset_root() -> Path:
    """Where the rows' relative video paths point: $AVBENCH_ROOT, else a local ``dataset_path`` folder, else the
    Hub snapshot of the ``dataset_path`` repo (downloaded once into the Hugging Face cache)."""
    if os.environ.get("AVBENCH_ROOT"):
        return Path(os.environ["AVBENCH_ROOT"])
    dataset_path = yaml.load(TASK_YAML.read_text(encoding="utf-8"), Loader=_TaskLoader)["dataset_path"]
    if Path(dataset_path).is_dir():
        return Path(dataset_path)
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(repo_id=dataset_path, repo_type="dataset"))


def avbench_doc_to_visual(doc):
    return [str(resolve_video_path(doc["video"], dataset_root(), f"question {doc['question_id']}"))]


def avbench_doc_to_text(doc, lmms_eval_specific_kwargs=None):
    kwargs = lmms_eval_specific_kwargs or {}
    options = "\n".join(f"{letter}. {option}" for letter, option in zip(LETTERS, doc["options"]))
    return f"{kwargs.get('pre_prompt', '')}{doc['question']}\n{options}\n{kwargs.get('post_prompt', '')}".rstrip()


def avbench_process_results(doc, results):
    """One entry per metric; both carry what the aggregation needs to rescore the whole set."""
    prediction = results[0]
    extraction = extract_answer(prediction, doc["options"])
    entry = {
        "question_id": doc["question_id"],
        "prediction": prediction,
        "extracted": extraction.letter,
        "rule": extraction.rule,
        "answer": doc["answer"],
        "options": list(doc["options"]),
        "question_type": doc["question_type"],
        "duration": doc["duration"],
    }
    return {"avbench_accuracy": entry, "avbench_invalid_rate": entry}


def _score(results):
    return score_answers(
        [entry["prediction"] for entry in results],
        [entry["answer"] for entry in results],
        options=[entry["options"] for entry in results],
        question_types=[entry["question_type"] for entry in results],
        durations=[entry["duration"] for entry in results],
    )


def avbench_aggregate_accuracy(results):
    """Overall accuracy (0-1); the per-type and per-duration breakdowns go to the log."""
    scored = _score(results)
    for group in ("per_question_type", "per_duration"):
        for name, summary in scored[group].items():
            logger.info("AVBench %s %s: %s of %d", group, name, summary["accuracy"], summary["num_questions"])
    low, high = scored["accuracy_ci95"]
    logger.info("AVBench accuracy %.4f (95%% CI %.4f-%.4f)", scored["accuracy"], low, high)
    return scored["accuracy"]


def avbench_aggregate_invalid_rate(results):
    return _score(results)["invalid_rate"]
