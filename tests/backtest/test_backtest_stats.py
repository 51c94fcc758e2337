"""Backtest statistics against hand-computed values; annualisation per timeframe."""

from __future__ import annotations

import json
import math
import statistics
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from backtest_helpers import random_candles

from tradewind.backtest import (
    BacktestConfig,
    BacktestResult,
    SignalArrays,
    backtest_probabilities,
    compute_stats,
    deflated_sharpe_ratio,
    run_backtest,
)
from tradewind.block_bootstrap import BlockBootstrap
from tradewind.labels import ExitSpec
from tradewind.policy import TradePolicy
from tradewind.timeframes import bars_per_year, trading_days_per_year


def _result() -> BacktestResult:
    trades = pd.DataFrame(
        {
            "entry_bar": [0, 1, 3],
            "exit_bar": [1, 2, 3],
            "exit_reason": ["signal", "signal", "end"],
            "units": [1.0, 1.0, 1.0],
            "entry_price": [100.0, 110.0, 99.0],
            "exit_price": [110.0, 99.0, 121.0],
            "pnl": [10.0, -11.0, 22.0],
            "return": [0.1, -0.1, 0.2],
        }
    )
    index = pd.date_range("2024-01-01", periods=4, freq="1d", tz="UTC", name="timestamp")
    return BacktestResult(
        trades=trades,
        equity=np.array([110.0, 99.0, 99.0, 121.0]),
        position=np.array([1, 1, 0, 1], dtype=np.int8),
        initial_equity=100.0,
        close=np.array([100.0, 90.0, 95.0, 120.0]),
        index=index,
    )


def test_stats_hand_computed():
    s = compute_stats(_result(), "1d", bootstrap=BlockBootstrap(n_boot=200))
    r = [0.1, -0.1, 0.0, 121 / 99 - 1]
    sharpe_bar = statistics.mean(r) / statistics.stdev(r)
    downside = math.sqrt((0.1**2) / 4)
    assert s.n_trades == 3
    assert s.win_rate == pytest.approx(2 / 3)
    assert s.avg_win == pytest.approx(0.15)
    assert s.avg_loss == pytest.approx(-0.1)
    assert s.profit_factor == pytest.approx(32 / 11)
    assert s.expectancy == pytest.approx(0.2 / 3)
    assert s.total_return == pytest.approx(0.21)
    assert s.cagr == pytest.approx(1.21 ** (365.25 / 4) - 1)
    assert s.sharpe == pytest.approx(sharpe_bar * math.sqrt(365.25))
    assert s.sortino == pytest.approx(statistics.mean(r) / downside * math.sqrt(365.25))
    assert s.max_drawdown == pytest.approx(0.1)
    assert s.max_drawdown_bars == 2
    assert s.exposure == pytest.approx(0.75)
    assert (s.mean_bars_held, s.max_bars_held) == (1.0, 1)
    assert s.turnover == pytest.approx((210 + 209 + 220) / 107.25)
    assert s.buy_and_hold_return == pytest.approx(0.2)
    assert (s.bars, s.n_trials, s.bars_per_year) == (4, 1, 365.25)


def test_annualisation_follows_the_timeframe():
    res = _result()
    day = compute_stats(res, "1d", bootstrap=BlockBootstrap(n_boot=50))
    hour = compute_stats(res, "1h", bootstrap=BlockBootstrap(n_boot=50))
    five = compute_stats(res, "5m", bootstrap=BlockBootstrap(n_boot=50))
    equities = compute_stats(res, "1d", trading_days=252, bootstrap=BlockBootstrap(n_boot=50))
    assert hour.sharpe / day.sharpe == pytest.approx(math.sqrt(24))
    assert five.sharpe / day.sharpe == pytest.approx(math.sqrt(288))
    assert equities.sharpe / day.sharpe == pytest.approx(math.sqrt(252 / 365.25))
    assert hour.bars_per_year == pytest.approx(8766.0)
    assert hour.cagr > day.cagr  # the same gain over fewer years


