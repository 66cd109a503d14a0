"""`savenvideo demo`: the whole project on a laptop, offline, in minutes, on a task that can actually be learned.

1. Generate the synthetic audio-visual benchmark (questions that need sound, sight and time; exact answers) with
   timed captions of its training clips.
2. Build a tiny random-weight SAVEnVideo and train every parameter with train/sft.py's trainer, processor and
   collator on captions and questions (the paper aligns on captions first; a random model needs them more).
3. Save it as a Hub-ready checkpoint (weights, processor, remote code, model card).
4. Score it with the AVBench eval runner and metric, with the paper's "w/o audio input" ablation and a blind
   (text-only) run beside it, and answer one question about a fresh clip through ``AutoModel``/``AutoProcessor``.

A model this small cannot learn to tie an option's letter to its text in minutes (multiple-choice symbol binding
comes late even in real language models), so the demo asks for the option's text (``answer_with="option"``) and
scores by likelihood: the option whose text the model finds most probable is its answer.

Every step keeps its output under ``out`` and is skipped when that output is already there, so a second run (or a
run after a crash) only does what is missing. ``out/demo.json`` records the settings; a folder made with other
settings is refused rather than mixed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from savenvideo.dataset_scripts.synthetic.benchmark_config import BenchmarkConfig

RECIPE = Path(__file__).parent / "recipes" / "tiny_demo.yaml"
CHANCE = 0.25
REPO_ID = "savenvid/savenvideo-tiny-synthetic-demo"
DEMO_MODEL = {"num_queries": 10}
"""Settings of the tiny model beyond train/tiny_checkpoint.py's; ``num_frames`` always follows the clips' events
(5 per clip), and 10 queries anchor two at each frame's time."""
ANSWER_WITH = "option"
SCORING = "likelihood"
ABLATIONS = {"full": {}, "no_audio_input": {"no_audio": True}, "blind": {"blind": True}}
"""Evaluations of the trained model: as trained, with the sound withheld (the paper's ablation), and text only."""


class DemoError(ValueError):
    """A demo that cannot run as asked (an output folder made with other settings)."""


@dataclass(frozen=True)
class DemoConfig:
    out: Path = Path("outputs/demo")
    benchmark: BenchmarkConfig = field(default_factory=lambda: BenchmarkConfig(videos=600, fps=4))
    model: dict = field(default_factory=lambda: dict(DEMO_MODEL))
    max_steps: int | None = None
    """Training steps; None keeps the recipe's."""
    benchmark_root: Path | None = None
    """Folder that keeps the benchmark (default: ``out``); runs that share it generate it once."""
    evaluations: tuple[str, ...] = tuple(ABLATIONS)
    """Which of ``ABLATIONS`` to score (``full`` always)."""
    eval_batch_size: int = 16
    threads: int = 1
    """Torch threads: a tiny model gains little from more, and on a busy machine they spin against other work."""
    progress: bool = True

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("progress")
        data["out"] = str(self.out)
        data["benchmark_root"] = None if self.benchmark_root is None else str(self.benchmark_root)
        data["evaluations"] = list(self.evaluations)
        return data


