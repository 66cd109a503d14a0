"""Shared fixtures. ``synthetic_clip`` writes real media files with known events, once per session."""

import pytest

from savenvideo.dataset_scripts.synthetic import ClipOptions, random_timeline, write_clip


@pytest.fixture(scope="session")
def synthetic_clip(tmp_path_factory):
    """Factory for synthetic clips, cached per parameter set for the whole session.

    ``synthetic_clip(seconds=4.0, seed=0, codec=None, audio=True, vfr=False, size=(160, 90), fps=30,
    container="mp4", timeline=None) -> (path, timeline)``. ``codec`` is h264, vp9 or av1 (None: the
    container's default); ``container`` is mp4, mkv or webm; ``timeline`` replaces the seeded random one.
    The returned timeline is what the file holds (no sounds when ``audio=False``); the full
    ``ClipInfo`` (frame times, cut frames) is ``ClipInfo.load(path)``.
    """
    directory = tmp_path_factory.mktemp("synthetic_clips")
    clips = {}

    def make(
        seconds=4.0,
        seed=0,
        codec=None,
        audio=True,
        vfr=False,
        size=(160, 90),
        fps=30,
        container="mp4",
        timeline=None,
    ):
        timeline = timeline if timeline is not None else random_timeline(seconds, seed)
        key = (timeline.to_json(indent=None), codec, audio, vfr, tuple(size), fps, container)
        if key not in clips:
            options = ClipOptions(codec=codec, audio=audio, vfr=vfr, size=tuple(size), fps=fps)
            info = write_clip(directory / f"clip{len(clips)}.{container}", timeline, options)
            clips[key] = (info.path, info.timeline)
        return clips[key]

    return make
