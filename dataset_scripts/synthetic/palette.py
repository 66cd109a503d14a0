"""Named, saturated colours that stay far apart after lossy compression, and a nearest-colour classifier.

The minimum RGB distance between two palette colours is about 100, while H.264/VP9/AV1 at the kit's
quality settings move a flat colour by less than 15: decoding a frame and asking for the nearest palette
colour recovers the name the event list gives.
"""

from dataclasses import dataclass

import numpy as np

from .errors import TimelineError


@dataclass(frozen=True)
class Colour:
    name: str
    rgb: tuple[int, int, int]

    def to_dict(self) -> dict:
        return {"name": self.name, "rgb": list(self.rgb)}

    @classmethod
    def from_dict(cls, data: dict) -> "Colour":
        return cls(name=str(data["name"]), rgb=tuple(int(c) for c in data["rgb"]))


PALETTE: tuple[Colour, ...] = (
    Colour("red", (230, 20, 20)),
    Colour("green", (20, 200, 40)),
    Colour("blue", (20, 40, 230)),
    Colour("yellow", (245, 230, 20)),
    Colour("cyan", (20, 220, 230)),
    Colour("magenta", (220, 20, 220)),
    Colour("orange", (245, 130, 10)),
    Colour("purple", (120, 20, 200)),
    Colour("white", (245, 245, 245)),
    Colour("black", (10, 10, 10)),
    Colour("gray", (128, 128, 128)),
)

_BY_NAME = {colour.name: colour for colour in PALETTE}
_RGB_TABLE = np.array([colour.rgb for colour in PALETTE], dtype=np.float64)


def colour_named(name: str) -> Colour:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise TimelineError(f"unknown colour {name!r}; the palette has {sorted(_BY_NAME)}") from None


def nearest_colour(rgb) -> Colour:
    """The palette colour closest to an RGB triple (e.g. the median pixel of a decoded frame)."""
    distances = np.linalg.norm(_RGB_TABLE - np.asarray(rgb, dtype=np.float64), axis=1)
    return PALETTE[int(np.argmin(distances))]
