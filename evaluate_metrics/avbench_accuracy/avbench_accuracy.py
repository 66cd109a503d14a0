"""AVBench accuracy as an ``evaluate`` metric: free-form model answers in, accuracy with its breakdowns out.

The rules that read a letter out of an answer live in ``answer_extraction.py`` and the aggregation in
``scoring.py``; ``evaluate.load`` copies both next to this script (it copies the files of relative imports),
and the eval runner and the lmms-eval task import the same two modules, so every tool scores alike.
"""

import datasets
import evaluate

from .answer_extraction import RULES
from .scoring import DURATION_BUCKETS, score_answers

_CITATION = """\
@misc{li2024savenvid,
  title  = {{SAVEn-Vid}: Synergistic Audio-Visual Integration for Enhanced Understanding in Long Video Context},
  author = {Li, Jungang and Tao, Sicheng and Yan, Yibo and Gu, Xiaojie and Xu, Haodong and Zheng, Xu and
            Lyu, Yuanhuiyi and Zhang, Linfeng and Hu, Xuming},
  year   = {2024},
}
"""

_DESCRIPTION = """\
Accuracy on AVBench-style multiple-choice questions (and on any benchmark converted to the AVBench record
format) from free-form model outputs. Each output is turned into an option letter by documented extraction
rules that accept the forms models really write and refuse ambiguous answers; refused answers count as wrong
and are reported as the invalid rate. Accuracy comes with a Wilson 95% interval and, on request, per question
type and per video-duration bucket.
"""

_BUCKETS = ", ".join(
    f"{name} ({low:g}-{high:g} s)" if high != float("inf") else f"{name} (>= {low:g} s)"
    for name, low, high in DURATION_BUCKETS
)
_RULES = "\n".join(f"        {index}. {name}: {text}" for index, (name, text) in enumerate(RULES, start=1))

_KWARGS_DESCRIPTION = f"""
Args:
    predictions (list of str): the model's raw answers, e.g. "The answer is (C).".
    references (list of str): the correct letters, "A" to "D".
    options (list of list of str, optional): each question's option texts, so that an answer written as the
        text of an option is understood and letters beyond the number of options are refused.
    question_types (list of str, optional): a label per question (AVBench: no_timestamp,
        timestamp_in_question, choose_time_range); adds `per_question_type`.
    durations (list of float or None, optional): video length in seconds; adds `per_duration` with the
        buckets {_BUCKETS}. None means unknown: counted overall, in no bucket.
Returns:
    accuracy (float): correct / all questions, 0 to 1 (invalid answers count as wrong).
    accuracy_ci95 (list of 2 floats): Wilson score 95% interval of the accuracy.
    num_questions, num_correct (int).
    invalid_rate (float): share of answers from which no letter could be read.
    per_question_type, per_duration (dict, when asked): the same fields for each group.
Extraction rules, tried in order:
{_RULES}
Examples:
    >>> metric = evaluate.load("evaluate_metrics/avbench_accuracy")
    >>> result = metric.compute(predictions=["The answer is (C).", "B", "A or B"], references=["C", "A", "A"])
    >>> round(result["accuracy"], 4), round(result["invalid_rate"], 4)
    (0.3333, 0.3333)
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class AVBenchAccuracy(evaluate.Metric):
    """Multiple-choice accuracy from free-form answers, with refusal of ambiguous answers."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions, references, options=None, question_types=None, durations=None):
        return score_answers(
            predictions,
            references,
            options=options,
            question_types=question_types,
            durations=durations,
        )