def run_demo(config: DemoConfig, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run (or finish) every step; returns what ``out/results.json`` holds."""
    import torch

    out = Path(config.out)
    _claim(out, config)
    threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        results = _run_steps(config, out, log)
    finally:
        torch.set_num_threads(threads)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    log(format_results(results))
    return results


def _run_steps(config: DemoConfig, out: Path, log: Callable[[str], None]) -> dict[str, Any]:
    from savenvideo.dataset_scripts.synthetic.benchmark_baselines import one_sense_baselines, text_only_baselines
    from savenvideo.dataset_scripts.synthetic.benchmark_builder import build_benchmark, plan_benchmark

    timings: dict[str, float] = {}

    def step(name: str, work: Callable[[], Any]) -> Any:
        log(f"== {name}")
        start = time.perf_counter()
        result = work()
        timings[name] = round(time.perf_counter() - start, 1)
        return result

    folder = Path(config.benchmark_root or out) / f"benchmark-{config.benchmark.fingerprint()}"
    benchmark = step("benchmark", lambda: build_benchmark(folder, config.benchmark, config.progress))
    init = step("tiny model", lambda: _initial_checkpoint(config))
    trained = step("training", lambda: _train(config, folder, init))
    checkpoint = step("export", lambda: _export(init, trained, out / "checkpoint"))
    evaluations = step("evaluation", lambda: _evaluate(config, benchmark, checkpoint))
    captions = step("captions", lambda: _describe_test_clips(config, benchmark, checkpoint))
    fresh = step("fresh clip", lambda: _ask_fresh_clip(config, checkpoint))
    step("model card", lambda: _model_card(checkpoint, evaluations["full"], fresh))
    return {
        "settings": config.to_dict(),
        "chance": CHANCE,
        "metrics": evaluations["full"],
        "ablations": {name: evaluations[name] for name in evaluations if name != "full"},
        "captions": captions,
        "text_only_baselines": text_only_baselines(benchmark.splits["train"], benchmark.splits["test"]),
        "one_sense_baselines": one_sense_baselines(
            benchmark.splits["test"], {plan.video_id: plan for plan in plan_benchmark(config.benchmark)}
        ),
        "fresh_clip": fresh,
        "seconds": timings,
    }


def _claim(out: Path, config: DemoConfig) -> None:
    """Record the settings in ``out/demo.json``, refusing a folder that holds a demo made with other settings."""
    stamp = out / "demo.json"
    settings = config.to_dict()
    if stamp.is_file():
        previous = json.loads(stamp.read_text(encoding="utf-8"))
        if previous != json.loads(json.dumps(settings)):
            raise DemoError(f"{out} holds a demo made with other settings ({stamp}); choose another --out")
        return
    out.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")


def _initial_checkpoint(config: DemoConfig) -> Path:
    from savenvideo.train.tiny_checkpoint import build_tiny_checkpoint

    target = Path(config.out) / "init"
    if not (target / "config.json").is_file():
        build_tiny_checkpoint(target, seed=config.benchmark.seed, num_frames=config.benchmark.slots, **config.model)
    return target


def _train(config: DemoConfig, benchmark: Path, init: Path) -> Path:
    """train/sft.py's trainer on the benchmark's train split and captions; the processor remembers each clip once
    decoded. The recipe's mixture names the parts; the demo fills in where they are."""
    from trl import ModelConfig, SFTConfig, TrlParser

    from savenvideo.dataset_scripts.synthetic.benchmark_media_cache import remembered_media
    from savenvideo.train.arguments import SAVEnVideoScriptArguments
    from savenvideo.train.pipeline import build_trainer

    out = Path(config.out)
    trained = out / "sft"
    if (trained / "config.json").is_file() or (trained / "adapter_config.json").is_file():
        return trained
    recipe = yaml.safe_load(RECIPE.read_text(encoding="utf-8"))
    recipe.update(
        model_name_or_path=str(init),
        dataset_mixture=[{**part, "path": str(benchmark / part["path"])} for part in recipe["dataset_mixture"]],
        output_dir=str(trained),
        seed=config.benchmark.seed,
        disable_tqdm=not config.progress,
    )
    if config.max_steps is not None:
        recipe["max_steps"] = config.max_steps
    run_recipe = out / "recipe.yaml"
    run_recipe.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    parser = TrlParser((SAVEnVideoScriptArguments, SFTConfig, ModelConfig))
    script_args, training_args, model_args = parser.parse_args_and_config(["--config", str(run_recipe)])
    trainer = build_trainer(script_args, training_args, model_args)
    with remembered_media(trainer.data_collator.processor):
        trainer.train()
    trainer.save_model(str(trained))
    return trained


def _export(init: Path, trained: Path, target: Path) -> Path:
    """The Hub-ready checkpoint: a LoRA adapter merged into its base, or the fully trained model as it is."""
    from savenvideo.train.merge import export_checkpoint, merge_adapter

    if not (target / "model.safetensors").is_file():
        if (trained / "adapter_config.json").is_file():
            merge_adapter(init, trained, target)
        else:
            export_checkpoint(trained, target)
    return target


def _evaluate(config: DemoConfig, benchmark, checkpoint: Path) -> dict[str, dict]:
    """The AVBench eval runner on the test split: the trained model as is, without audio, and blind."""
    from savenvideo.dataset_scripts.avbench_eval import EvalConfig, run_eval
    from savenvideo.dataset_scripts.eval_models import ModelConfig
    from savenvideo.dataset_scripts.hub_dataset import write_dataset_folder

    out = Path(config.out)
    questions = out / "eval-set"
    if not (questions / "README.md").is_file():
        write_dataset_folder(benchmark.splits["test"], questions, kind="avbench", copy_media_from=benchmark.root)
    metrics = {}
    for name, flags in _scored(config).items():
        model = ModelConfig(str(checkpoint), model_type="savenvideo", device="cpu", **flags)
        run = EvalConfig(
            model=model,
            dataset=str(questions),
            out=out / "eval" / f"{name}.json",
            batch_size=config.eval_batch_size,
            answer_with=ANSWER_WITH,
            scoring=SCORING,
            progress=config.progress,
        )
        metrics[name] = run_eval(run)["metrics"]
    return metrics


def _scored(config: DemoConfig) -> dict[str, dict]:
    """The evaluations of ``ABLATIONS`` this run scores: ``full`` and those ``config.evaluations`` names."""
    return {name: flags for name, flags in ABLATIONS.items() if name == "full" or name in config.evaluations}


def _describe_test_clips(config: DemoConfig, benchmark, checkpoint: Path) -> dict[str, dict]:
    """Per-shot perception on the test clips (see benchmark_caption_score), with and without the sound."""
    from savenvideo.dataset_scripts.eval_models import ModelConfig, Question, load_model
    from savenvideo.dataset_scripts.synthetic.benchmark_builder import plan_benchmark, split_of_videos
    from savenvideo.dataset_scripts.synthetic.benchmark_caption_score import prior_caption, score_captions
    from savenvideo.dataset_scripts.synthetic.benchmark_captions import CAPTION_REQUEST

    out = Path(config.out) / "eval" / "captions.json"
    if out.is_file():
        return json.loads(out.read_text(encoding="utf-8"))
    splits = split_of_videos(config.benchmark)
    every = plan_benchmark(config.benchmark)
    plans = [plan for plan, split in zip(every, splits) if split == "test"]
    prior = prior_caption([plan for plan, split in zip(every, splits) if split == "train"])
    scores = {"train_prior": {**score_captions([prior] * len(plans), plans), "example": prior}}
    for name, flags in _scored(config).items():
        if name == "blind":  # a description without the video says nothing about perception
            continue
        model = load_model(
            ModelConfig(str(checkpoint), model_type="savenvideo", device="cpu", max_new_tokens=160, **flags)
        )
        captions = []
        for start in range(0, len(plans), config.eval_batch_size):
            chunk = plans[start : start + config.eval_batch_size]
            questions = [Question(CAPTION_REQUEST, benchmark.root / "videos" / f"{p.video_id}.mp4") for p in chunk]
            captions += model.generate(model.inputs(questions))
        scores[name] = {**score_captions(captions, plans), "example": captions[0]}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")
    return scores


def _ask_fresh_clip(config: DemoConfig, checkpoint: Path) -> dict[str, Any]:
    """One question about a clip no split holds, answered by the checkpoint loaded as a Hub user would load it: the
    text it generates, and the option the eval's likelihood scoring picks."""
    import numpy as np

    from savenvideo.dataset_scripts.eval_models import ModelConfig, Question, best_choice, load_model
    from savenvideo.dataset_scripts.eval_prompt import answer_choices, question_prompt
    from savenvideo.dataset_scripts.synthetic import ClipOptions, write_clip
    from savenvideo.dataset_scripts.synthetic.benchmark_letters import place_answer
    from savenvideo.dataset_scripts.synthetic.benchmark_plan import plan_clip
    from savenvideo.dataset_scripts.synthetic.benchmark_questions import ask_questions, can_ask

    bench = config.benchmark
    index = bench.videos  # the first index past the benchmark: a clip it does not hold
    plan = plan_clip(bench, index, lambda slots: can_ask(slots, 1))
    rng = np.random.default_rng([bench.seed, index])
    question = ask_questions(plan, 1, rng)[rng.integers(3)]
    letter = "ABCD"[rng.integers(4)]
    options = place_answer(question.answer, question.distractors, letter, rng)
    clip = Path(config.out) / "fresh" / f"{plan.video_id}.mp4"
    if not clip.is_file():
        clip.parent.mkdir(parents=True, exist_ok=True)
        write_clip(clip, plan.timeline, ClipOptions(size=(bench.width, bench.height), fps=bench.fps))
    # The eval runner's SAVEnVideo wrapper loads with AutoModel / AutoProcessor and trust_remote_code, as a Hub
    # user would; the same inputs serve greedy generation and likelihood scoring.
    model = load_model(ModelConfig(str(checkpoint), model_type="savenvideo", device="cpu", max_new_tokens=24))
    prompt = question_prompt(question.text, options, ANSWER_WITH)
    asked = [Question(prompt, clip, answer_choices(options, ANSWER_WITH))]
    inputs = model.inputs(asked)
    answer = model.generate(inputs)[0]
    scores = model.choose(inputs, asked)[0]
    return {
        "video": str(clip),
        "question": question.text,
        "options": options,
        "kind": question.kind,
        "model_answer": answer,
        "likelihood_choice": best_choice(scores),
        "correct_answer": letter,
    }


def _model_card(checkpoint: Path, metrics: dict, fresh: dict) -> Path:
    from huggingface_hub import EvalResult

    from savenvideo.dataset_scripts.eval_prompt import question_prompt
    from savenvideo.train.model_card import CardExample, write_model_card

    summary = (
        "A tiny SAVEnVideo (SigLIP + BEATs + TLP + AVTS resampler + Qwen2, a few hundred thousand parameters) trained "
        "from random weights on a CPU by `savenvideo demo`, on synthetic clips whose questions need sound, sight and "
        "time. It shows the training and evaluation code paths learning; it knows nothing about real video."
    )
    result = EvalResult(
        task_type="any-to-any",
        dataset_type="synthetic",
        dataset_name="SAVEnVideo synthetic audio-visual benchmark",
        dataset_split="test",
        metric_type="accuracy",
        metric_value=round(metrics["accuracy"], 4),
    )
    example = CardExample(
        video=fresh["video"],
        question=question_prompt(fresh["question"], fresh["options"], ANSWER_WITH),
        answer=fresh["model_answer"],
        title=fresh["kind"],
    )
    return write_model_card(checkpoint, repo_id=REPO_ID, examples=[example], results=[result], summary=summary)


def format_results(results: dict[str, Any]) -> str:
    """Accuracy per question kind: the trained model, the ablations, the best text-only baseline, the one-sense
    baselines (a perfect eye or ear counting occurrences), and chance."""
    columns = {"model": results["metrics"], **results["ablations"]}
    blind_text = max(results["text_only_baselines"].values())
    kinds = list(results["metrics"].get("per_question_type", {}))
    width = max(len(name) for name in ["all questions", *kinds])
    header = f"{'':<{width}}  {'n':>5}  " + "  ".join(f"{name:>14}" for name in columns)
    senses = results.get("one_sense_baselines", {})  # absent from demos saved before they existed
    sense_names = "".join(f"  {name.replace('_', ' '):>12}" for name in senses)
    lines = [header + f"  {'text prior':>10}{sense_names}  {'chance':>6}"]
    for name in ["all questions", *kinds]:
        groups = [
            metrics if name == "all questions" else metrics["per_question_type"][name] for metrics in columns.values()
        ]
        cells = "  ".join(f"{100 * group['accuracy']:>13.1f}%" for group in groups)
        prior = f"{100 * blind_text:>9.1f}%" if name == "all questions" else f"{'':>10}"
        kind = "all" if name == "all questions" else name
        sensed = "".join(f"  {100 * by_kind[kind]:>11.1f}%" for by_kind in senses.values())
        lines.append(
            f"{name:<{width}}  {groups[0]['num_questions']:>5}  {cells}  {prior}{sensed}  {100 * CHANCE:>5.0f}%"
        )
    shots = results["captions"]
    lines.append(
        "test-clip descriptions, share of shots right (picture / sound / time / all three): "
        + "; ".join(
            f"{name}: " + " / ".join(f"{100 * shots[name][part]:.0f}%" for part in ("visual", "sound", "time", "all"))
            for name in shots
        )
    )
    fresh = results["fresh_clip"]
    lines.append(
        f"fresh clip: {fresh['question']} -> model says {fresh['model_answer']!r}, likeliest option "
        f"{fresh['likelihood_choice']}, correct: {fresh['correct_answer']}"
    )
    lines.append("seconds: " + ", ".join(f"{name} {seconds:g}" for name, seconds in results["seconds"].items()))
    return "\n".join(lines)
