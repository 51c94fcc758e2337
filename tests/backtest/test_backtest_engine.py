"""Exit rules, costs, sizing and entries of the numba engine, against hand-computed trades."""

from __future__ import annotations

import numpy as np
import pytest
from backtest_helpers import make_candles

from tradewind.backtest import BacktestConfig, SignalArrays, run_backtest
from tradewind.exceptions import DataError

NAN = np.nan
FLAT = (100.0, 101.0, 99.0, 100.0)


def _one_signal(n: int, side: int, stop: float, tp: float, **kw: object) -> SignalArrays:
    direction = np.zeros(n, dtype=np.int8)
    direction[0] = side
    stops = np.full(n, NAN)
    tps = np.full(n, NAN)
    stops[0], tps[0] = stop, tp
    return SignalArrays.build(direction, stop=stops, take_profit=tps, **kw)


def _trade(result):
    assert len(result.trades) == 1
    return result.trades.iloc[0]


def test_stop_loss_exit_at_stop_price():
    c = make_candles([FLAT, (100, 102, 99, 101), (101, 101.5, 96, 97), FLAT])
    r = run_backtest(c, _one_signal(4, 1, 97.0, 106.0))
    t = _trade(r)
    assert (t.entry_bar, t.exit_bar, t.exit_reason) == (1, 2, "stop")
    assert t.entry_price == 100.0 and t.exit_price == 97.0
    assert t.units == pytest.approx(100.0)
    assert t.pnl == pytest.approx(-300.0)
    np.testing.assert_allclose(r.equity, [10000, 10100, 9700, 9700])
    np.testing.assert_array_equal(r.position, [0, 1, 0, 0])


def test_take_profit_exit():
    c = make_candles([FLAT, (100, 102, 99, 101), (101, 106.5, 100, 105), FLAT])
    t = _trade(run_backtest(c, _one_signal(4, 1, 97.0, 106.0)))
    assert (t.exit_bar, t.exit_reason, t.exit_price) == (2, "take_profit", 106.0)
    assert t.pnl == pytest.approx(600.0)
    assert t["return"] == pytest.approx(0.06)


def test_same_bar_stop_and_target_takes_the_stop():
    c = make_candles([FLAT, (100, 101, 99.5, 100), (100, 107, 96, 100), FLAT])
    t = _trade(run_backtest(c, _one_signal(4, 1, 97.0, 106.0)))
    assert (t.exit_bar, t.exit_reason, t.exit_price) == (2, "stop", 97.0)


def test_entry_bar_is_checked_for_levels():
    c = make_candles([FLAT, (100, 101, 96, 98), FLAT])
    t = _trade(run_backtest(c, _one_signal(3, 1, 97.0, 106.0)))
    assert (t.entry_bar, t.exit_bar, t.exit_reason) == (1, 1, "stop")


def test_gap_through_stop_fills_at_open():
    c = make_candles([FLAT, (100, 101, 99, 100), (95, 96, 94, 95), FLAT])
    t = _trade(run_backtest(c, _one_signal(4, 1, 97.0, 106.0)))
    assert (t.exit_reason, t.exit_price) == ("stop", 95.0)


def test_gap_through_target_fills_at_open():
    c = make_candles([FLAT, (100, 101, 99, 100), (108, 109, 107, 108), FLAT])
    t = _trade(run_backtest(c, _one_signal(4, 1, 97.0, 106.0)))
    assert (t.exit_reason, t.exit_price) == ("take_profit", 108.0)


def test_time_exit_at_close_of_last_holding_bar():
    c = make_candles([FLAT, (100, 101, 99, 100.5), (100.5, 102, 100, 101.5), (101.5, 103, 101, 102)])
    t = _trade(run_backtest(c, _one_signal(4, 1, 90.0, 110.0, max_holding=2)))
    assert (t.entry_bar, t.exit_bar, t.exit_reason, t.exit_price) == (1, 2, "time", 101.5)


