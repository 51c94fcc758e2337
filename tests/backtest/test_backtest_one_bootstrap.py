"""One block bootstrap: the MCC and the Sharpe intervals draw the very same resamples, and
every interval follows the experiment's n_boot, block and level."""

from __future__ import annotations

import math

import numpy as np
import pytest
from backtest_helpers import make_candles, random_candles
from sklearn.metrics import matthews_corrcoef

from tradewind.backtest import (
    BacktestConfig,
    SignalArrays,
    backtest_probabilities,
    compute_stats,
    run_backtest,
)
from tradewind.block_bootstrap import DEFAULT_BLOCK, BlockBootstrap
from tradewind.evaluation import moving_block_bootstrap_ci
from tradewind.exceptions import ConfigError
from tradewind.labels import ExitSpec
from tradewind.policy import TradePolicy


def _traded(n: int = 600, seed: int = 5):
    candles = random_candles(n, seed=seed)
    d = np.zeros(n, dtype=np.int8)
    d[::7] = 1
    d[3::7] = -1
    return run_backtest(candles, SignalArrays.build(d, max_holding=3), BacktestConfig(fee_bps=2))


def test_chunking_never_changes_the_block_starts() -> None:
    spec = BlockBootstrap(n_boot=101, block=5)
    whole = np.vstack(list(spec.block_starts(83, 5, seed=9)))
    for cells in (17, 170, 1):
        chunks = list(spec.block_starts(83, 5, seed=9, max_cells=cells))
        assert len(chunks) > 1
        np.testing.assert_array_equal(np.vstack(chunks), whole)
    assert whole.shape == (101, 17) and whole.min() >= 0 and whole.max() <= 83 - 5
    rows = spec.resample_rows(83, 5, seed=9)
    assert rows.shape == (101, 83)
    np.testing.assert_array_equal(rows[:, :5], whole[:, :1] + np.arange(5))
    np.testing.assert_array_equal(rows[:, -3:], whole[:, -1:] + np.arange(3))  # cut last block


def test_the_mcc_and_the_sharpe_intervals_resample_the_same_rows() -> None:
    """Same seed and settings: both callers' intervals are percentiles over one index set."""
    spec = BlockBootstrap(n_boot=120, block=10, level=0.9)
    result = _traded()
    n = len(result.equity)
    rows = spec.resample_rows(n, 10, seed=4)

    stats = compute_stats(result, "1h", bootstrap=spec, seed=4)
    r = np.concatenate([[result.equity[0] / 10_000 - 1], result.equity[1:] / result.equity[:-1] - 1])
    resampled = r[rows]
    sharpe = resampled.mean(axis=1) / resampled.std(axis=1, ddof=1) * math.sqrt(stats.bars_per_year)
    lo, hi = np.quantile(sharpe, [0.05, 0.95])
    assert (stats.sharpe_ci_low, stats.sharpe_ci_high) == pytest.approx((lo, hi), rel=1e-9)

    rng = np.random.default_rng(0)
    y = (r > 0).astype(np.int64)
    pred = np.where(rng.random(n) < 0.7, y, 1 - y)
    boot = moving_block_bootstrap_ci(y, {"model": pred}, block=10, n_boot=120, seed=4, level=0.9)
    mcc = [matthews_corrcoef(y[i], pred[i]) for i in rows]
    lo, hi = np.quantile(mcc, [0.05, 0.95])
    interval = boot.predictors["model"].mcc
    assert (interval.lower, interval.upper) == pytest.approx((lo, hi), rel=1e-9)
    assert boot.method == stats.sharpe_ci_method.replace("bars", "rows")


def test_every_setting_is_honoured_and_labelled() -> None:
    result = _traded()
    wide = compute_stats(result, "1h", bootstrap=BlockBootstrap(n_boot=300, block=6, level=0.95))
    narrow = compute_stats(result, "1h", bootstrap=BlockBootstrap(n_boot=300, block=6, level=0.5))
    assert narrow.sharpe_ci_low > wide.sharpe_ci_low and narrow.sharpe_ci_high < wide.sharpe_ci_high
    assert (narrow.sharpe_ci_level, narrow.sharpe_ci_block, narrow.sharpe_ci_n_boot) == (0.5, 6, 300)
    assert narrow.sharpe_ci_method == "moving-block bootstrap, block 6 bars, 300 resamples, 50 % level"
    default = compute_stats(result, "1h")
    assert (default.sharpe_ci_block, default.sharpe_ci_n_boot, default.sharpe_ci_level) == (
        DEFAULT_BLOCK, 1000, 0.95)
    assert compute_stats(result, "1h", horizon=40).sharpe_ci_block == 40  # never below holding
    d = narrow.to_dict()
    assert d["sharpe_ci_level"] == 0.5 and d["sharpe_ci_method"].startswith("moving-block")
    with pytest.raises(ConfigError, match="level"):
        BlockBootstrap(level=1.0)


def test_backtest_probabilities_passes_the_settings_and_blocks_cover_the_holding() -> None:
    candles = random_candles(800, seed=2)
    proba = np.tile([0.3, 0.7], (len(candles), 1))
    proba[::5] = [0.8, 0.2]
    exits = ExitSpec(take_profit=3.0, stop_loss=2.0, max_holding=30)
    spec = BlockBootstrap(n_boot=150, block=8, level=0.8)
    policy = TradePolicy(exits=exits, max_holding=30)
    result, stats = backtest_probabilities(candles, proba, ["DOWN", "UP"], policy,
                                           timeframe="1h", start=20, seed=7, bootstrap=spec)
    assert (stats.sharpe_ci_n_boot, stats.sharpe_ci_level, stats.sharpe_ci_block) == (150, 0.8, 30)
    again = compute_stats(result, "1h", bootstrap=spec, horizon=30, seed=7)
    assert (again.sharpe_ci_low, again.sharpe_ci_high) == (stats.sharpe_ci_low, stats.sharpe_ci_high)


def test_exposure_counts_bars_held_inside_the_bar() -> None:
    """Trades that open at a bar's open and close before its close are exposure too."""
    flat = (100.0, 100.5, 99.5, 100.0)
    rows = [flat] * 12
    d = np.zeros(12, dtype=np.int8)
    d[[0, 4, 8]] = 1  # fills at the opens of bars 1, 5, 9; time exit at their closes
    result = run_backtest(make_candles(rows), SignalArrays.build(d, max_holding=1))
    assert len(result.trades) == 3 and not result.position.any()  # never held at a close
    stats = compute_stats(result, "1h", bootstrap=BlockBootstrap(n_boot=10))
    assert stats.exposure == pytest.approx(3 / 12)
    assert (stats.mean_bars_held, stats.max_bars_held) == (1.0, 1)


def test_holding_statistics_agree_with_the_trades() -> None:
    result = _traded(900, seed=1)
    stats = compute_stats(result, "1h", bootstrap=BlockBootstrap(n_boot=10))
    trades = result.trades
    assert stats.n_trades == len(trades) > 50
    assert stats.exposure > 0
    timed = trades[trades.exit_reason == "time"]
    assert len(timed) and ((timed.exit_bar - timed.entry_bar + 1) == 3).all()
    assert stats.max_bars_held == 3 and 1 <= stats.mean_bars_held <= 3
    held = np.zeros(len(result.equity), dtype=bool)
    for row in trades.itertuples():
        held[row.entry_bar:row.exit_bar + (row.exit_reason != "signal")] = True
    assert stats.exposure == pytest.approx(np.mean(held | (result.position != 0)))
