"""The out-of-sample backtest of an experiment: walk-forward probabilities → trades.

Only bars with an out-of-sample prediction may open a trade; every other bar is flat.
The candles span the first to the last out-of-sample bar plus the holding period, so
buy-and-hold is measured over the same stretch of time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tradewind.backtest import BacktestConfig, BacktestStats, backtest_probabilities
from tradewind.block_bootstrap import BlockBootstrap
from tradewind.config import Experiment

if TYPE_CHECKING:
    from tradewind.pipeline.experiment import OutOfSample
    from tradewind.pipeline.prepare import Prepared

__all__ = ["oos_backtest"]

_MAX_CURVE_POINTS = 2000


def oos_backtest(exp: Experiment, prep: Prepared, oos: OutOfSample) -> tuple[BacktestStats, dict[str, Any]]:
    """Backtest the calibrated out-of-sample probabilities after fees and slippage.

    Returns the statistics and the report's ``backtest`` section (statistics, costs,
    trade count by exit reason, and a down-sampled equity curve beside buy-and-hold).
    """
    spec = exp.backtest
    exits = spec.exit_spec(exp.labels)
    holding = exits.holding_bars(exp.labels.horizon)
    candle_rows = prep.candles.index.get_indexer(prep.index[oos.rows])
    first, stop = int(candle_rows[0]), min(int(candle_rows[-1]) + holding + 2, len(prep.candles))
    warm = max(first - 4 * exits.atr_period, 0)  # the exits' ATR needs bars before the first trade
    candles = prep.candles.iloc[warm:stop]
    proba = np.full((len(candles), len(prep.classes)), np.nan)
    proba[candle_rows - warm] = oos.probs
    config = BacktestConfig(
        initial_equity=spec.initial_equity, fee_bps=spec.fee_bps, slippage_bps=spec.slippage_bps,
        long_only=spec.signal.long_only,
    )
    result, stats = backtest_probabilities(
        candles, proba, prep.classes, exits, horizon=exp.labels.horizon,
        timeframe=prep.timeframe, start=first - warm, signal=spec.signal, config=config,
        seed=exp.seed, bootstrap=BlockBootstrap(**exp.bootstrap.model_dump()),
    )
    section = {
        **stats.to_dict(),
        "costs": {"fee_bps": spec.fee_bps, "slippage_bps": spec.slippage_bps},
        "exits": exits.model_copy(update={"max_holding": holding}).model_dump(mode="json"),
        "exit_reasons": result.trades["exit_reason"].value_counts().to_dict(),
        "equity": _curve(result.index, result.equity, result.close, spec.initial_equity),
    }
    return stats, section


def _curve(index: Any, equity: np.ndarray, close: np.ndarray, initial: float) -> dict[str, list]:
    step = max(len(equity) // _MAX_CURVE_POINTS, 1)
    keep = np.arange(0, len(equity), step)
    hold = initial * close / close[0]
    return {
        "timestamp": [index[i].isoformat() for i in keep],
        "value": equity[keep].round(6).tolist(),
        "buy_and_hold": hold[keep].round(6).tolist(),
    }
