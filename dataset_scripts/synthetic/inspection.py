"""Measurements that recognise synthetic events in decoded media: the checking half of the test kit.

They take plain arrays (an RGB frame, a mono sample window) so any decoder's output can be checked
against the timeline: which palette colour fills a frame, the dominant pitch and timbre of a window,
whether a window is noise-like or silent.
"""

import numpy as np

from .palette import PALETTE, Colour, nearest_colour

PARTIAL_SEARCH_WIDTH = 0.03
"""A partial is looked for within ±3% of its nominal frequency (codecs and resampling blur peaks slightly)."""
SINE_MAX_OVERTONE = 0.1
SQUARE_MIN_THIRD = 0.2
HARMONIC_MIN_SECOND = 0.25


def frame_colour(pixels: np.ndarray) -> Colour:
    """The palette colour of a (height, width, 3) RGB frame's median pixel (the shot's background)."""
    return nearest_colour(np.median(np.asarray(pixels).reshape(-1, 3), axis=0))


def colour_fraction(pixels: np.ndarray, colour: Colour) -> float:
    """Share of the pixels of an RGB frame whose nearest palette colour is ``colour`` (text, shapes)."""
    flat = np.asarray(pixels, dtype=np.float64).reshape(-1, 1, 3)
    table = np.array([entry.rgb for entry in PALETTE], dtype=np.float64)
    nearest = np.argmin(np.linalg.norm(flat - table[None], axis=2), axis=1)
    return float(np.mean(nearest == PALETTE.index(colour)))


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(np.asarray(samples, dtype=np.float64)))))


def _spectrum(samples: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    samples = np.asarray(samples, dtype=np.float64)
    size = 1 << int(np.ceil(np.log2(8 * len(samples))))
    magnitudes = np.abs(np.fft.rfft(samples * np.hanning(len(samples)), size))
    return np.fft.rfftfreq(size, 1.0 / sample_rate), magnitudes


def dominant_frequency(samples: np.ndarray, sample_rate: int, min_frequency: float = 50.0) -> float:
    """Frequency in Hz of the strongest spectral peak above ``min_frequency``."""
    frequencies, magnitudes = _spectrum(samples, sample_rate)
    magnitudes[frequencies < min_frequency] = 0.0
    return float(frequencies[int(np.argmax(magnitudes))])


def partial_levels(samples: np.ndarray, sample_rate: int, frequency: float, count: int = 3) -> list[float]:
    """Amplitudes of harmonics 1..count of ``frequency`` relative to the fundamental (0 above Nyquist)."""
    frequencies, magnitudes = _spectrum(samples, sample_rate)
    levels = []
    for number in range(1, count + 1):
        centre = number * frequency
        band = np.abs(frequencies - centre) <= PARTIAL_SEARCH_WIDTH * centre
        levels.append(float(magnitudes[band].max()) if band.any() else 0.0)
    return [level / levels[0] for level in levels]


def timbre_of(samples: np.ndarray, sample_rate: int, frequency: float) -> str:
    """sine, square or harmonic, from the levels of the 2nd and 3rd partials (see audio_events.Tone)."""
    _, second, third = partial_levels(samples, sample_rate, frequency)
    if second >= HARMONIC_MIN_SECOND:
        return "harmonic"
    if third >= SQUARE_MIN_THIRD and second < SINE_MAX_OVERTONE:
        return "square"
    if second < SINE_MAX_OVERTONE and third < SINE_MAX_OVERTONE:
        return "sine"
    return "unknown"


def spectral_flatness(samples: np.ndarray, sample_rate: int, low: float = 200.0, high: float = 6000.0) -> float:
    """Geometric over arithmetic mean of the power spectrum in [low, high]: near 1 for noise, near 0 for tones."""
    frequencies, magnitudes = _spectrum(samples, sample_rate)
    power = np.square(magnitudes[(frequencies >= low) & (frequencies <= high)]) + 1e-20
    return float(np.exp(np.mean(np.log(power))) / np.mean(power))
