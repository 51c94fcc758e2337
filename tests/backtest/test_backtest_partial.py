"""Partial take-profits: a ladder of targets, each closing a share of the original position."""

from __future__ import annotations

import numpy as np
import pytest
from backtest_helpers import make_candles, random_candles

from tradewind.backtest import (
    BacktestConfig,
    SignalArrays,
    backtest_probabilities,
    compute_stats,
    run_backtest,
    signals_from_probabilities,
)
from tradewind.block_bootstrap import BlockBootstrap
from tradewind.exceptions import DataError
from tradewind.labels import ExitSpec, barrier_levels
from tradewind.policy import TradePolicy

NAN = np.nan
FLAT = (100.0, 101.0, 99.0, 100.0)
ENTRY_BAR = (100.0, 101.0, 99.0, 100.5)  # long entered at 100, no level touched, marked at 100.5


def _ladder(n: int, side: int, stop: float, targets: list[float], fractions=None, **kw) -> SignalArrays:
    direction = np.zeros(n, dtype=np.int8)
    direction[0] = side
    stops = np.full(n, NAN)
    stops[0] = stop
    ladder = np.full((n, len(targets)), NAN)
    ladder[0] = targets
    return SignalArrays.build(
        direction, stop=stops, partial_take_profit=ladder, partial_fractions=fractions, **kw
    )


def _trade(result):
    assert len(result.trades) == 1
    return result.trades.iloc[0]


def test_two_targets_hit_on_successive_bars():
    c = make_candles([FLAT, ENTRY_BAR, (100.5, 102.5, 100, 102), (102, 104.5, 101.5, 104), FLAT])
    r = run_backtest(c, _ladder(5, 1, 97.0, [102.0, 104.0], [0.5, 0.5]))
    t = _trade(r)
    # 100 units at 100; 50 sold at 102 (+100), 50 at 104 (+200)
    assert (t.entry_bar, t.exit_bar, t.exit_reason, t.exit_fills) == (1, 3, "take_profit", 2)
    assert (t.units, t.partial_units) == (100.0, 50.0)
    assert t.exit_price == pytest.approx(103.0)
    assert t.pnl == pytest.approx(300.0)
    assert t["return"] == pytest.approx(0.03)
    # bar 2 close 102: cash 10100 + 50 open units × (102 − 100)
    np.testing.assert_allclose(r.equity, [10000, 10050, 10200, 10300, 10300])
    np.testing.assert_array_equal(r.position, [0, 1, 1, 0, 0])


def test_first_target_then_stop_closes_the_rest_at_the_stop():
    c = make_candles([FLAT, ENTRY_BAR, (100.5, 102.5, 100, 102), (102, 102.5, 96, 97), FLAT])
    r = run_backtest(c, _ladder(5, 1, 97.0, [102.0, 104.0], [0.5, 0.5]))
    t = _trade(r)
    # 50 at 102 (+100), 50 stopped at 97 (−150)
    assert (t.exit_bar, t.exit_reason, t.exit_fills, t.partial_units) == (3, "stop", 2, 50.0)
    assert t.exit_price == pytest.approx(99.5)
    assert t.pnl == pytest.approx(-50.0)
    np.testing.assert_allclose(r.equity, [10000, 10050, 10200, 9950, 9950])


def test_both_targets_in_one_bar_fill_in_order_and_gaps_fill_at_open():
    ladder = _ladder(4, 1, 97.0, [102.0, 104.0], [0.5, 0.5])
    r = run_backtest(make_candles([FLAT, ENTRY_BAR, (100.5, 105, 100, 104.5), FLAT]), ladder)
    t = _trade(r)
    assert (t.exit_bar, t.exit_reason, t.exit_fills, t.exit_price) == (2, "take_profit", 2, 103.0)
    assert t.pnl == pytest.approx(300.0)
    np.testing.assert_allclose(r.equity, [10000, 10050, 10300, 10300])
    # opens at 103, beyond the first target: that half fills at the open, the rest at 104
    t = _trade(run_backtest(make_candles([FLAT, ENTRY_BAR, (103, 105, 102.5, 104.5), FLAT]), ladder))
    assert t.pnl == pytest.approx(50 * 3 + 50 * 4)
    # opens beyond both: everything at the open
    t = _trade(run_backtest(make_candles([FLAT, ENTRY_BAR, (105, 106, 104.5, 105), FLAT]), ladder))
    assert (t.exit_price, t.exit_fills) == (pytest.approx(105.0), 2)
    assert t.pnl == pytest.approx(500.0)


