"""Synthesises any stretch of the soundtrack from the timeline, sample-exactly and without state.

Every waveform is a function of the absolute sample index (noise included: its generator jumps straight
to the sample offset), so rendering a clip in chunks gives the same samples as rendering it at once and
memory stays bounded by the chunk size, however long the clip.
"""

import math
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

from .audio_events import MAX_FREQUENCY, AudioEvent, Chirp, Clicks, NoiseBurst, Tone

FADE_SECONDS = 0.005
"""Raised-cosine ramps at both ends of tones, chirps and noise, so an onset is not itself a click."""
CLICK_DECAY_SECONDS = 0.0015
CLICK_CARRIER_HZ = 2500.0


def render_audio(sounds: Iterable[AudioEvent], start_sample: int, num_samples: int, sample_rate: int) -> np.ndarray:
    """Mono float32 samples [start_sample, start_sample + num_samples) of the mix of ``sounds``, clipped to ±1."""
    mix = np.zeros(num_samples, dtype=np.float64)
    for sound in sounds:
        first = max(round(sound.start * sample_rate), start_sample)
        last = min(round(sound.end * sample_rate), start_sample + num_samples)
        if last <= first:
            continue
        elapsed = (np.arange(first, last) - round(sound.start * sample_rate)) / sample_rate
        wave = _waveform(sound, elapsed, first - round(sound.start * sample_rate))
        mix[first - start_sample : last - start_sample] += sound.gain * wave
    return np.clip(mix, -1.0, 1.0).astype(np.float32)


def _waveform(sound: AudioEvent, elapsed: np.ndarray, offset: int) -> np.ndarray:
    """Unit-peak waveform of ``sound`` at ``elapsed`` seconds after its start (``offset`` samples in)."""
    if isinstance(sound, Tone):
        return _tone(sound.frequency, sound.timbre, elapsed) * _fades(elapsed, sound.duration)
    if isinstance(sound, Chirp):
        return np.sin(sound.phase_at(elapsed)) * _fades(elapsed, sound.duration)
    if isinstance(sound, NoiseBurst):
        generator = np.random.Generator(np.random.PCG64(sound.seed).advance(offset))
        return (2.0 * generator.random(elapsed.size) - 1.0) * _fades(elapsed, sound.duration)
    if isinstance(sound, Clicks):
        since_click = np.mod(elapsed, 1.0 / sound.rate)
        return np.exp(-since_click / CLICK_DECAY_SECONDS) * np.sin(2 * math.pi * CLICK_CARRIER_HZ * since_click)
    raise TypeError(f"no synthesiser for {type(sound).__name__}")


def _partials(frequency: float, timbre: str) -> list[tuple[int, float]]:
    """(harmonic number, relative amplitude) pairs, keeping every partial below MAX_FREQUENCY."""
    if timbre == "square":
        numbers = range(1, int(MAX_FREQUENCY // frequency) + 1, 2)
    elif timbre == "harmonic":
        numbers = range(1, min(4, int(MAX_FREQUENCY // frequency)) + 1)
    else:
        numbers = range(1, 2)
    return [(number, 1.0 / number) for number in numbers]


@lru_cache(maxsize=256)
def _peak(frequency: float, timbre: str) -> float:
    phase = np.linspace(0.0, 2 * math.pi, 4096, endpoint=False)
    return float(np.max(np.abs(sum(amplitude * np.sin(k * phase) for k, amplitude in _partials(frequency, timbre)))))


def _tone(frequency: float, timbre: str, elapsed: np.ndarray) -> np.ndarray:
    phase = 2 * math.pi * frequency * elapsed
    wave = sum(amplitude * np.sin(k * phase) for k, amplitude in _partials(frequency, timbre))
    return wave / _peak(frequency, timbre)


def _fades(elapsed: np.ndarray, duration: float) -> np.ndarray:
    ramp = min(FADE_SECONDS, duration / 2)
    edge = np.minimum(elapsed, duration - elapsed) / ramp
    return np.where(edge < 1.0, 0.5 - 0.5 * np.cos(math.pi * np.clip(edge, 0.0, 1.0)), 1.0)
