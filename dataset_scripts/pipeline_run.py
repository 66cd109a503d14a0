"""Run the pipeline over a collection: stage after stage, batch after batch, every result stored as it comes.

Stages run one at a time over all of the shard's videos (each with its progress bar), so each model is loaded
once and only the current stage's models are held. Within a stage, videos go to the models in batches of
``batch_videos``, and each video's result is stored (atomically) as soon as its batch returns: a kill loses at
most the batch in flight, and the next run picks up exactly the stage results that are missing.

A video that fails a stage is stored as failed with a reason and skipped by later stages; ``retry_failed`` runs
failed stages again. A stage that raises is retried video by video so that one broken video cannot fail its
batch; the traceback goes to ``WORK_DIR/errors.log``. Unsharded runs finish by exporting the dataset folders;
sharded runs only process their share; run once more without shards, or with ``export_only`` (which reads the
whole collection, whatever the shard options say), to export everything.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .engine_base import Engine
from .pipeline_calls import Caller
from .pipeline_config import PipelineConfig
from .pipeline_engines import EnginePool, check_settings
from .pipeline_export import export_report, finished_videos, select, sweep_partial, write_folder
from .pipeline_review import write_review
from .pipeline_segments import Segmenter
from .pipeline_stages import STAGE_NAMES, STAGES, Stage, StageContext, Task
from .pipeline_store import WorkDir, atomic_write, dumps, failed
from .pipeline_summary import summarize
from .pipeline_videos import Video, discover, select_shard

WRITER_THREADS = 16


@dataclass(frozen=True)
class RunOptions:
    num_shards: int = 1
    shard_index: int = 0
    retry_failed: bool = False
    export_only: bool = False
    progress: bool = True

    @property
    def sharded(self) -> bool:
        return self.num_shards > 1


def _batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def needed_roles(config: PipelineConfig) -> list[str]:
    roles = ["visual", "audio", "text"]
    return roles + ["judge"] if config.checks.leakage else roles


class Runner:
    def __init__(self, store: WorkDir, config: PipelineConfig, engines: EnginePool, progress: bool = True):
        self.store = store
        self.config = config
        self.engines = engines
        self.progress = progress
        self.caller = Caller(config, engines)
        self.context = StageContext(config, self.caller, Segmenter(config.segmentation))
        self.timings: dict[str, float] = {}
        self._writers = ThreadPoolExecutor(max_workers=WRITER_THREADS, thread_name_prefix="pipeline-store")

    def close(self) -> None:
        self._writers.shutdown()

    def pending(self, stage: Stage, videos: list[Video], retry_failed: bool) -> list[Video]:
        """Videos whose earlier stages all succeeded and that have no (or, when retrying, a failed) result."""
        earlier = STAGE_NAMES[: STAGE_NAMES.index(stage.name)]
        chosen = []
        for video in videos:
            states = self.store.states(video.video_id)
            if any(states.get(name) != "ok" for name in earlier):
                continue
            state = states.get(stage.name)
            if state is None or (retry_failed and state == "failed"):
                chosen.append(video)
        return chosen

    def run_stage(self, stage: Stage, videos: list[Video], retry_failed: bool) -> None:
        from tqdm import tqdm

        began = time.perf_counter()
        todo = self.pending(stage, videos, retry_failed)
        self.engines.keep_only(stage.roles)
        if stage.name == "segments" and todo:
            self.context.segmenter.prepare()
        with tqdm(total=len(todo), desc=stage.name, unit="video", disable=not self.progress or not todo) as bar:
            for batch in _batches(todo, self.config.batch_videos):
                tasks = [
                    Task(video, {name: self.store.read(video.video_id, name)["ok"] for name in stage.reads})
                    for video in batch
                ]
                results = self._isolated(stage, tasks)
                # fsync waits on the disk, not the CPU: a batch's files are written side by side
                list(self._writers.map(lambda item: self.store.write(item[0], stage.name, item[1]), results.items()))
                bar.update(len(batch))
        self.timings[stage.name] = self.timings.get(stage.name, 0.0) + time.perf_counter() - began

    def _isolated(self, stage: Stage, tasks: list[Task]) -> dict[str, dict]:
        try:
            results = stage.run(self.context, tasks)
            missing = [task.video.video_id for task in tasks if task.video.video_id not in results]
            if missing:
                raise RuntimeError(f"stage {stage.name} returned no result for {', '.join(missing)}")
            return results
        except Exception as error:  # one broken video must not stop the collection
            if len(tasks) > 1:
                return {vid: result for task in tasks for vid, result in self._isolated(stage, [task]).items()}
            with open(self.store.root / "errors.log", "a", encoding="utf-8") as log:
                log.write(f"--- {stage.name} {tasks[0].video.relpath}\n{traceback.format_exc()}\n")
            return {tasks[0].video.video_id: failed("internal_error", f"{type(error).__name__}: {error}")}


def export(store: WorkDir, videos: list[Video], config: PipelineConfig, videos_dir: Path) -> dict[str, Any]:
    """Write every configured dataset folder (and the AVBench review sheet) from the stored results."""
    import datasets as hf_datasets

    bars = hf_datasets.is_progress_bar_enabled()
    hf_datasets.disable_progress_bars()  # one "Creating parquet" bar per file is noise here
    try:
        return _export(store, videos, config, videos_dir)
    finally:
        if bars:
            hf_datasets.enable_progress_bars()


def _export(store: WorkDir, videos: list[Video], config: PipelineConfig, videos_dir: Path) -> dict[str, Any]:
    datasets = store.root / "datasets"
    sweep_partial(datasets)
    finished = finished_videos(store, videos)
    by_id = {item.video.video_id: item for item in finished}
    report = {}
    for kind in config.export.kinds:
        selection = select(kind, finished, config)
        target = datasets / kind
        rows = write_folder(selection, config, videos_dir, target)
        if kind == "avbench" and rows:
            write_review(rows, by_id, store.root / "review", videos_dir)
        report[kind] = export_report(selection, rows, target.relative_to(store.root).as_posix())
    return report


def build_dataset(
    videos_dir: str | Path,
    work_dir: str | Path,
    config: PipelineConfig,
    options: RunOptions = RunOptions(),
    engines: dict[str, Engine] | None = None,
) -> dict[str, Any]:
    """Process (this shard of) the collection in ``videos_dir`` into ``work_dir`` and return the summary, which
    is also written there as JSON. ``engines`` maps roles to ready engines, overriding the config's."""
    began = time.perf_counter()
    videos_dir = Path(videos_dir)
    store = WorkDir(work_dir)
    store.root.mkdir(parents=True, exist_ok=True)
    store.sweep()
    store.check_config(config.to_dict(), config.fingerprint())
    if config.export.review_decisions and not Path(config.export.review_decisions).is_file():
        raise FileNotFoundError(f"export.review_decisions: {config.export.review_decisions} does not exist")
    collection = discover(videos_dir, config.video_extensions)
    videos = collection if options.export_only else select_shard(collection, options.num_shards, options.shard_index)
    run_info: dict[str, Any] = {"shard": [options.shard_index, options.num_shards]}
    if not options.export_only:
        pool = EnginePool(config, engines)
        check_settings(config, [role for role in needed_roles(config) if pool.given_engine(role) is None])
        runner = Runner(store, config, pool, options.progress)
        try:
            for stage in STAGES:
                runner.run_stage(stage, videos, options.retry_failed)
        finally:
            runner.close()
            pool.close()
        stats = runner.caller.stats
        run_info.update(
            {
                "stage_seconds": {name: round(seconds, 3) for name, seconds in runner.timings.items()},
                "model_requests": stats.requests,
                "model_retries": stats.retries,
                "model_seconds": round(stats.model_seconds, 3),
                "failed_calls_by_reason": dict(sorted(stats.by_reason.items())),
            }
        )
    summary = summarize(store, videos, STAGE_NAMES)
    if options.export_only or not options.sharded:
        summary["export"] = export(store, videos, config, videos_dir)
    run_info["wall_seconds"] = round(time.perf_counter() - began, 3)
    summary["run"] = run_info
    sharded = options.sharded and not options.export_only
    name = f"summary.shard-{options.shard_index}-of-{options.num_shards}.json" if sharded else "summary.json"
    atomic_write(store.root / name, dumps(summary))
    return summary