def test_stop_and_first_target_in_one_bar_stops_everything():
    ladder = _ladder(4, 1, 97.0, [102.0, 104.0], [0.5, 0.5])
    r = run_backtest(make_candles([FLAT, ENTRY_BAR, (100.5, 103, 96, 100), FLAT]), ladder)
    t = _trade(r)
    assert (t.exit_bar, t.exit_reason, t.exit_fills, t.partial_units) == (2, "stop", 1, 0.0)
    assert (t.exit_price, t.pnl) == (97.0, pytest.approx(-300.0))
    np.testing.assert_allclose(r.equity, [10000, 10050, 9700, 9700])
    # after the first target, a bar touching the stop and the second target stops the rest
    rows = [FLAT, ENTRY_BAR, (100.5, 102.5, 100, 102), (102, 104.5, 96, 100), FLAT]
    t = _trade(run_backtest(make_candles(rows), _ladder(5, 1, 97.0, [102.0, 104.0], [0.5, 0.5])))
    assert (t.exit_bar, t.exit_reason, t.exit_fills) == (3, "stop", 2)
    assert t.pnl == pytest.approx(100.0 - 150.0)


def test_short_ladder_is_mirrored():
    rows = [FLAT, (100, 101, 99, 99.5), (99.5, 100, 97.5, 98), (98, 98.5, 95.5, 96), FLAT]
    r = run_backtest(make_candles(rows), _ladder(5, -1, 103.0, [98.0, 96.0], [0.5, 0.5]))
    t = _trade(r)
    assert (t.direction, t.exit_bar, t.exit_reason, t.exit_fills) == (-1, 3, "take_profit", 2)
    assert (t.exit_price, t.pnl) == (pytest.approx(97.0), pytest.approx(300.0))
    np.testing.assert_allclose(r.equity, [10000, 10050, 10200, 10300, 10300])
    rows[3] = (98, 103.5, 95.5, 103)  # the stop and the second target in bar 3: stop the rest
    t = _trade(run_backtest(make_candles(rows), _ladder(5, -1, 103.0, [98.0, 96.0], [0.5, 0.5])))
    assert (t.exit_reason, t.exit_fills, t.pnl) == ("stop", 2, pytest.approx(100.0 - 150.0))


def test_fees_and_slippage_on_every_partial_fill():
    c = make_candles([FLAT, ENTRY_BAR, (100.5, 102.5, 100, 102), (102, 104.5, 101.5, 104), FLAT])
    cfg = BacktestConfig(fee_bps=10, slippage_bps=5)
    r = run_backtest(c, _ladder(5, 1, 97.0, [102.0, 104.0], [0.5, 0.5]), cfg)
    t = _trade(r)
    entry = 100 * 1.0005
    units = 10_000 / entry
    x1, x2 = 102 * 0.9995, 104 * 0.9995
    q1 = q2 = units / 2
    fee_in, fee1, fee2 = 0.001 * units * entry, 0.001 * q1 * x1, 0.001 * q2 * x2
    assert fee_in == pytest.approx(10.0)
    assert t.fees == pytest.approx(fee_in + fee1 + fee2)
    assert t.exit_price == pytest.approx((x1 + x2) / 2)
    pnl = q1 * (x1 - entry) + q2 * (x2 - entry) - fee_in - fee1 - fee2
    assert t.pnl == pytest.approx(pnl)
    bar2 = 10_000 - fee_in + q1 * (x1 - entry) - fee1 + q2 * (102 - entry)
    np.testing.assert_allclose(r.equity, [10000, 10000 - fee_in + units * (100.5 - entry), bar2,
                                          10_000 + pnl, 10_000 + pnl])


