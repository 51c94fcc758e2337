"""make_labels on hand-computed examples, one kind at a time."""

from __future__ import annotations

import numpy as np
import pytest

from tradewind.exceptions import DataError
from tradewind.labels import AdaptiveThreshold, ExitSpec, LabelSpec, make_labels

# -- direction ---------------------------------------------------------------------------


def test_direction_up_down_and_flat_has_no_label(candles):
    bars = candles([10.0, 11.0, 11.0, 10.0, 12.0])
    labels = make_labels(bars, LabelSpec(kind="direction", horizon=1))
    # fwd: +10 %, 0 (flat -> no label), -1/11, +20 %, unknown
    assert labels.y.tolist() == [1, -1, 0, 1, -1]
    assert labels.classes == ("DOWN", "UP")
    assert labels.y.dtype == np.int64
    np.testing.assert_allclose(labels.forward_return[:4], [0.1, 0.0, -1 / 11, 0.2])
    assert np.isnan(labels.forward_return[4])
    assert labels.known.tolist() == [True, False, True, True, False]
    assert labels.index.equals(bars.index)


def test_direction_horizon_three_uses_close_three_bars_ahead(candles):
    bars = candles([10.0, 9.0, 9.0, 11.0, 8.0, 8.0, 12.0])
    labels = make_labels(bars, LabelSpec(kind="direction", horizon=3))
    # close[t+3] vs close[t]: 11>10 UP, 8<9 DOWN, 8<9 DOWN, 12>11 UP, then 3 unknown bars
    assert labels.y.tolist() == [1, 0, 0, 1, -1, -1, -1]
    assert labels.horizon == 3
    np.testing.assert_allclose(labels.forward_return[0], 0.1)


@pytest.mark.parametrize("horizon", [1, 2, 5])
@pytest.mark.parametrize("kind", ["direction", "ternary", "triple_barrier", "forward_return"])
def test_last_horizon_bars_have_no_label(market, kind, horizon):
    exits = ExitSpec(take_profit=1.0, stop_loss=1.0, atr_period=3) if kind == "triple_barrier" else None
    bars = market(60, seed=horizon)
    labels = make_labels(bars, LabelSpec(kind=kind, horizon=horizon, exits=exits))
    assert (labels.y[-horizon:] == -1).all()
    assert np.isnan(labels.forward_return[-horizon:]).all()
    assert np.isfinite(labels.forward_return[:-horizon]).all()
    if kind != "forward_return":
        assert (labels.y[: -horizon][10:] >= 0).any()


def test_fewer_bars_than_horizon_gives_no_labels(candles):
    labels = make_labels(candles([1.0, 2.0]), LabelSpec(kind="direction", horizon=5))
    assert labels.y.tolist() == [-1, -1]
    assert np.isnan(labels.forward_return).all()


# -- ternary -----------------------------------------------------------------------------


def test_ternary_fixed_threshold_ties_are_hold(candles):
    # Exact binary fractions so the ties are exact: 4 -> 5 is +25 %, 4 -> 3 is -25 %.
    bars = candles([4.0, 5.0, 4.0, 3.0, 6.0, 3.0, 3.0])
    labels = make_labels(bars, LabelSpec(kind="ternary", horizon=1, threshold=0.25))
    # fwd: +.25 (tie -> HOLD), -.2 HOLD, -.25 (tie -> HOLD), +1 BUY, -.5 SELL, 0 HOLD, unknown
    assert labels.y.tolist() == [1, 1, 1, 2, 0, 1, -1]
    assert labels.classes == ("SELL", "HOLD", "BUY")
    assert labels.threshold is not None
    assert (labels.threshold == 0.25).all()


def test_ternary_zero_threshold_keeps_flat_moves_as_hold(candles):
    labels = make_labels(candles([2.0, 2.0, 3.0, 1.0]), LabelSpec(kind="ternary"))
    assert labels.y.tolist() == [1, 2, 0, -1]


