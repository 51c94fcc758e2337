"""The portfolio of a run over several series: every symbol's fitted policy traded side by
side out of sample, each after its own costs, with a Sharpe interval.

Each symbol's bar returns come from its own out-of-sample backtest (the policy fitted on
its validation rows, costs included), held at equal risk by
:func:`tradewind.backtest.portfolio.equal_risk_portfolio`: weights inverse to each
symbol's close-to-close volatility on its first fold's training rows, known before any
test bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tradewind.backtest.portfolio import equal_risk_portfolio, volatility
from tradewind.block_bootstrap import BlockBootstrap
from tradewind.config import Experiment
from tradewind.pipeline.policy import TradedPolicy

__all__ = ["portfolio_backtest", "risk_of"]


def risk_of(last_return: np.ndarray, rows: np.ndarray, symbol: str) -> float:
    """Close-to-close volatility of ``last_return`` over ``rows`` (a symbol's first training
    rows): the risk its portfolio weight divides by."""
    r = np.asarray(last_return, dtype=np.float64)[np.asarray(rows, dtype=np.int64)]
    return volatility(r, symbol, "its first training rows")


def portfolio_backtest(
    exp: Experiment, symbols: Sequence[str], traded: Sequence[TradedPolicy],
    risk: Sequence[float], timeframe: str,
) -> dict[str, Any]:
    """The pooled ``backtest`` section: equal-risk portfolio of the symbols' fitted policies."""
    return equal_risk_portfolio(
        {name: (t.result, t.stats) for name, t in zip(symbols, traded, strict=True)},
        dict(zip(symbols, risk, strict=True)), timeframe=timeframe,
        bootstrap=BlockBootstrap(**exp.bootstrap.model_dump()), seed=exp.seed,
        initial_equity=exp.backtest.initial_equity,
        weighting="equal risk: weights inverse to each symbol's close-to-close volatility "
                  "on its first fold's training rows",
        costs={"fee_bps": exp.backtest.fee_bps, "slippage_bps": exp.backtest.slippage_bps,
               "applied": "per symbol, in its own backtest"},
    )
