"""`savenvideo eval --model DIR --dataset DIR --out results.json`: multiple-choice accuracy on an AVBench-format set."""

import sys
from pathlib import Path

from savenvideo.dataset_scripts.eval_models import MODEL_TYPES

NAME = "eval"
HELP = (
    "Answer every question of an AVBench-format benchmark with greedy decoding and score it; a killed run resumes "
    "from its predictions log (OUT with the suffix .predictions.jsonl)."
)


def add_arguments(parser):
    parser.add_argument("--model", required=True, help="checkpoint folder or Hub id")
    parser.add_argument("--dataset", required=True, help="dataset folder (write_dataset_folder) or Hub dataset id")
    parser.add_argument("--out", type=Path, required=True, help="results JSON to write")
    parser.add_argument("--split", default="test", help="split of the questions (default: test, AVBench's)")
    parser.add_argument("--dataset-config", default=None, help="dataset config (SAVEn-Vid's questions: qa)")
    parser.add_argument("--dataset-revision", default=None, help="Hub dataset branch, tag or commit to evaluate on")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--batch-size", type=int, default=1, help="questions per generate call (left-padded)")
    parser.add_argument("--no-audio", action="store_true", help="ablation: withhold the audio track")
    parser.add_argument("--blind", action="store_true", help="leakage baseline: question and options, no video")
    parser.add_argument(
        "--model-type",
        choices=MODEL_TYPES,
        default="auto",
        help="how to run the model (default: from its config.json; causal-lm only with --blind)",
    )
    parser.add_argument(
        "--answer-with",
        default="letter",
        choices=("letter", "option"),
        help="what the prompt asks for: the option's letter (the paper's), or its text (for small models)",
    )
    parser.add_argument(
        "--scoring",
        default="generate",
        choices=("generate", "likelihood"),
        help="generate greedily and extract the answer, or pick the option whose answer is most likely",
    )
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--num-frames", type=int, default=None, help="frames per video (default: the processor's)")
    parser.add_argument("--dtype", default="auto", choices=("auto", "bfloat16", "float16", "float32"))
    parser.add_argument("--device", default=None, help="e.g. cuda, cuda:1 or cpu (default: cuda if available)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args) -> int:
    from savenvideo.dataset_scripts.avbench_eval import format_table, run_eval

    try:
        config = _config(args)
        results = run_eval(config)
    except ValueError as error:  # bad data, a refused resume, a text-only model without --blind, bad settings
        print(f"savenvideo eval: error: {error}", file=sys.stderr)
        return 2
    print(format_table(results))
    print(f"results: {config.out}\npredictions: {config.predictions_path}")
    answered = results["metrics"]["num_questions"] - results["num_errors"]
    return 0 if answered > 0 else 1


def _config(args):
    from savenvideo.dataset_scripts.avbench_eval import EvalConfig
    from savenvideo.dataset_scripts.eval_models import ModelConfig

    model = ModelConfig(
        model=args.model,
        model_type=args.model_type,
        blind=args.blind,
        no_audio=args.no_audio,
        max_new_tokens=args.max_new_tokens,
        num_frames=args.num_frames,
        device=args.device,
        dtype=args.dtype,
    )
    return EvalConfig(
        model=model,
        dataset=args.dataset,
        out=args.out,
        split=args.split,
        dataset_config=args.dataset_config,
        dataset_revision=args.dataset_revision,
        limit=args.limit,
        batch_size=args.batch_size,
        answer_with=args.answer_with,
        scoring=args.scoring,
        progress=not args.no_progress,
    )