def test_integer_units_round_down_and_the_last_target_takes_the_rest():
    rows = [FLAT, ENTRY_BAR, (100.5, 103.5, 100, 103), FLAT]
    sig = _ladder(4, 1, 97.0, [101.0, 102.0, 103.0], [1 / 3, 1 / 3, 1 / 3])
    t = _trade(run_backtest(make_candles(rows), sig, BacktestConfig(sizing="integer_units")))
    # 100 units: 33 at 101, 33 at 102, the remaining 34 at 103
    assert (t.units, t.partial_units, t.exit_fills) == (100.0, 66.0, 3)
    assert t.pnl == pytest.approx(33 * 1 + 33 * 2 + 34 * 3)
    # a row with fewer finite levels: its last one closes everything; equal shares by default
    sig = _ladder(4, 1, 97.0, [102.0, NAN])
    t = _trade(run_backtest(make_candles(rows), sig))
    assert (t.exit_fills, t.exit_price, t.pnl) == (1, 102.0, pytest.approx(200.0))


def test_limit_fill_inside_a_bar_checks_no_target_on_that_bar():
    rows = [FLAT, (100.5, 102.5, 99, 101), (101, 104.5, 100.5, 104), FLAT]
    sig = _ladder(4, 1, 95.0, [102.0, 104.0], [0.5, 0.5], limit_price=np.r_[100.0, [NAN] * 3])
    t = _trade(run_backtest(make_candles(rows), sig))
    # filled at 100 inside bar 1, whose high 102.5 is not credited; both targets in bar 2
    assert (t.entry_bar, t.entry_price, t.exit_bar, t.exit_fills) == (1, 100.0, 2, 2)
    assert t.pnl == pytest.approx(300.0)


def test_time_exit_closes_the_remainder_and_stats_count_trades():
    rows = [FLAT, ENTRY_BAR, (100.5, 102.5, 100, 101), (101, 101.5, 100, 101), FLAT]
    r = run_backtest(make_candles(rows), _ladder(5, 1, 97.0, [102.0, 104.0], [0.5, 0.5], max_holding=2))
    t = _trade(r)
    # 50 at 102 (+100), 50 at the close of bar 2, 101 (+50)
    assert (t.exit_bar, t.exit_reason, t.exit_fills) == (2, "time", 2)
    assert t.pnl == pytest.approx(150.0)
    stats = compute_stats(r, "1h", bootstrap=BlockBootstrap(n_boot=10))
    assert (stats.n_trades, stats.win_rate) == (1, 1.0)
    assert (stats.mean_bars_held, stats.max_bars_held) == (2.0, 2)  # bars 1 and 2
    assert stats.exposure == pytest.approx(2 / 5)


def test_one_level_ladder_equals_a_plain_take_profit_and_pnl_adds_up():
    candles = random_candles(600, seed=5)
    spec = ExitSpec(take_profit=0.012, stop_loss=0.008, unit="pct")
    tp, sl = barrier_levels(candles, spec, "long")
    direction = np.zeros(len(candles), dtype=np.int8)
    direction[::4] = 1
    direction[-1] = 0
    cfg = BacktestConfig(fee_bps=7, slippage_bps=3)
    plain = run_backtest(candles, SignalArrays.build(direction, stop=sl, take_profit=tp, max_holding=6), cfg)
    one = run_backtest(candles, SignalArrays.build(
        direction, stop=sl, max_holding=6, partial_take_profit=tp[:, None]), cfg)
    np.testing.assert_array_equal(one.equity, plain.equity)
    for column in ("entry_bar", "exit_bar", "units", "exit_price", "fees", "pnl", "exit_reason"):
        np.testing.assert_array_equal(one.trades[column], plain.trades[column])
    spec3 = [spec.model_copy(update={"take_profit": m}) for m in (0.004, 0.008, 0.012)]
    ladder = np.stack([barrier_levels(candles, s, "long")[0] for s in spec3], axis=1)
    three = run_backtest(candles, SignalArrays.build(
        direction, stop=sl, max_holding=6, partial_take_profit=ladder,
        partial_fractions=[0.5, 0.25, 0.25]), cfg)
    trades = three.trades
    assert (trades.exit_fills > 1).sum() > 20
    assert three.final_equity == pytest.approx(10_000 + trades.pnl.sum(), rel=1e-12)
    stats = compute_stats(three, "1h", bootstrap=BlockBootstrap(n_boot=10))
    assert stats.n_trades == len(trades) == len(plain.trades)


