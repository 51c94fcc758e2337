"""Probabilities → signal arrays, Kelly sizing, and agreement with triple-barrier labels."""

from __future__ import annotations

import numpy as np
import pytest
from backtest_helpers import random_candles

from tradewind.backtest import run_backtest, signals_from_probabilities
from tradewind.exceptions import DataError
from tradewind.labels import ExitSpec, LabelSpec, barrier_levels, make_labels
from tradewind.policy import TradePolicy, kelly_fraction

TERNARY = ("SELL", "HOLD", "BUY")
PCT = ExitSpec(take_profit=0.02, stop_loss=0.01, unit="pct", max_holding=5)


def pol(exits: ExitSpec, horizon: int, **kw: object) -> TradePolicy:
    """The every-signal policy with ``exits`` (and ``kw`` changes)."""
    return TradePolicy(exits=exits, max_holding=exits.holding_bars(horizon), **kw)


def test_argmax_maps_classes_to_directions_and_threshold_flattens():
    candles = random_candles(6)
    proba = np.array(
        [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [0.3, 0.4, 0.3], [np.nan] * 3, [0.1, 0.1, 0.8],
         [0.1, 0.1, 0.8]]
    )
    sig = signals_from_probabilities(proba, TERNARY, candles, pol(PCT, 5))
    # the last row has no next open, hence no levels and no signal
    np.testing.assert_array_equal(sig.direction, [1, -1, 0, 0, 1, 0])
    np.testing.assert_array_equal(sig.max_holding, 5)
    tp_long, stop_long = barrier_levels(candles, PCT, "long")
    tp_short, stop_short = barrier_levels(candles, PCT, "short")
    assert sig.stop[0] == stop_long[0] and sig.take_profit[0] == tp_long[0]
    assert sig.stop[1] == stop_short[1] and sig.take_profit[1] == tp_short[1]
    assert np.isnan(sig.stop[2])
    strict = signals_from_probabilities(
        proba, TERNARY, candles, pol(PCT, 5, threshold=0.55)
    )
    np.testing.assert_array_equal(strict.direction, [0, -1, 0, 0, 1, 0])
    long_only = signals_from_probabilities(
        proba, TERNARY, candles, pol(PCT, 5, sides="long")
    )
    np.testing.assert_array_equal(long_only.direction, [1, 0, 0, 0, 1, 0])


def test_binary_classes_and_bad_inputs():
    candles = random_candles(3)
    proba = np.array([[0.7, 0.3], [0.4, 0.6], [0.5, 0.5]])
    sig = signals_from_probabilities(proba, ("DOWN", "UP"), candles, pol(PCT, 5))
    np.testing.assert_array_equal(sig.direction, [-1, 1, 0])
    with pytest.raises(DataError, match="shape"):
        signals_from_probabilities(proba[:2], ("DOWN", "UP"), candles, pol(PCT, 5))
    with pytest.raises(DataError, match="trade direction"):
        signals_from_probabilities(proba, ("A", "B"), candles, pol(PCT, 5))


def test_kelly_fraction_hand_computed():
    f = kelly_fraction(np.array([0.6, 0.9, 0.3, np.nan]), payoff=2.0, multiplier=0.5, cap=0.25)
    # 0.5·(0.6·2 − 0.4)/2 = 0.2; 0.5·(1.8 − 0.1)/2 = 0.425 → cap; negative → 0
    np.testing.assert_allclose(f, [0.2, 0.25, 0.0, 0.0])
    with pytest.raises(DataError):
        kelly_fraction(np.array([0.5]), payoff=0.0, multiplier=0.5, cap=0.25)


def test_kelly_sizing_in_signals():
    candles = random_candles(4)
    proba = np.array([[0.1, 0.3, 0.6], [0.1, 0.6, 0.3], [0.8, 0.1, 0.1], [0.3, 0.3, 0.4]])
    cfg = pol(PCT, 5, sizing="kelly", kelly_multiplier=0.5, cap=0.25)
    sig = signals_from_probabilities(proba, TERNARY, candles, cfg)
    # b = 0.02 / 0.01 = 2: p=0.6 → 0.2; p=0.8 → 0.5·(1.6−0.2)/2 = 0.35 → 0.25
    np.testing.assert_array_equal(sig.direction, [1, 0, -1, 0])
    assert sig.size[0] == pytest.approx(0.2)
    assert sig.size[2] == pytest.approx(0.25)


@pytest.mark.parametrize(
    "exits",
    [
        ExitSpec(take_profit=2.0, stop_loss=1.0, unit="atr", atr_period=14, max_holding=8),
        ExitSpec(take_profit=0.015, stop_loss=0.01, unit="pct", max_holding=6),
    ],
)
def test_triple_barrier_label_is_the_simulated_trade_outcome(exits: ExitSpec):
    """Labels and engine both enter at open[t+1] with levels from that open (barrier_levels
    row t) and exit at the close of bar t+max_holding; without costs they must agree."""
    candles = random_candles(3000, seed=3)
    spec = LabelSpec(kind="triple_barrier", horizon=10, exits=exits)
    labels = make_labels(candles, spec)
    proba = np.tile([0.0, 0.0, 1.0], (len(candles), 1))  # always BUY
    sig = signals_from_probabilities(proba, TERNARY, candles, pol(exits, spec.horizon))
    trades = run_backtest(candles, sig).trades
    t = trades.entry_bar.to_numpy() - 1
    y = labels.y[t]
    known = y >= 0
    assert known.sum() > 300
    expected = np.array(["stop", "time", "take_profit"], dtype=object)[y[known]]
    np.testing.assert_array_equal(trades.exit_reason.to_numpy()[known], expected)
    outcomes = set(expected)
    assert outcomes == {"stop", "time", "take_profit"}
    tp = trades[known & (trades.exit_reason == "take_profit").to_numpy()]
    assert (tp.pnl > 0).all()
    timed = trades[known & (trades.exit_reason == "time").to_numpy()]
    holding = exits.holding_bars(spec.horizon)
    np.testing.assert_array_equal(timed.exit_bar - timed.entry_bar, holding - 1)
