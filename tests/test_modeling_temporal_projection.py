"""The TLP's time features f(t) tell 0.1 s apart anywhere in a 3 h video, in float32 and through a bf16 model."""

import torch

from savenvideo.modeling.configuration_savenvideo import SAVEnVideoConfig
from savenvideo.modeling.modeling_temporal_projection import SAVEnVideoTemporalLinearProjection, time_features

CONFIG = SAVEnVideoConfig()
PERIODS = torch.logspace(
    torch.tensor(CONFIG.time_min_period).log10(),
    torch.tensor(CONFIG.time_max_period).log10(),
    CONFIG.time_num_frequencies,
)
GRID = (torch.arange(3 * 3600 * 10, dtype=torch.float64) / 10).float()  # every 0.1 s of three hours


def test_neighbours_a_tenth_of_a_second_apart_are_far_apart_everywhere():
    features = time_features(GRID, PERIODS)
    steps = (features[1:] - features[:-1]).norm(dim=-1)
    assert steps.min() > 1.0  # the 0.2 s period alone moves by half a turn: a distance of 2
    assert (steps.max() - steps.min()) < 0.1  # as distinct at 2 h as at 0 s


def test_nearest_neighbour_decodes_times_to_the_tenth_of_a_second():
    generator = torch.Generator().manual_seed(0)
    times = torch.cat(
        (
            torch.tensor([0.0, 0.1, 3599.9, 3600.0, 7199.9, 7200.0, 7200.1, 10799.9]),
            (torch.randint(0, GRID.numel(), (200,), generator=generator).double() / 10).float(),
        )
    )
    grid_features = time_features(GRID, PERIODS)
    nearest = torch.cdist(time_features(times, PERIODS), grid_features).argmin(dim=-1)
    torch.testing.assert_close(GRID[nearest], times, atol=1e-3, rtol=0)


def test_projection_keeps_the_resolution_in_bfloat16_and_reads_milliseconds():
    torch.manual_seed(0)
    projection = SAVEnVideoTemporalLinearProjection(
        CONFIG.time_num_frequencies, CONFIG.time_min_period, CONFIG.time_max_period, 64
    ).to(torch.bfloat16)
    seconds = torch.tensor([7200.0, 7200.1, 7200.0])
    raw = projection(seconds)
    h = raw.float()
    assert raw.dtype == torch.bfloat16 and (h[0] - h[1]).norm() > 0.1 * h[0].norm()
    torch.testing.assert_close(h[0], h[2])
    milliseconds = torch.tensor([7_200_000, 7_200_100, 7_200_000])
    torch.testing.assert_close(projection(milliseconds).float(), h)
    # Float seconds already rounded to bfloat16 cannot be told apart any more: why integer milliseconds exist.
    assert torch.equal(seconds.bfloat16()[0], seconds.bfloat16()[1])