def test_adaptive_threshold_uses_the_floor_in_quiet_markets(candles):
    # Returns of about ±0.1 %: 1.2 * std * sqrt(1) is ~0.13 %, below the 1 % floor.
    close = [100.0, 100.1, 100.0, 100.1, 100.0, 100.1, 100.6, 102.0, 100.0, 100.0]
    spec = LabelSpec(
        kind="ternary", horizon=1, adaptive=AdaptiveThreshold(multiplier=1.2, window=3, floor=0.01)
    )
    labels = make_labels(candles(close), spec)
    threshold = labels.threshold
    assert threshold is not None
    assert np.isnan(threshold[:3]).all()  # fewer than `window` returns behind the bar
    assert threshold[3] == 0.01 and threshold[4] == 0.01
    # rows 0-2: no threshold -> -1; +0.1 % and -0.1 % moves are HOLD under the 1 % floor
    assert labels.y[:6].tolist() == [-1, -1, -1, 1, 1, 1]
    # row 6: 1.2 * std of its last 3 log returns is 0.37 %, still under the floor; the
    # +1.39 % move to 102.0 clears 1 % -> BUY; row 7: 102 -> 100 is -1.96 % -> SELL
    log_returns = np.diff(np.log(close))
    raw = 1.2 * np.std(log_returns[3:6], ddof=1)
    assert raw < 0.01 and threshold[6] == 0.01
    assert labels.y[6:9].tolist() == [2, 0, 1]
    # Without the floor the rolling volatility itself is the threshold.
    no_floor = spec.model_copy(update={"adaptive": AdaptiveThreshold(multiplier=1.2, window=3, floor=0.0)})
    unfloored = make_labels(candles(close), no_floor).threshold
    assert unfloored is not None
    np.testing.assert_allclose(unfloored[6], raw)
    assert unfloored[3] < 0.01
    assert labels.y[-1] == -1


def test_adaptive_threshold_scales_with_sqrt_horizon(market):
    bars = market(300, seed=3)
    adaptive = AdaptiveThreshold(multiplier=1.0, window=50, floor=0.0)
    one = make_labels(bars, LabelSpec(kind="ternary", horizon=1, adaptive=adaptive)).threshold
    four = make_labels(bars, LabelSpec(kind="ternary", horizon=4, adaptive=adaptive)).threshold
    assert one is not None and four is not None
    np.testing.assert_allclose(four[50:], 2.0 * one[50:])


# -- triple barrier ----------------------------------------------------------------------

_PCT = ExitSpec(take_profit=0.10, stop_loss=0.05, unit="pct")


def _bars(candles, second_high: float, second_low: float, later_high: float = 104.0):
    """Signal at bar 0; entry at bar 1's open (100): take-profit 110, stop 95."""
    return candles(
        close=[100.0, 102.0, 101.0, 101.0, 101.0, 101.0],
        open_=[100.0, 100.0, 102.0, 101.0, 101.0, 101.0],
        high=[100.0, 104.0, second_high, later_high, 102.0, 102.0],
        low=[100.0, 98.0, second_low, 100.0, 100.0, 100.0],
    )


@pytest.mark.parametrize(
    ("second_high", "second_low", "expected", "why"),
    [
        (111.0, 100.0, 2, "upper barrier first -> BUY"),
        (110.0, 100.0, 2, "touching the level exactly counts"),
        (103.0, 94.0, 0, "lower barrier first -> SELL"),
        (111.0, 94.0, 0, "both in one bar -> the stop counts first -> SELL"),
        (109.0, 96.0, 1, "neither within the horizon -> HOLD"),
    ],
)
def test_triple_barrier_outcomes(candles, second_high, second_low, expected, why):
    labels = make_labels(
        _bars(candles, second_high, second_low),
        LabelSpec(kind="triple_barrier", horizon=3, exits=_PCT),
    )
    assert labels.y[0] == expected, why
    assert labels.classes == ("SELL", "HOLD", "BUY")


