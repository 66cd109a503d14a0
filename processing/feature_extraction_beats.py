"""Feature extractor for the BEATs audio encoder: a batched, pure-torch Kaldi log-mel filterbank."""

import functools
import math

import numpy as np
import torch
from torch.nn import functional as F
from transformers import BatchFeature, SequenceFeatureExtractor


@functools.lru_cache(maxsize=8)
def kaldi_mel_banks(
    num_mel_bins: int, n_fft: int, sampling_rate: int, low_freq: float, high_freq: float
) -> torch.Tensor:
    """Triangular filters `[num_mel_bins, n_fft // 2 + 1]`, evenly spaced on Kaldi's mel scale
    `1127 ln(1 + f / 700)`, applied to the power spectrum. As in Kaldi, the Nyquist bin gets weight 0 and
    `high_freq <= 0` counts down from Nyquist.

    Computed in float32 in the same order as `torchaudio.compliance.kaldi`: bins that only hold float32
    rounding noise (far from a pure tone's frequency) then agree too, which a float64 computation would not.
    """
    if high_freq <= 0.0:
        high_freq += sampling_rate / 2
    mel_low = 1127.0 * math.log(1.0 + low_freq / 700.0)
    mel_high = 1127.0 * math.log(1.0 + high_freq / 700.0)
    delta = (mel_high - mel_low) / (num_mel_bins + 1)
    index = torch.arange(num_mel_bins, dtype=torch.float32).unsqueeze(1)
    left = mel_low + index * delta
    center = mel_low + (index + 1.0) * delta
    right = mel_low + (index + 2.0) * delta
    frequencies = (sampling_rate / n_fft) * torch.arange(n_fft // 2, dtype=torch.float32)
    mel = (1127.0 * (1.0 + frequencies / 700.0).log()).unsqueeze(0)
    banks = torch.minimum((mel - left) / (center - left), (right - mel) / (right - center)).clamp_min(0.0)
    return F.pad(banks, (0, 1))


@functools.lru_cache(maxsize=8)
def povey_window(length: int) -> torch.Tensor:
    """Kaldi's default analysis window: a symmetric Hann window raised to the power 0.85."""
    return torch.hann_window(length, periodic=False, dtype=torch.float32).pow(0.85)


def kaldi_fbank(
    waveforms: torch.Tensor,
    sampling_rate: int = 16000,
    num_mel_bins: int = 128,
    frame_length_ms: float = 25.0,
    frame_shift_ms: float = 10.0,
    preemphasis: float = 0.97,
    low_freq: float = 20.0,
    high_freq: float = 0.0,
) -> torch.Tensor:
    """Log-mel filterbank of waveforms `[..., num_samples]` -> `[..., num_frames, num_mel_bins]` in float32.

    Matches `torchaudio.compliance.kaldi.fbank` with its defaults (no dither, DC removal, pre-emphasis, Povey
    window, FFT size rounded up to a power of two, power spectrum, natural log floored at float32 epsilon,
    frames that fit entirely, `1 + (num_samples - frame_length) // frame_shift` of them), but runs on a whole
    batch of equal-length waveforms at once.
    """
    frame_length = int(sampling_rate * frame_length_ms / 1000)
    frame_shift = int(sampling_rate * frame_shift_ms / 1000)
    if waveforms.shape[-1] < frame_length:
        raise ValueError(f"A waveform of {waveforms.shape[-1]} samples is shorter than one frame ({frame_length}).")
    n_fft = 1 << (frame_length - 1).bit_length()
    frames = waveforms.float().unfold(-1, frame_length, frame_shift)
    frames = frames - frames.mean(-1, keepdim=True)
    # Pre-emphasis within each frame; the first sample is emphasised against itself.
    frames = frames - preemphasis * torch.cat([frames[..., :1], frames[..., :-1]], dim=-1)
    frames = frames * povey_window(frame_length).to(frames.device)
    power = torch.fft.rfft(frames, n=n_fft).abs().pow(2)
    banks = kaldi_mel_banks(num_mel_bins, n_fft, sampling_rate, low_freq, high_freq).to(frames.device)
    mel_energies = torch.matmul(power, banks.T)
    return mel_energies.clamp_min(torch.finfo(torch.float32).eps).log()


class BeatsFeatureExtractor(SequenceFeatureExtractor):
    r"""
    Turns 16 kHz mono audio into the normalised filterbank that BEATs was trained on: the waveform (in [-1, 1])
    is scaled to 16-bit range, a 128-bin Kaldi fbank is taken over 25 ms frames every 10 ms, and the result is
    normalised with the AudioSet statistics of the original code, `(fbank - fbank_mean) / (2 * fbank_std)`.

    Args:
        feature_size (`int`, defaults to 128): Mel bins.
        sampling_rate (`int`, defaults to 16000): The only sampling rate accepted.
        padding_value (`float`, defaults to 0.0): Sample value used to pad waveforms.
        waveform_scale (`float`, defaults to 32768.0): Factor applied to the waveform before the fbank.
        fbank_mean (`float`, defaults to 15.41663): Mean subtracted from the log-mel energies.
        fbank_std (`float`, defaults to 6.55582): Standard deviation; the original divides by twice this value.
    """

    model_input_names = ["input_features", "attention_mask"]

    def __init__(
        self,
        feature_size: int = 128,
        sampling_rate: int = 16000,
        padding_value: float = 0.0,
        waveform_scale: float = 32768.0,
        fbank_mean: float = 15.41663,
        fbank_std: float = 6.55582,
        **kwargs,
    ):
        super().__init__(feature_size=feature_size, sampling_rate=sampling_rate, padding_value=padding_value, **kwargs)
        self.waveform_scale = waveform_scale
        self.fbank_mean = fbank_mean
        self.fbank_std = fbank_std

    def fbank(self, waveforms: torch.Tensor) -> torch.Tensor:
        """Normalised features `[batch, frames, feature_size]` of equal-length waveforms `[batch, samples]`."""
        features = kaldi_fbank(
            waveforms.float() * self.waveform_scale, sampling_rate=self.sampling_rate, num_mel_bins=self.feature_size
        )
        return (features - self.fbank_mean) / (2 * self.fbank_std)

    def __call__(
        self,
        raw_speech,
        sampling_rate: int | None = None,
        padding: bool | str = True,
        max_length: int | None = None,
        truncation: bool = False,
        return_tensors: str | None = "pt",
        **kwargs,
    ) -> BatchFeature:
        r"""
        Args:
            raw_speech (`np.ndarray`, `torch.Tensor`, `list[float]` or a list of those):
                One mono clip, a list of clips, or a `[batch, samples]` array, in [-1, 1].
            sampling_rate (`int`, *optional*):
                Sampling rate of `raw_speech`; anything but `self.sampling_rate` is refused. Assumed when omitted.
            padding (`bool` or `str`, defaults to `True`):
                `True`/`"longest"` pads (right, with `padding_value`) to the longest clip, `"max_length"` to
                `max_length` samples, `False`/`"do_not_pad"` requires clips of equal length.
            max_length (`int`, *optional*): Length in samples for `padding="max_length"` and `truncation`.
            truncation (`bool`, defaults to `False`): Cut clips longer than `max_length`.
            return_tensors (`str`, defaults to `"pt"`): `"pt"` or `"np"`.

        Returns:
            [`BatchFeature`] with `input_features` `[batch, frames, feature_size]` and `attention_mask`
            `[batch, frames]` (1 for frames of real audio). As in the original BEATs code, a frame is real when
            any sample of its `samples // frames` stretch of the padded waveform is.
        """
        if sampling_rate is not None and sampling_rate != self.sampling_rate:
            raise ValueError(
                f"{self.__class__.__name__} expects audio sampled at {self.sampling_rate} Hz, got {sampling_rate} Hz; "
                "resample it first."
            )
        clips = self._as_clips(raw_speech)
        lengths = [len(clip) for clip in clips]
        if truncation:
            if max_length is None:
                raise ValueError("truncation=True needs max_length.")
            clips = [clip[:max_length] for clip in clips]
            lengths = [min(length, max_length) for length in lengths]
        if padding in (True, "longest"):
            target = max(lengths)
        elif padding == "max_length":
            if max_length is None:
                raise ValueError("padding='max_length' needs max_length.")
            if max(lengths) > max_length:
                raise ValueError(
                    f"A clip of {max(lengths)} samples exceeds max_length={max_length}; pass truncation=True."
                )
            target = max_length
        elif padding in (False, "do_not_pad"):
            if len(set(lengths)) > 1:
                raise ValueError(f"Clips of different lengths {sorted(set(lengths))} need padding.")
            target = lengths[0]
        else:
            raise ValueError(f"Unknown padding={padding!r}; use True, 'longest', 'max_length' or False.")

        waveforms = torch.full((len(clips), target), float(self.padding_value))
        for row, clip in zip(waveforms, clips):
            row[: len(clip)] = clip
        features = self.fbank(waveforms)

        num_frames = features.shape[1]
        stretch = target // num_frames
        frame_starts = torch.arange(num_frames) * stretch
        attention_mask = (frame_starts[None, :] < torch.tensor(lengths)[:, None]).long()

        if return_tensors not in ("pt", "np"):
            raise ValueError(f"return_tensors={return_tensors!r} is not supported; use 'pt' or 'np'.")
        return BatchFeature({"input_features": features, "attention_mask": attention_mask}, tensor_type=return_tensors)

    @staticmethod
    def _as_clips(raw_speech) -> list[torch.Tensor]:
        """Normalise the accepted input forms to a list of 1-D float32 tensors."""
        if isinstance(raw_speech, (np.ndarray, torch.Tensor)):
            if raw_speech.ndim > 2:
                raise ValueError(f"Only mono audio is supported; got an array of shape {tuple(raw_speech.shape)}.")
            raw_speech = [raw_speech] if raw_speech.ndim == 1 else list(raw_speech)
        elif isinstance(raw_speech, (list, tuple)) and (not raw_speech or not hasattr(raw_speech[0], "__len__")):
            raw_speech = [raw_speech]
        clips = [
            clip.detach().to("cpu", torch.float32)
            if isinstance(clip, torch.Tensor)
            else torch.from_numpy(np.asarray(clip, dtype=np.float32))
            for clip in raw_speech
        ]
        for index, clip in enumerate(clips):
            if clip.ndim != 1:
                raise ValueError(f"Clip {index} has shape {tuple(clip.shape)}; only mono 1-D audio is supported.")
            if len(clip) == 0:
                raise ValueError(f"Clip {index} is empty.")
        return clips


BeatsFeatureExtractor.register_for_auto_class("AutoFeatureExtractor")

__all__ = ["BeatsFeatureExtractor", "kaldi_fbank", "kaldi_mel_banks"]
