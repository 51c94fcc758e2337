"""ATR, barrier levels and the numba first-touch scan the backtester reuses."""

from __future__ import annotations

import numpy as np
import pytest
import talib
from numba import njit

from tradewind.exceptions import DataError
from tradewind.labels import (
    OUTCOME_STOP,
    OUTCOME_TAKE_PROFIT,
    OUTCOME_TIME,
    ExitSpec,
    atr,
    barrier_levels,
    first_touch,
)


@pytest.mark.parametrize("period", [1, 3, 14])
def test_atr_matches_talib(market, period):
    bars = market(200, seed=period)
    h, lo, c = (bars[k].to_numpy() for k in ("high", "low", "close"))
    ours, theirs = atr(h, lo, c, period), talib.ATR(h, lo, c, timeperiod=period)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, equal_nan=True)


def _arrays(open_, high, low, close):
    return tuple(np.asarray(x, dtype=np.float64) for x in (open_, high, low, close))


def test_first_touch_long_outcomes_and_prices():
    o, h, lo, c = _arrays([100, 100, 101, 102], [100, 104, 111, 103], [100, 98, 100, 99], [100, 102, 108, 101])
    assert first_touch(o, h, lo, c, 1, 3, 110.0, 95.0, 1) == (2, OUTCOME_TAKE_PROFIT, 110.0)
    assert first_touch(o, h, lo, c, 1, 3, 120.0, 99.0, 1) == (1, OUTCOME_STOP, 99.0)
    assert first_touch(o, h, lo, c, 1, 3, 120.0, 90.0, 1) == (3, OUTCOME_TIME, 101.0)
    # Both levels inside bar 2 (high 111, low 100): the stop counts first.
    assert first_touch(o, h, lo, c, 2, 3, 110.0, 100.0, 1) == (2, OUTCOME_STOP, 100.0)


def test_first_touch_short_is_mirrored():
    o, h, lo, c = _arrays([100, 100, 99], [100, 101, 100], [100, 97, 89], [100, 98, 90])
    assert first_touch(o, h, lo, c, 1, 2, 90.0, 105.0, -1) == (2, OUTCOME_TAKE_PROFIT, 90.0)
    assert first_touch(o, h, lo, c, 1, 2, 90.0, 101.0, -1) == (1, OUTCOME_STOP, 101.0)


def test_first_touch_gaps_fill_at_the_open():
    # Bar 2 opens at 90, below the long stop at 95: the fill is 90, not 95.
    o, h, lo, c = _arrays([100, 100, 90], [100, 101, 92], [100, 99, 88], [100, 100, 91])
    assert first_touch(o, h, lo, c, 1, 2, 110.0, 95.0, 1) == (2, OUTCOME_STOP, 90.0)
    # Bar 2 opens at 115, above the long take-profit at 110: the fill is 115.
    o, h, lo, c = _arrays([100, 100, 115], [100, 101, 116], [100, 99, 114], [100, 100, 115])
    assert first_touch(o, h, lo, c, 1, 2, 110.0, 95.0, 1) == (2, OUTCOME_TAKE_PROFIT, 115.0)


def test_first_touch_is_callable_from_another_numba_function():
    @njit
    def backtest_one(o, h, lo, c):
        exit_row, outcome, price = first_touch(o, h, lo, c, 1, 2, 110.0, 95.0, 1)
        return exit_row * 10 + outcome, price

    o, h, lo, c = _arrays([100, 100, 101], [100, 104, 111], [100, 98, 100], [100, 102, 108])
    assert backtest_one(o, h, lo, c) == (21, 110.0)


def test_barrier_levels_pct_long_and_short(candles):
    bars = candles([10.0, 11.0, 12.0], open_=[10.0, 20.0, 40.0])
    spec = ExitSpec(take_profit=0.5, stop_loss=0.25, unit="pct")
    tp, stop = barrier_levels(bars, spec, "long")
    np.testing.assert_allclose(tp[:2], [30.0, 60.0])  # around the NEXT bar's open
    np.testing.assert_allclose(stop[:2], [15.0, 30.0])
    assert np.isnan(tp[2]) and np.isnan(stop[2])  # last bar: no next open
    tp_s, stop_s = barrier_levels(bars, spec, "short")
    np.testing.assert_allclose(tp_s[:2], [10.0, 20.0])
    np.testing.assert_allclose(stop_s[:2], [25.0, 50.0])


def test_barrier_levels_atr_uses_atr_at_the_signal_bar(market):
    bars = market(40, seed=1)
    spec = ExitSpec(take_profit=2.0, stop_loss=1.0, unit="atr", atr_period=5)
    tp, stop = barrier_levels(bars, spec)
    width = talib.ATR(bars["high"].to_numpy(), bars["low"].to_numpy(), bars["close"].to_numpy(), 5)
    entry = bars["open"].to_numpy()[1:]
    np.testing.assert_allclose(tp[:-1], entry + 2.0 * width[:-1], equal_nan=True)
    np.testing.assert_allclose(stop[:-1], entry - 1.0 * width[:-1], equal_nan=True)
    assert np.isnan(tp[:5]).all() and np.isfinite(tp[5:-1]).all()


def test_barrier_levels_refuses_unknown_side(candles):
    with pytest.raises(DataError, match="side"):
        barrier_levels(candles([1.0, 2.0]), ExitSpec(take_profit=1, stop_loss=1), "flat")  # type: ignore[arg-type]


def test_exit_spec_holding_defaults_to_horizon():
    assert ExitSpec(take_profit=1, stop_loss=1).holding_bars(15) == 15
    assert ExitSpec(take_profit=1, stop_loss=1, max_holding=4).holding_bars(15) == 4