def test_triple_barrier_touch_after_the_vertical_barrier_is_hold(candles):
    # Bar 3 touches 110, but horizon 2 scans only bars 1 and 2.
    bars = _bars(candles, 105.0, 99.0, later_high=120.0)
    assert make_labels(bars, LabelSpec(kind="triple_barrier", horizon=2, exits=_PCT)).y[0] == 1
    assert make_labels(bars, LabelSpec(kind="triple_barrier", horizon=3, exits=_PCT)).y[0] == 2


def test_triple_barrier_max_holding_shorter_than_horizon(candles):
    bars = _bars(candles, 105.0, 99.0, later_high=120.0)
    exits = ExitSpec(take_profit=0.10, stop_loss=0.05, unit="pct", max_holding=2)
    labels = make_labels(bars, LabelSpec(kind="triple_barrier", horizon=3, exits=exits))
    assert labels.y[0] == 1  # held two bars only
    assert (labels.y[-3:] == -1).all()  # still no label in the last `horizon` bars


def test_triple_barrier_enters_at_the_next_open_not_the_signal_close(candles):
    # Close of bar 0 is 100 but bar 1 opens at 90: levels are 99 / 85.5 around 90.
    bars = candles(
        close=[100.0, 95.0, 95.0, 95.0],
        open_=[100.0, 90.0, 95.0, 95.0],
        high=[100.0, 99.5, 96.0, 96.0],
        low=[100.0, 89.0, 94.0, 94.0],
    )
    assert make_labels(bars, LabelSpec(kind="triple_barrier", horizon=2, exits=_PCT)).y[0] == 2


def test_triple_barrier_atr_levels(candles):
    # Every bar spans 2.0 without gaps, so ATR(3) = 2 from row 3 on; tp 1.5 ATR = 3, sl 1 ATR = 2.
    n = 12
    close = np.full(n, 100.0)
    high, low = close + 1.0, close - 1.0
    high[6] = 103.5  # bar 6: take-profit 103 touched for signals at bars 3..5
    # Bar 6's range lifts ATR to 2.83, 2.56, 2.37 at bars 6, 7, 8: stops 97.17, 97.44, 97.63.
    low[9] = 96.5  # bar 9 touches all three stops
    bars = candles(close, open_=close, high=high, low=low)
    exits = ExitSpec(take_profit=1.5, stop_loss=1.0, unit="atr", atr_period=3)
    labels = make_labels(bars, LabelSpec(kind="triple_barrier", horizon=3, exits=exits))
    assert labels.y[:3].tolist() == [-1, -1, -1]  # ATR warm-up: no levels
    assert labels.y[3:9].tolist() == [2, 2, 2, 0, 0, 0]
    assert labels.y[-3:].tolist() == [-1, -1, -1]


def test_triple_barrier_zero_atr_has_no_label(candles):
    flat = np.full(10, 50.0)
    exits = ExitSpec(take_profit=1.0, stop_loss=1.0, atr_period=2)
    labels = make_labels(candles(flat), LabelSpec(kind="triple_barrier", horizon=2, exits=exits))
    assert (labels.y == -1).all()


# -- forward return and input checks -----------------------------------------------------


def test_forward_return_kind_has_no_classes(candles):
    labels = make_labels(candles([1.0, 2.0, 1.0]), LabelSpec(kind="forward_return"))
    assert labels.classes == ()
    assert (labels.y == -1).all()
    np.testing.assert_allclose(labels.forward_return[:2], [1.0, -0.5])
    assert labels.known.tolist() == [True, True, False]


def test_bad_close_names_row_and_timestamp(candles):
    bars = candles([1.0, 2.0, 0.0, 3.0])
    with pytest.raises(DataError, match=r"row 2 \(2023-01-01 02:00:00\+00:00\)"):
        make_labels(bars, LabelSpec())


def test_triple_barrier_needs_high_and_low(candles):
    bars = candles([1.0, 2.0, 3.0]).drop(columns=["high"])
    with pytest.raises(DataError, match="high"):
        make_labels(bars, LabelSpec(kind="triple_barrier", exits=_PCT))
