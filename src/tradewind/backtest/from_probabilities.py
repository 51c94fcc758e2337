"""Calibrated probabilities over candles → trades and statistics, in one call.

Shared by ``tradewind run`` (walk-forward out-of-sample probabilities) and
``tradewind backtest`` (a bundle on new candles), so both judge a model by the same trades.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tradewind.backtest.engine import BacktestConfig, BacktestResult, run_backtest
from tradewind.backtest.signals_arrays import signals_from_probabilities
from tradewind.backtest.stats import BacktestStats, compute_stats
from tradewind.block_bootstrap import BlockBootstrap
from tradewind.exceptions import DataError
from tradewind.policy import TradePolicy
from tradewind.timeframes import trading_days_per_year

__all__ = ["backtest_probabilities"]


def backtest_probabilities(
    candles: pd.DataFrame,
    proba: np.ndarray,
    classes: Sequence[str],
    policy: TradePolicy,
    *,
    timeframe: str,
    start: int = 0,
    config: BacktestConfig | None = None,
    seed: int = 0,
    bootstrap: BlockBootstrap | None = None,
) -> tuple[BacktestResult, BacktestStats]:
    """Trade ``proba`` [T, C] (NaN rows = no prediction, flat) with ``policy`` from row ``start``.

    Rows before ``start`` only warm up the exits' ATR; equity, buy-and-hold and every
    statistic cover ``candles[start:]``. Ratios are annualised over the weekdays when the
    candles show a market closed at weekends (:func:`trading_days_per_year`). The Sharpe
    interval follows ``bootstrap`` (the experiment's ``bootstrap:`` settings) and ``seed``,
    in blocks of at least the exits' holding period.
    """
    if not 0 <= start < len(candles) - 1:
        raise DataError(f"backtest start row {start} leaves no bars to trade in {len(candles)} candles")
    signals = signals_from_probabilities(proba, classes, candles, policy)
    result = run_backtest(candles.iloc[start:], signals.from_row(start), config)
    days = trading_days_per_year(candles.index)
    return result, compute_stats(result, timeframe, trading_days=days, seed=seed,
                                 bootstrap=bootstrap, horizon=policy.max_holding)
