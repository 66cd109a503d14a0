"""Draws the RGB picture of a visual event at a given time, one frame at a time (nothing else is kept)."""

from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .visual_events import MovingShape, TextCard, VisualEvent

TEXT_HEIGHT_FRACTION = 0.5
TEXT_WIDTH_FRACTION = 0.9


class FrameRenderer:
    """Renders frames of a fixed size; a static event is drawn once and its pixels reused while it lasts."""

    def __init__(self, width: int, height: int):
        self.width = width
        self.height = height
        self._cached_event: VisualEvent | None = None
        self._cached_pixels: np.ndarray | None = None

    def render(self, event: VisualEvent, t: float) -> np.ndarray:
        """(height, width, 3) uint8 RGB picture of ``event`` at time ``t``."""
        if event.is_static and event is self._cached_event:
            return self._cached_pixels
        pixels = np.asarray(self._draw(event, t))
        if event.is_static:
            self._cached_event, self._cached_pixels = event, pixels
        return pixels

    def _draw(self, event: VisualEvent, t: float) -> Image.Image:
        image = Image.new("RGB", (self.width, self.height), event.background.rgb)
        if isinstance(event, MovingShape):
            self._draw_shape(ImageDraw.Draw(image), event, t)
        elif isinstance(event, TextCard):
            self._draw_text(ImageDraw.Draw(image), event)
        return image

    def _draw_shape(self, draw: ImageDraw.ImageDraw, event: MovingShape, t: float) -> None:
        x, y = event.position_at(t)
        cx, cy = x * (self.width - 1), y * (self.height - 1)
        half = event.size * self.height / 2
        box = (cx - half, cy - half, cx + half, cy + half)
        if event.shape == "circle":
            draw.ellipse(box, fill=event.colour.rgb)
        elif event.shape == "square":
            draw.rectangle(box, fill=event.colour.rgb)
        else:
            draw.polygon([(cx, cy - half), (cx - half, cy + half), (cx + half, cy + half)], fill=event.colour.rgb)

    def _draw_text(self, draw: ImageDraw.ImageDraw, event: TextCard) -> None:
        font = _fitting_font(event.text, self.width, self.height)
        draw.text((self.width / 2, self.height / 2), event.text, fill=event.colour.rgb, font=font, anchor="mm")


@lru_cache(maxsize=64)
def _fitting_font(text: str, width: int, height: int) -> ImageFont.ImageFont:
    """PIL's built-in font at the largest size (up to half the frame height) whose text fits the width."""
    size = max(int(height * TEXT_HEIGHT_FRACTION), 8)
    while True:
        font = ImageFont.load_default(size=size)
        left, _, right, _ = font.getbbox(text)
        if right - left <= width * TEXT_WIDTH_FRACTION or size <= 8:
            return font
        size = int(size * 0.85)