def test_end_of_data_closes_or_leaves_open():
    c = make_candles([FLAT, (100, 101, 99, 100.5), (100.5, 102, 100, 103)])
    t = _trade(run_backtest(c, _one_signal(3, 1, 90.0, 110.0)))
    assert (t.exit_bar, t.exit_reason, t.exit_price) == (2, "end", 103.0)
    r = run_backtest(c, _one_signal(3, 1, 90.0, 110.0), BacktestConfig(close_at_end=False))
    assert len(r.trades) == 0
    assert r.equity[-1] == pytest.approx(10300.0)
    assert r.position[-1] == 1


def test_short_position_profit_and_stop():
    c = make_candles([FLAT, (100, 101, 99, 99), (99, 99.5, 94, 96), FLAT])
    t = _trade(run_backtest(c, _one_signal(4, -1, 103.0, 95.0)))
    assert (t.direction, t.exit_reason, t.exit_price) == (-1, "take_profit", 95.0)
    assert t.pnl == pytest.approx(500.0)
    c2 = make_candles([FLAT, (100, 101, 99, 99), (99, 104, 98, 103), FLAT])
    r = run_backtest(c2, _one_signal(4, -1, 103.0, 95.0))
    t2 = _trade(r)
    assert (t2.exit_reason, t2.exit_price, t2.pnl) == ("stop", 103.0, pytest.approx(-300.0))
    assert r.equity[1] == pytest.approx(10100.0)  # short marked at the close 99


def test_fees_and_slippage_arithmetic():
    c = make_candles([FLAT, (100, 101, 99, 100), (100, 106.5, 100, 105), FLAT])
    cfg = BacktestConfig(fee_bps=10, slippage_bps=5)
    t = _trade(run_backtest(c, _one_signal(4, 1, 97.0, 106.0), cfg))
    entry_fill = 100 * 1.0005  # buying pays half a spread of 5 bps
    exit_fill = 106 * 0.9995  # selling receives 5 bps less
    units = 10_000 / entry_fill
    fees = 0.001 * units * (entry_fill + exit_fill)
    assert t.entry_price == pytest.approx(100.05)
    assert t.exit_price == pytest.approx(105.947)
    assert t.fees == pytest.approx(fees)
    assert t.fees == pytest.approx(10.0 + 0.001 * units * 105.947)
    assert t.pnl == pytest.approx(units * (105.947 - 100.05) - fees)
    assert t["return"] == pytest.approx(t.pnl / 10_000)


def test_opposite_signal_reverses_or_closes():
    c = make_candles([FLAT] * 6)
    d = np.array([1, 0, -1, 0, 0, 0], dtype=np.int8)
    r = run_backtest(c, SignalArrays.build(d))
    assert list(r.trades.exit_reason) == ["signal", "end"]
    assert list(r.trades.direction) == [1, -1]
    assert list(r.trades.entry_bar) == [1, 3] and list(r.trades.exit_bar) == [3, 5]
    r2 = run_backtest(c, SignalArrays.build(d), BacktestConfig(on_opposite="close"))
    assert list(r2.trades.exit_reason) == ["signal"]
    np.testing.assert_array_equal(r2.position, [0, 1, 1, 0, 0, 0])


def test_same_direction_signal_is_ignored_and_zero_size_skips():
    c = make_candles([FLAT] * 5)
    r = run_backtest(c, SignalArrays.build(np.array([1, 1, 1, 0, 0])))
    assert len(r.trades) == 1 and r.trades.entry_bar.iloc[0] == 1
    r0 = run_backtest(c, SignalArrays.build(np.array([1, 0, 0, 0, 0]), size=0.0))
    assert len(r0.trades) == 0


def test_long_only_never_shorts():
    c = make_candles([FLAT] * 6)
    cfg = BacktestConfig(long_only=True)
    r = run_backtest(c, SignalArrays.build(np.array([-1, 0, 0, 0, 0, 0])), cfg)
    assert len(r.trades) == 0
    r2 = run_backtest(c, SignalArrays.build(np.array([1, 0, -1, 0, 0, 0])), cfg)
    assert list(r2.trades.direction) == [1] and r2.trades.exit_reason.iloc[0] == "signal"


