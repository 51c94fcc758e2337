"""Test helpers: fill a signal log's outcomes from its own stored candles."""

from __future__ import annotations

import pandas as pd

from tradewind.live import SignalLog

ROUND_TRIP = 14e-4  # 5 bp fee + 2 bp slippage per side, as the run's backtest


def fill_outcomes(log: SignalLog, symbol: str, timeframe: str, horizon: int) -> int:
    """Record each signal's realised direction label, forward return and the after-cost
    return of a trade in its direction held ``horizon`` bars (none when FLAT)."""
    candles = log.candles(symbol, timeframe)
    close = candles["close"]
    position = {ts: i for i, ts in enumerate(candles.index)}
    written = 0
    for sig in log.signals(symbol, timeframe):
        ts = pd.Timestamp(sig.timestamp)
        i = position.get(ts)
        if i is None or i + horizon >= len(close):
            continue
        fwd = float(close.iloc[i + horizon] / close.iloc[i] - 1.0)
        label = "up" if fwd > 0 else "down" if fwd < 0 else "flat"
        side = {"LONG": 1.0, "SHORT": -1.0}.get(sig.direction.value)
        trade = None if side is None else side * fwd - ROUND_TRIP
        written += log.record_outcome(symbol, timeframe, ts, label=label, forward_return=fwd,
                                      trade_return=trade)
    return written
