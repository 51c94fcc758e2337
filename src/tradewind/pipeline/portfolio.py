"""The portfolio of a run over several series: every symbol's fitted policy traded side by
side out of sample, each after its own costs, with a Sharpe interval.

Each symbol's bar returns come from its own out-of-sample backtest (the policy fitted on
its validation rows, costs included). The portfolio holds the symbols at equal risk:
weights inverse to each symbol's close-to-close volatility on its first fold's training
rows, known before any test bar. A symbol without a bar at some time contributes nothing
then. The Sharpe interval resamples moving blocks of the portfolio's bars, so every
symbol's bars at one time move together.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from tradewind.backtest.stats import sharpe_interval
from tradewind.block_bootstrap import BlockBootstrap
from tradewind.config import Experiment
from tradewind.exceptions import DataError
from tradewind.pipeline.policy import TradedPolicy
from tradewind.timeframes import bars_per_year, trading_days_per_year

__all__ = ["portfolio_backtest", "risk_of"]

_MAX_CURVE_POINTS = 2000


def risk_of(last_return: np.ndarray, rows: np.ndarray, symbol: str) -> float:
    """Close-to-close volatility of ``last_return`` over ``rows`` (a symbol's first training
    rows): the risk its portfolio weight divides by."""
    r = np.asarray(last_return, dtype=np.float64)[np.asarray(rows, dtype=np.int64)]
    sd = float(np.nanstd(r[np.isfinite(r)])) if np.isfinite(r).sum() > 1 else 0.0
    if not sd > 0:
        raise DataError(
            f"portfolio: symbol {symbol!r} has no price variation on its first training rows, "
            "so it has no risk to weight by; drop it or check its candles"
        )
    return sd


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(float(x)) else None


def _bar_returns(traded: TradedPolicy) -> pd.Series:
    result = traded.result
    equity = np.asarray(result.equity, dtype=np.float64)
    prev = np.concatenate([[result.initial_equity], equity[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(prev > 0, equity / prev - 1.0, 0.0)
    return pd.Series(r, index=pd.DatetimeIndex(result.index))


def portfolio_backtest(
    exp: Experiment, symbols: Sequence[str], traded: Sequence[TradedPolicy],
    risk: Sequence[float], timeframe: str,
) -> dict[str, Any]:
    """The pooled ``backtest`` section: equal-risk portfolio of the symbols' fitted policies."""
    returns = pd.DataFrame({name: _bar_returns(t) for name, t in zip(symbols, traded, strict=True)})
    returns = returns.sort_index().fillna(0.0)
    inverse = 1.0 / np.asarray(risk, dtype=np.float64)
    weights = inverse / inverse.sum()
    r = returns.to_numpy() @ weights
    bootstrap = BlockBootstrap(**exp.bootstrap.model_dump())
    block = min(max(int(t.stats.sharpe_ci_block) for t in traded), len(r))
    sharpe, lo, hi = sharpe_interval(r, bootstrap, block, exp.seed)
    scale = math.sqrt(bars_per_year(timeframe, trading_days=trading_days_per_year(returns.index)))
    initial = exp.backtest.initial_equity
    equity = initial * np.cumprod(1.0 + r)
    peak = np.maximum.accumulate(np.concatenate([[initial], equity]))
    keep = np.arange(0, len(equity), max(len(equity) // _MAX_CURVE_POINTS, 1))

    def annual(x: float) -> float | None:
        return None if not math.isfinite(x) else x * scale

    return {
        "kind": "portfolio",
        "weighting": "equal risk: weights inverse to each symbol's close-to-close volatility "
                     "on its first fold's training rows",
        "weights": {name: float(w) for name, w in zip(symbols, weights, strict=True)},
        "n_trades": int(sum(len(t.result.trades) for t in traded)),
        "n_bars": len(r),
        "sharpe": annual(sharpe),
        "sharpe_ci_low": annual(lo),
        "sharpe_ci_high": annual(hi),
        "sharpe_ci_level": bootstrap.level,
        "sharpe_ci_block": block,
        "sharpe_ci_n_boot": bootstrap.n_boot,
        "sharpe_ci_method": bootstrap.describe(block, "bars") + ", symbols resampled jointly",
        "total_return": float(equity[-1] / initial - 1.0) if len(equity) else 0.0,
        "max_drawdown": float((1.0 - np.concatenate([[initial], equity]) / peak).max()),
        "costs": {"fee_bps": exp.backtest.fee_bps, "slippage_bps": exp.backtest.slippage_bps,
                  "applied": "per symbol, in its own backtest"},
        "symbols": {name: {"sharpe": _finite(t.stats.sharpe), "n_trades": len(t.result.trades),
                           "total_return": _finite(t.stats.total_return)}
                    for name, t in zip(symbols, traded, strict=True)},
        "equity": {"timestamp": [returns.index[i].isoformat() for i in keep],
                   "value": equity[keep].round(6).tolist()},
    }
