"""TCN: causal convolutions (no look-ahead) and the receptive field the dilations give."""

from __future__ import annotations

import pytest
import torch

from tradewind.models import TCNSpec, build


def _tcn(channels: list[int], kernel_size: int, n_features: int = 3):
    torch.manual_seed(0)
    spec = TCNSpec(channels=channels, kernel_size=kernel_size, dropout=0.0)
    return build(spec, n_features, 2, verbose=False).eval()


@pytest.mark.parametrize("t", [0, 5, 17, 28])
def test_changing_later_bars_leaves_features_at_t_unchanged(t: int) -> None:
    model = _tcn([4, 4, 4], 3)
    x = torch.randn(2, 30, 3)
    changed = x.clone()
    changed[:, t + 1 :, :] = torch.randn_like(changed[:, t + 1 :, :]) * 10
    with torch.no_grad():
        before, after = model.sequence_features(x), model.sequence_features(changed)
    torch.testing.assert_close(before[:, : t + 1], after[:, : t + 1], atol=1e-6, rtol=0)
    if t + 1 < x.shape[1]:
        assert not torch.allclose(before[:, t + 1 :], after[:, t + 1 :])


@pytest.mark.parametrize(("channels", "kernel_size"), [([4, 4, 4], 3), ([4, 5], 2)])
def test_receptive_field_matches_dilations_one_two_four(
    channels: list[int], kernel_size: int
) -> None:
    model = _tcn(channels, kernel_size)
    rf = model.receptive_field
    assert rf == 1 + 2 * (kernel_size - 1) * (2 ** len(channels) - 1)
    length = rf + 5
    t = length - 1
    x = torch.randn(1, length, 3)
    with torch.no_grad():
        base = model.sequence_features(x)[:, t]
        inside, outside = x.clone(), x.clone()
        inside[:, t - rf + 1] += 5.0  # oldest bar the output at t can see
        outside[:, t - rf] += 5.0  # one bar too old
        assert not torch.allclose(model.sequence_features(inside)[:, t], base)
        torch.testing.assert_close(model.sequence_features(outside)[:, t], base, atol=1e-6, rtol=0)
