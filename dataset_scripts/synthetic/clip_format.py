"""Which container, codecs and encoder settings a clip gets, chosen from the output file's extension.

Encoder settings favour speed (tiny frames, long clips) while keeping flat colours within a few RGB
levels of the source; keyframes come at least every ``keyframe_seconds`` so long clips seek quickly.
"""

from dataclasses import dataclass
from pathlib import Path

from .errors import SyntheticClipError

VIDEO_ENCODERS = {"h264": "libx264", "vp9": "libvpx-vp9", "av1": "libsvtav1"}
AUDIO_ENCODERS = {"aac": "aac", "opus": "libopus"}
VIDEO_ENCODER_OPTIONS = {
    "h264": {"preset": "veryfast", "crf": "18"},
    "vp9": {"deadline": "realtime", "cpu-used": "8", "crf": "20", "b": "0", "row-mt": "1"},
    "av1": {"preset": "10", "crf": "30"},
}
"""SVT-AV1 presets above 10 are for automated tooling: preset 12 wrote undecodable streams for some timelines."""
SVT_AV1_LOG_LEVEL = "1"
"""SVT-AV1 prints a banner straight to stderr for every encoder it opens unless SVT_LOG asks for errors only."""
AUDIO_BIT_RATES = {"aac": 128_000, "opus": 96_000}


@dataclass(frozen=True)
class ContainerRule:
    format_name: str
    default_video_codec: str
    video_codecs: tuple[str, ...]
    audio_codec: str


CONTAINERS = {
    ".mp4": ContainerRule("mp4", "h264", ("h264", "vp9", "av1"), "aac"),
    ".mkv": ContainerRule("matroska", "h264", ("h264", "vp9", "av1"), "aac"),
    ".webm": ContainerRule("webm", "vp9", ("vp9", "av1"), "opus"),
}


@dataclass(frozen=True)
class ClipFormat:
    container: str
    """FFmpeg muxer name: mp4, matroska or webm."""
    video_codec: str
    audio_codec: str

    @property
    def video_encoder(self) -> str:
        return VIDEO_ENCODERS[self.video_codec]

    @property
    def audio_encoder(self) -> str:
        return AUDIO_ENCODERS[self.audio_codec]


def resolve_format(path: str | Path, codec: str | None = None) -> ClipFormat:
    """The format for ``path``: its extension picks the container, ``codec`` (or the container's default) the video."""
    suffix = Path(path).suffix.lower()
    rule = CONTAINERS.get(suffix)
    if rule is None:
        raise SyntheticClipError(path, f"unsupported extension {suffix!r}; use one of {sorted(CONTAINERS)}")
    video_codec = codec or rule.default_video_codec
    if video_codec not in rule.video_codecs:
        raise SyntheticClipError(
            path, f"video codec {video_codec!r} cannot go in a {suffix} file; choose one of {rule.video_codecs}"
        )
    return ClipFormat(container=rule.format_name, video_codec=video_codec, audio_codec=rule.audio_codec)
