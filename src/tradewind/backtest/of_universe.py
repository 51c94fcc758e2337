"""Backtest several symbols of a run's bundle folder as one equal-risk portfolio.

Each symbol is traded by its own bundle (:func:`~tradewind.backtest.of_bundle.backtest_bundle`:
its policy, bars after its training data only unless asked) on its own candles, and the
symbols are held at equal risk (:func:`~tradewind.backtest.portfolio.equal_risk_portfolio`):
weights inverse to each symbol's close-to-close volatility on the given bars before its
first traded bar, which are known before trading.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradewind.artifacts.universe import bundle_for, read_universe_index
from tradewind.backtest.engine import BacktestConfig
from tradewind.backtest.of_bundle import BundleBacktest, backtest_bundle
from tradewind.backtest.portfolio import equal_risk_portfolio, volatility
from tradewind.block_bootstrap import BlockBootstrap
from tradewind.exceptions import ConfigError

__all__ = ["UniverseBacktest", "backtest_universe"]


@dataclass(frozen=True)
class UniverseBacktest:
    """Each symbol's backtest and the portfolio of them (a ``kind: portfolio`` dict)."""

    symbols: dict[str, BundleBacktest]
    portfolio: dict[str, Any]


def _risk_before(candles: pd.DataFrame, start: pd.Timestamp, symbol: str) -> float:
    close = candles["close"].loc[:start].to_numpy(dtype=np.float64)[:-1]  # bars before start
    return volatility(close[1:] / close[:-1] - 1.0, symbol,
                      f"the {len(close)} given bars before its first traded bar {start}")


def backtest_universe(
    path: str | Path,
    candles: Mapping[str, pd.DataFrame],
    *,
    policy_overrides: dict[str, Any] | None = None,
    config: BacktestConfig | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    allow_in_sample: bool = False,
    seed: int = 0,
    bootstrap: BlockBootstrap | None = None,
    references: Mapping[str, pd.DataFrame] | None = None,
) -> UniverseBacktest:
    """Backtest the symbols of ``candles`` (symbol → its candles, two or more, each a symbol
    of the universe at ``path``) with their own bundles, and their equal-risk portfolio.

    ``policy_overrides`` (``policy.*`` keys) apply to every symbol's policy, ``config`` (the
    costs) to every symbol's backtest; the rest is :func:`backtest_bundle`'s.
    """
    if len(candles) < 2:
        raise ConfigError(f"a portfolio backtest needs two symbols or more; got "
                          f"{', '.join(candles) or 'none'} (backtest one with --symbol)")
    index = read_universe_index(path)
    for symbol in candles:
        index.folder(symbol)  # unknown symbols are refused before any work
    bootstrap = bootstrap or BlockBootstrap()
    done: dict[str, BundleBacktest] = {}
    risk: dict[str, float] = {}
    timeframe = index.timeframe
    for symbol, frame in candles.items():
        bundle = bundle_for(path, symbol)
        policy = bundle.policy.with_overrides(policy_overrides or {}, "--set")
        done[symbol] = backtest_bundle(
            bundle, frame, policy=policy, config=config, start=start, end=end,
            allow_in_sample=allow_in_sample, seed=seed, bootstrap=bootstrap,
            references=references)
        risk[symbol] = _risk_before(frame, done[symbol].start, symbol)
        timeframe = timeframe or str(bundle.check_timeframe(frame, "backtest"))
    costs = config or BacktestConfig()
    portfolio = equal_risk_portfolio(
        {s: (d.result, d.stats) for s, d in done.items()}, risk, timeframe=str(timeframe),
        bootstrap=bootstrap, seed=seed, initial_equity=costs.initial_equity,
        weighting="equal risk: weights inverse to each symbol's close-to-close volatility "
                  "on the given bars before its first traded bar",
        costs={"fee_bps": costs.fee_bps, "slippage_bps": costs.slippage_bps,
               "applied": "per symbol, in its own backtest"},
    )
    return UniverseBacktest(symbols=done, portfolio=portfolio)