def test_limit_entry_that_never_fills_makes_no_trade():
    rows = [FLAT, (100, 101, 96, 100), (100, 101, 97, 100), (100, 101, 80, 100), FLAT]
    c = make_candles(rows)
    s = _one_signal(5, 1, 80.0, 120.0, limit_price=np.r_[95.0, [NAN] * 4], limit_valid=2)
    r = run_backtest(c, s)  # bar 3 reaches 80, but the order expired after bar 2
    assert len(r.trades) == 0
    np.testing.assert_allclose(r.equity, 10_000.0)


def test_limit_entry_fills_inside_bar_checks_stop_only():
    rows = [FLAT, (100, 102, 99, 101), (101, 102, 100, 101), FLAT]
    s = _one_signal(4, 1, 95.0, 101.5, limit_price=np.r_[99.5, [NAN] * 3], limit_valid=3)
    t = _trade(run_backtest(make_candles(rows), s))
    # filled at 99.5 in bar 1; its high 102 is not credited to the target on the fill bar
    assert (t.entry_bar, t.entry_price) == (1, 99.5)
    assert (t.exit_bar, t.exit_reason, t.exit_price) == (2, "take_profit", 101.5)


def test_limit_entry_gapping_through_fills_at_open():
    rows = [FLAT, (99, 102, 98.5, 101), FLAT]
    s = _one_signal(3, 1, 95.0, 101.5, limit_price=np.r_[99.5, [NAN] * 2], limit_valid=1)
    t = _trade(run_backtest(make_candles(rows), s))
    assert (t.entry_bar, t.entry_price, t.exit_bar, t.exit_reason) == (1, 99.0, 1, "take_profit")


def test_integer_units_sizing_rounds_down():
    c = make_candles([FLAT] * 4)
    cfg = BacktestConfig(fee_bps=10, sizing="integer_units")
    r = run_backtest(c, SignalArrays.build(np.array([1, 0, 0, 0]), size=0.5), cfg)
    assert r.trades.units.iloc[0] == 49.0  # 5000 // (100 + 0.1)
    assert r.trades.fraction.iloc[0] == 0.5


def test_fraction_sizing_scales_with_equity():
    c = make_candles([FLAT] * 4)
    r = run_backtest(c, SignalArrays.build(np.array([1, 0, 0, 0]), size=0.25))
    assert r.trades.units.iloc[0] == pytest.approx(25.0)


def test_wrong_length_or_dtype_is_refused():
    c = make_candles([FLAT] * 4)
    with pytest.raises(DataError, match="direction"):
        run_backtest(c, SignalArrays.build(np.array([1, 0, 0])))
    with pytest.raises(DataError, match="direction"):
        SignalArrays.build(np.array([2, 0, 0, 0]))


def test_short_costs_sell_lower_and_buy_back_higher():
    c = make_candles([FLAT, (100, 101, 99, 99), (99, 99.5, 94, 96), FLAT])
    cfg = BacktestConfig(fee_bps=10, slippage_bps=5)
    t = _trade(run_backtest(c, _one_signal(4, -1, 103.0, 95.0), cfg))
    entry_fill, exit_fill = 100 * 0.9995, 95 * 1.0005
    units = 10_000 / entry_fill
    fees = 0.001 * units * (entry_fill + exit_fill)
    assert (t.entry_price, t.exit_price) == (pytest.approx(99.95), pytest.approx(95.0475))
    assert t.pnl == pytest.approx(units * (entry_fill - exit_fill) - fees)


def test_short_limit_entry_fills_when_high_reaches_it():
    rows = [FLAT, (100, 100.8, 99, 100), (100, 101.2, 99, 100), FLAT]
    s = _one_signal(4, -1, 110.0, 90.0, limit_price=np.r_[101.0, [NAN] * 3], limit_valid=2)
    r = run_backtest(make_candles(rows), s)
    t = _trade(r)
    assert (t.direction, t.entry_bar, t.entry_price, t.exit_reason) == (-1, 2, 101.0, "end")
    assert t.pnl == pytest.approx(10_000 / 101 * (101 - 100))


def test_non_finite_prices_are_refused():
    c = make_candles([FLAT, (100, np.nan, 99, 100)])
    with pytest.raises(DataError, match="row 1"):
        run_backtest(c, SignalArrays.build(np.array([1, 0])))