def test_bad_ladders_are_refused():
    with pytest.raises(DataError, match="sum to 1"):
        _ladder(3, 1, 97.0, [102.0, 104.0], [0.5, 0.4])
    with pytest.raises(DataError, match="ascending for a long"):
        _ladder(3, 1, 97.0, [104.0, 102.0])
    with pytest.raises(DataError, match="descending for a short"):
        _ladder(3, -1, 103.0, [96.0, 98.0])
    with pytest.raises(DataError, match="follows a NaN"):
        _ladder(3, 1, 97.0, [NAN, 102.0])
    with pytest.raises(DataError, match="without partial_take_profit"):
        SignalArrays.build(np.zeros(3), partial_fractions=[1.0])
    with pytest.raises(DataError, match="one fraction per target"):
        _ladder(3, 1, 97.0, [102.0, 104.0], [1.0])


def test_signals_from_probabilities_build_the_ladder_in_the_exit_unit():
    candles = random_candles(60, seed=2)
    exits = ExitSpec(take_profit=3.0, stop_loss=2.0, unit="atr", atr_period=5, max_holding=8)
    proba = np.tile([0.3, 0.7], (len(candles), 1))
    proba[1::2] = [0.8, 0.2]
    cfg = TradePolicy(exits=exits, max_holding=8, take_profit_ladder=[1.0, 2.0, 3.0])
    sig = signals_from_probabilities(proba, ("DOWN", "UP"), candles, cfg)
    np.testing.assert_allclose(sig.partial_fractions, [1 / 3] * 3)
    for k, m in enumerate((1.0, 2.0, 3.0)):
        spec = exits.model_copy(update={"take_profit": m})
        tp_long, _ = barrier_levels(candles, spec, "long")
        tp_short, _ = barrier_levels(candles, spec, "short")
        want = np.where(sig.direction > 0, tp_long, np.where(sig.direction < 0, tp_short, np.nan))
        np.testing.assert_array_equal(sig.partial_take_profit[:, k], want)
    np.testing.assert_array_equal(sig.take_profit, sig.partial_take_profit[:, -1])
    assert (sig.direction[6:-1] != 0).all()
    kelly = TradePolicy(exits=exits, max_holding=8, take_profit_ladder=[1.0, 3.0],
                        partial_fractions=[0.5, 0.5], sizing="kelly",
                         kelly_multiplier=1.0, cap=1.0)
    sig = signals_from_probabilities(proba, ("DOWN", "UP"), candles, kelly)
    # b = (0.5·1 + 0.5·3) / 2 = 1: f = 0.7·1 − 0.3 = 0.4 for the UP rows
    assert sig.size[6] == pytest.approx(0.4)
    result, stats = backtest_probabilities(
        candles, proba, ("DOWN", "UP"), cfg, timeframe="1h", start=10
    )
    assert stats.n_trades == len(result.trades) > 0
    with pytest.raises(ValueError, match="strictly ascending"):
        TradePolicy(exits=exits, take_profit_ladder=[2.0, 1.0])
    with pytest.raises(ValueError, match="sum to 1"):
        TradePolicy(exits=exits, take_profit_ladder=[1.0, 2.0], partial_fractions=[0.5, 0.6])
    with pytest.raises(ValueError, match="without take_profit_ladder"):
        TradePolicy(exits=exits, partial_fractions=[1.0])
