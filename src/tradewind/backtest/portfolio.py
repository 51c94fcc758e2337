"""Several symbols' backtests held side by side at equal risk, with a Sharpe interval.

Each symbol's bar returns come from its own backtest (its own policy and costs). The
portfolio holds the symbols at equal risk: weights inverse to each symbol's
close-to-close volatility measured before its first traded bar (the caller says on which
bars). A symbol without a bar at some time contributes nothing then. The Sharpe interval
resamples moving blocks of the portfolio's bars, so every symbol's bars at one time move
together and their correlation is not mistaken for independent evidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tradewind.backtest.engine import BacktestResult
from tradewind.backtest.stats import BacktestStats, sharpe_interval
from tradewind.block_bootstrap import BlockBootstrap
from tradewind.exceptions import DataError
from tradewind.timeframes import bars_per_year, trading_days_per_year

__all__ = ["equal_risk_portfolio", "volatility"]

_MAX_CURVE_POINTS = 2000


def volatility(last_return: np.ndarray, symbol: str, where: str) -> float:
    """Close-to-close volatility of ``last_return`` (the bars known before trading, ``where``
    names them in the error): the risk a symbol's portfolio weight divides by."""
    r = np.asarray(last_return, dtype=np.float64)
    r = r[np.isfinite(r)]
    sd = float(np.std(r)) if len(r) > 1 else 0.0
    if not sd > 0:
        raise DataError(
            f"portfolio: symbol {symbol!r} has no price variation on {where}, so it has no "
            "risk to weight by; drop it or check its candles"
        )
    return sd


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(float(x)) else None


def _bar_returns(result: BacktestResult) -> pd.Series:
    equity = np.asarray(result.equity, dtype=np.float64)
    prev = np.concatenate([[result.initial_equity], equity[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(prev > 0, equity / prev - 1.0, 0.0)
    return pd.Series(r, index=pd.DatetimeIndex(result.index))


def equal_risk_portfolio(
    backtests: Mapping[str, tuple[BacktestResult, BacktestStats]],
    risk: Mapping[str, float],
    *,
    timeframe: str,
    bootstrap: BlockBootstrap,
    seed: int,
    initial_equity: float,
    weighting: str,
    costs: dict[str, Any],
) -> dict[str, Any]:
    """The portfolio of ``backtests`` (symbol → its result and statistics) weighted by
    ``1 / risk[symbol]``: weights, trades, bars, annualised Sharpe with its interval (blocks
    of the longest block any symbol's own interval used), return, drawdown, each symbol's
    own figures and an equity curve of at most 2,000 points. ``weighting`` and ``costs``
    say in words how the weights were measured and the costs applied."""
    symbols = list(backtests)
    returns = pd.DataFrame({name: _bar_returns(backtests[name][0]) for name in symbols})
    returns = returns.sort_index().fillna(0.0)
    inverse = 1.0 / np.asarray([risk[name] for name in symbols], dtype=np.float64)
    weights = inverse / inverse.sum()
    r = returns.to_numpy() @ weights
    block = min(max(int(stats.sharpe_ci_block) for _, stats in backtests.values()), len(r))
    sharpe, lo, hi = sharpe_interval(r, bootstrap, block, seed)
    scale = math.sqrt(bars_per_year(timeframe, trading_days=trading_days_per_year(returns.index)))
    equity = initial_equity * np.cumprod(1.0 + r)
    peak = np.maximum.accumulate(np.concatenate([[initial_equity], equity]))
    keep = np.arange(0, len(equity), max(len(equity) // _MAX_CURVE_POINTS, 1))

    def annual(x: float) -> float | None:
        return None if not math.isfinite(x) else x * scale

    return {
        "kind": "portfolio",
        "weighting": weighting,
        "weights": {name: float(w) for name, w in zip(symbols, weights, strict=True)},
        "n_trades": int(sum(len(result.trades) for result, _ in backtests.values())),
        "n_bars": len(r),
        "sharpe": annual(sharpe),
        "sharpe_ci_low": annual(lo),
        "sharpe_ci_high": annual(hi),
        "sharpe_ci_level": bootstrap.level,
        "sharpe_ci_block": block,
        "sharpe_ci_n_boot": bootstrap.n_boot,
        "sharpe_ci_method": bootstrap.describe(block, "bars") + ", symbols resampled jointly",
        "total_return": float(equity[-1] / initial_equity - 1.0) if len(equity) else 0.0,
        "max_drawdown": float((1.0 - np.concatenate([[initial_equity], equity]) / peak).max()),
        "costs": costs,
        "symbols": {name: {"sharpe": _finite(stats.sharpe), "n_trades": len(result.trades),
                           "total_return": _finite(stats.total_return)}
                    for name, (result, stats) in backtests.items()},
        "equity": {"timestamp": [returns.index[i].isoformat() for i in keep],
                   "value": equity[keep].round(6).tolist()},
    }
