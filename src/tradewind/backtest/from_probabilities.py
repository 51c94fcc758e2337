"""Calibrated probabilities over candles → trades and statistics, in one call.

Shared by ``tradewind run`` (walk-forward out-of-sample probabilities) and
``tradewind backtest`` (a bundle on new candles), so both judge a model by the same trades.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tradewind.backtest.engine import BacktestConfig, BacktestResult, run_backtest
from tradewind.backtest.signals_arrays import SignalConfig, signals_from_probabilities
from tradewind.backtest.stats import BacktestStats, compute_stats
from tradewind.block_bootstrap import BlockBootstrap
from tradewind.exceptions import DataError
from tradewind.labels import ExitSpec, LabelSpec
from tradewind.timeframes import trading_days_per_year

__all__ = ["backtest_probabilities", "default_exits"]


def default_exits(labels: LabelSpec) -> ExitSpec:
    """The labels' own exits (triple-barrier), else 3 ATR take-profit / 2 ATR stop held at
    most the label horizon: the trade a direction label describes, with a protective stop."""
    return labels.exits if labels.exits is not None else ExitSpec(take_profit=3.0, stop_loss=2.0)


def backtest_probabilities(
    candles: pd.DataFrame,
    proba: np.ndarray,
    classes: Sequence[str],
    exits: ExitSpec,
    *,
    horizon: int,
    timeframe: str,
    start: int = 0,
    signal: SignalConfig | None = None,
    config: BacktestConfig | None = None,
    seed: int = 0,
    bootstrap: BlockBootstrap | None = None,
) -> tuple[BacktestResult, BacktestStats]:
    """Simulate ``proba`` [T, C] (NaN rows = no prediction, stay flat) from row ``start`` on.

    Rows before ``start`` only warm up the exits' ATR; equity, buy-and-hold and every
    statistic cover ``candles[start:]``. Ratios are annualised over the weekdays when the
    candles show a market closed at weekends (:func:`trading_days_per_year`). The Sharpe
    interval follows ``bootstrap`` (the experiment's ``bootstrap:`` settings) and ``seed``,
    in blocks of at least the exits' holding period.
    """
    if not 0 <= start < len(candles) - 1:
        raise DataError(f"backtest start row {start} leaves no bars to trade in {len(candles)} candles")
    signals = signals_from_probabilities(
        proba, classes, candles, exits, horizon=horizon, config=signal
    )
    result = run_backtest(candles.iloc[start:], signals.from_row(start), config)
    days = trading_days_per_year(candles.index)
    return result, compute_stats(result, timeframe, trading_days=days, seed=seed,
                                 bootstrap=bootstrap, horizon=exits.holding_bars(horizon))
