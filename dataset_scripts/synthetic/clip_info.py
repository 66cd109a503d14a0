"""What a written clip contains: its format, frame timing and ground-truth timeline, saved next to the clip.

The sidecar ``<clip>.events.json`` records the frame grid (fps and the repeating pattern of frame
durations) rather than a list of every frame time: the times follow exactly from it, and a 2-hour clip
would otherwise carry hundreds of thousands of numbers.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import TimelineError
from .frame_schedule import FrameSchedule
from .timeline import Timeline

SIDECAR_SUFFIX = ".events.json"
SIDECAR_FORMAT = "savenvideo-synthetic-clip/1"


def sidecar_path(clip_path: str | Path) -> Path:
    """``OUT.mp4`` -> ``OUT.mp4.events.json``."""
    clip_path = Path(clip_path)
    return clip_path.with_name(clip_path.name + SIDECAR_SUFFIX)


@dataclass(frozen=True)
class ClipInfo:
    path: Path
    container: str
    video_codec: str
    audio_codec: str | None
    width: int
    height: int
    frame_schedule: FrameSchedule
    frame_count: int
    sample_rate: int | None
    timeline: Timeline

    @property
    def duration(self) -> float:
        return self.timeline.duration

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    @property
    def fps(self) -> int:
        return self.frame_schedule.fps

    @property
    def is_variable_frame_rate(self) -> bool:
        return self.frame_schedule.is_variable

    def frame_times(self) -> np.ndarray:
        """Presentation time in seconds of every frame, as stored in the container."""
        return self.frame_schedule.frame_times(self.duration)

    def cut_frame_indices(self) -> list[int]:
        """Index of the first frame of every shot after a scene cut."""
        return self.timeline.cut_frame_indices(self.frame_times())

    def to_dict(self) -> dict:
        return {
            "format": SIDECAR_FORMAT,
            "clip": {
                "file": self.path.name,
                "container": self.container,
                "video_codec": self.video_codec,
                "audio_codec": self.audio_codec,
                "width": self.width,
                "height": self.height,
                "fps": self.fps,
                "frame_step_pattern": list(self.frame_schedule.step_pattern),
                "variable_frame_rate": self.is_variable_frame_rate,
                "frame_count": self.frame_count,
                "sample_rate": self.sample_rate,
                "duration": self.duration,
            },
            "timeline": self.timeline.to_dict(),
        }

    def save(self) -> Path:
        """Write the sidecar next to the clip and return its path."""
        target = sidecar_path(self.path)
        target.write_text(json.dumps(self.to_dict(), indent=1))
        return target

    @classmethod
    def load(cls, clip_path: str | Path) -> "ClipInfo":
        """Read the sidecar of ``clip_path`` (the clip's own path, not the sidecar's)."""
        source = sidecar_path(clip_path)
        try:
            data = json.loads(source.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise TimelineError(f"cannot read the clip's event list: {error}", source) from None
        if data.get("format") != SIDECAR_FORMAT:
            raise TimelineError(f"not a synthetic clip event list (format {data.get('format')!r})", source)
        try:
            clip = data["clip"]
            return cls(
                path=source.with_name(clip["file"]),
                container=clip["container"],
                video_codec=clip["video_codec"],
                audio_codec=clip["audio_codec"],
                width=int(clip["width"]),
                height=int(clip["height"]),
                frame_schedule=FrameSchedule(int(clip["fps"]), tuple(clip["frame_step_pattern"])),
                frame_count=int(clip["frame_count"]),
                sample_rate=clip["sample_rate"],
                timeline=Timeline.from_dict(data["timeline"]),
            )
        except (KeyError, TypeError) as error:
            raise TimelineError(f"malformed clip event list: missing or wrong entry {error}", source) from None
        except TimelineError as error:
            raise TimelineError(error.reason, source) from None
