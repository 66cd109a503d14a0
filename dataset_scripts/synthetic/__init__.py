"""Synthetic audio-visual clips with exact ground-truth event timelines: the project's test kit.

Script a :class:`Timeline` (or draw one with :func:`random_timeline`), then :func:`write_clip` renders it
to a real mp4 / mkv / webm file and returns a :class:`ClipInfo` that knows every frame time, scene cut,
on-screen colour and sound.
"""

from .audio_events import AudioEvent, Chirp, Clicks, NoiseBurst, Tone
from .clip_info import ClipInfo, sidecar_path
from .errors import SyntheticClipError, TimelineError
from .frame_schedule import FrameSchedule
from .palette import PALETTE, Colour, colour_named, nearest_colour
from .random_timeline import RandomTimelineConfig, random_timeline
from .timeline import Timeline
from .visual_events import MovingShape, SolidColour, TextCard, VisualEvent
from .writer import ClipOptions, write_clip

__all__ = [
    "PALETTE",
    "AudioEvent",
    "Chirp",
    "Clicks",
    "ClipInfo",
    "ClipOptions",
    "Colour",
    "FrameSchedule",
    "MovingShape",
    "NoiseBurst",
    "RandomTimelineConfig",
    "SolidColour",
    "SyntheticClipError",
    "TextCard",
    "Timeline",
    "TimelineError",
    "Tone",
    "VisualEvent",
    "colour_named",
    "nearest_colour",
    "random_timeline",
    "sidecar_path",
    "write_clip",
]