def test_to_dict_is_json_safe():
    res = _result()
    wins_only = BacktestResult(
        trades=res.trades.iloc[[0, 2]], equity=res.equity, position=res.position,
        initial_equity=100.0, close=res.close, index=res.index,
    )
    d = compute_stats(wins_only, "1h", bootstrap=BlockBootstrap(n_boot=50)).to_dict()
    assert d["profit_factor"] is None and d["avg_loss"] is None  # inf and NaN
    json.dumps(d, allow_nan=False)
    assert d["n_trades"] == 2


def test_deflated_sharpe_hand_computed_and_falls_with_trials():
    rng = np.random.default_rng(1)
    r = rng.normal(0.001, 0.01, 500)
    z = (r - r.mean()) / r.std()
    skew, kurt = float(np.mean(z**3)), float(np.mean(z**4))
    sr = r.mean() / r.std(ddof=1)
    psr = NormalDist().cdf(sr * math.sqrt(499) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2))
    assert deflated_sharpe_ratio(r, 1) == pytest.approx(psr)
    n, g = 100, 0.5772156649015329
    sr_star = (1 / math.sqrt(499)) * (
        (1 - g) * NormalDist().inv_cdf(1 - 1 / n) + g * NormalDist().inv_cdf(1 - 1 / (n * math.e))
    )
    expected = NormalDist().cdf(
        (sr - sr_star) * math.sqrt(499) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    )
    assert deflated_sharpe_ratio(r, n) == pytest.approx(expected)
    assert deflated_sharpe_ratio(r, 1000) < deflated_sharpe_ratio(r, 10) < psr


def test_bootstrap_interval_brackets_the_sharpe_and_is_seeded():
    candles = random_candles(3000, seed=5)
    d = np.zeros(3000, dtype=np.int8)
    d[::20] = 1
    d[10::20] = -1
    res = run_backtest(candles, SignalArrays.build(d), BacktestConfig(fee_bps=5))
    a = compute_stats(res, "1h", n_trials=20, seed=3)
    b = compute_stats(res, "1h", n_trials=20, seed=3)
    assert a == b
    assert a.sharpe_ci_low < a.sharpe < a.sharpe_ci_high
    assert 0.0 <= a.deflated_sharpe <= 1.0
    assert a.n_trades == len(res.trades) > 100
    assert 0.9 < a.exposure <= 1.0


def test_markets_closed_at_weekends_are_annualised_over_weekdays():
    hours = pd.date_range("2024-01-01", periods=24 * 7 * 8, freq="1h", tz="UTC")
    weekdays = hours[hours.day_of_week < 5]
    fx = weekdays.append(hours[(hours.day_of_week == 6) & (hours.hour >= 22)]).sort_values()
    assert trading_days_per_year(hours) is None  # around the clock: crypto
    assert trading_days_per_year(weekdays) == pytest.approx(365.25 * 5 / 7)
    assert trading_days_per_year(fx) == pytest.approx(365.25 * 5 / 7)  # Sunday-evening open
    assert trading_days_per_year(weekdays[:24 * 5]) is None  # one week says too little
    weekly = pd.date_range("2020-01-06", periods=100, freq="7D", tz="UTC")  # Mondays
    assert bars_per_year("1w", trading_days=trading_days_per_year(weekly)) == pytest.approx(
        365.25 / 7)
    assert bars_per_year("1h", trading_days=trading_days_per_year(fx)) == pytest.approx(
        365.25 * 5 / 7 * 24)


def test_the_backtest_annualises_a_weekday_market_over_weekdays():
    candles = random_candles(24 * 7 * 8, seed=4)
    closed = candles[candles.index.day_of_week < 5]  # no weekend bars: FX, gold
    proba = np.tile([0.4, 0.6], (len(closed), 1))
    proba[::3] = [0.9, 0.1]
    exits = ExitSpec(take_profit=3.0, stop_loss=2.0)
    policy = TradePolicy(exits=exits, max_holding=4)
    result, stats = backtest_probabilities(closed, proba, ["DOWN", "UP"], policy,
                                           timeframe="1h", start=20)
    around_the_clock = compute_stats(result, "1h", bootstrap=BlockBootstrap(n_boot=50))
    assert stats.bars_per_year == pytest.approx(365.25 * 5 / 7 * 24)
    assert around_the_clock.bars_per_year == pytest.approx(8766.0)
    assert stats.n_trades > 10
    assert stats.sharpe == pytest.approx(around_the_clock.sharpe * math.sqrt(5 / 7))
