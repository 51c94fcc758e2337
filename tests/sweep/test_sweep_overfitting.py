"""Probability of backtest overfitting (CSCV): ~0.5 for noise, ~0 for a true edge, exact cases."""

from __future__ import annotations

import numpy as np
import pytest

from tradewind.evaluation import probability_of_backtest_overfitting
from tradewind.exceptions import DataError


def test_pure_noise_strategies_overfit_half_the_time() -> None:
    # with no skill anywhere the in-sample winner is a random draw out of sample
    values = [
        probability_of_backtest_overfitting(
            np.random.default_rng(seed).normal(0.0, 0.01, size=(1200, 16)), n_blocks=10
        ).pbo
        for seed in range(24)
    ]
    assert 0.4 < float(np.mean(values)) < 0.6, values


def test_a_truly_dominant_strategy_is_not_overfit() -> None:
    rng = np.random.default_rng(5)
    returns = rng.normal(0.0, 0.01, size=(2000, 12))
    returns[:, 4] += 0.004  # Sharpe 0.4 per period against 0 for the rest
    result = probability_of_backtest_overfitting(returns, n_blocks=16)
    assert result.pbo < 0.02
    assert result.n_combinations == 12870 and result.n_strategies == 12
    assert result.prob_oos_loss < 0.02
    assert np.median(result.logits) > 0
    assert result.to_dict()["pbo"] == result.pbo


def test_a_winner_that_always_reverses_is_always_overfit() -> None:
    # strategy 0 shines in block 0 and fails in block 1; strategy 1 the other way round:
    # whichever half is in-sample, its winner is the out-of-sample loser
    wave = np.tile([1.0, -1.0], 50) * 0.001
    a = np.concatenate([0.01 + wave, -0.01 + wave])
    b = np.concatenate([-0.01 + wave, 0.01 + wave])
    result = probability_of_backtest_overfitting(np.stack([a, b], axis=1), n_blocks=2)
    assert result.n_combinations == 2
    assert result.pbo == 1.0
    assert result.prob_oos_loss == 1.0
    np.testing.assert_allclose(result.logits, np.log((1 / 3) / (2 / 3)))


def test_flat_strategies_tie_at_zero_sharpe_instead_of_dividing_by_zero() -> None:
    rng = np.random.default_rng(1)
    returns = np.zeros((400, 3))
    returns[:, 0] = rng.normal(0.001, 0.01, size=400)
    result = probability_of_backtest_overfitting(returns, n_blocks=4)
    assert np.isfinite(result.logits).all()


@pytest.mark.parametrize(
    ("shape", "blocks", "message"),
    [
        ((100, 1), 4, "at least 2 columns"),
        ((100, 3), 3, "even number"),
        ((10, 3), 8, "cannot fill"),
        ((100,), 4, "shape"),
    ],
)
def test_bad_inputs_say_what_to_change(shape: tuple[int, ...], blocks: int, message: str) -> None:
    with pytest.raises(DataError, match=message):
        probability_of_backtest_overfitting(np.zeros(shape), n_blocks=blocks)


def test_nan_returns_are_refused_with_their_position() -> None:
    returns = np.zeros((100, 3))
    returns[17, 2] = np.nan
    with pytest.raises(DataError, match="period 17, strategy 2"):
        probability_of_backtest_overfitting(returns, n_blocks=4)
