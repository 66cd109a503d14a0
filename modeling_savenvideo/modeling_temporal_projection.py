"""The Temporal Linear Projection (TLP, paper section 4.1.2): absolute time as an input modality."""

import math

import torch
from torch import nn


def time_features(seconds: torch.Tensor, periods: torch.Tensor) -> torch.Tensor:
    """f(t): sin and cos of 2*pi*t/P for log-spaced periods P, computed in float32 whatever the model's dtype.

    Short periods tell 0.1 s apart, the longest one (longer than any video) keeps f injective over a whole film,
    and every feature stays in [-1, 1] so 2 h is as well-conditioned as 2 s.
    """
    phase = seconds.float().unsqueeze(-1) / periods.float()
    angle = 2 * math.pi * torch.remainder(phase, 1.0)
    return torch.cat((angle.sin(), angle.cos()), dim=-1)


def seconds_from(times: torch.Tensor) -> torch.Tensor:
    """Times arrive as float seconds, or as integer milliseconds, which survive `BatchFeature.to(torch.bfloat16)`."""
    return times.float() if times.is_floating_point() else times.double().div(1000).float()


class SAVEnVideoTemporalLinearProjection(nn.Module):
    """h(t) = W_t f(t) + b_t (paper eq. 1), shared by frame times, audio-window times and times named in the question.

    Sharing one map puts all three in one space, so a query time can single out the frames and sounds around it.
    """

    def __init__(self, num_frequencies: int, min_period: float, max_period: float, hidden_size: int):
        super().__init__()
        self.period_range = (min_period, max_period)
        self.linear = nn.Linear(2 * num_frequencies, hidden_size)

    def forward(self, times: torch.Tensor) -> torch.Tensor:
        # The periods are recomputed (a few dozen numbers) rather than kept in a buffer that meta-device loading empties.
        low, high = (math.log10(p) for p in self.period_range)
        periods = torch.logspace(low, high, self.linear.in_features // 2, device=times.device)
        return self.linear(time_features(seconds_from(times), periods).to(self.linear.weight.dtype))


__all__ = ["SAVEnVideoTemporalLinearProjection", "time_features"]
