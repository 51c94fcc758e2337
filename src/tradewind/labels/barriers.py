"""Barrier levels and the first-touch scan of one trade, shared with the backtester.

The trade is the one :class:`~tradewind.labels.ExitSpec` documents: signal at bar ``t``'s
close, entry at bar ``t+1``'s open, levels fixed at entry, bars ``t+1 … t+max_holding``
scanned with their highs and lows, stop first when one bar touches both levels, time exit
at the close of the last bar. :func:`first_touch` is a numba function so a backtester's own
numba loop can call it per trade.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from numba import njit

from tradewind.exceptions import DataError
from tradewind.labels.spec import ExitSpec

__all__ = [
    "OUTCOME_STOP",
    "OUTCOME_TAKE_PROFIT",
    "OUTCOME_TIME",
    "atr",
    "barrier_levels",
    "first_touch",
    "triple_barrier_labels",
]

OUTCOME_TAKE_PROFIT = 1
"""``first_touch`` outcome: the take-profit level was touched first."""
OUTCOME_STOP = -1
"""``first_touch`` outcome: the stop was touched first (or in the same bar as the take-profit)."""
OUTCOME_TIME = 0
"""``first_touch`` outcome: neither level was touched; closed at the last bar's close."""

_TOUCH_RTOL = 1e-9  # a price within this relative distance of a level touches it (rounding)


@njit(cache=True)
def _wilder_atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int) -> np.ndarray:
    n = close.shape[0]
    out = np.full(n, np.nan)
    if n <= period:
        return out
    true_range = np.empty(n)
    true_range[0] = np.nan
    for i in range(1, n):
        true_range[i] = max(
            high[i] - low[i], abs(high[i] - close[i - 1]), abs(low[i] - close[i - 1])
        )
    total = 0.0
    for i in range(1, period + 1):
        total += true_range[i]
    value = total / period
    out[period] = value
    for i in range(period + 1, n):
        value = (value * (period - 1) + true_range[i]) / period
        out[i] = value
    return out


def atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = 14) -> np.ndarray:
    """Average true range [T] with Wilder smoothing, causal (row ``t`` uses bars ≤ ``t``).

    Matches TA-Lib's ``ATR``: NaN for the first ``period`` rows, then the mean of the true
    ranges of bars ``1 … period``, then ``atr_t = (atr_{t-1} × (period − 1) + tr_t) / period``.
    """
    if period < 1:
        raise DataError(f"atr: period must be >= 1, got {period}")
    h = np.ascontiguousarray(high, dtype=np.float64)
    lo = np.ascontiguousarray(low, dtype=np.float64)
    c = np.ascontiguousarray(close, dtype=np.float64)
    return _wilder_atr(h, lo, c, int(period))


@njit(cache=True)
def first_touch(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    first: int,
    last: int,
    take_profit: float,
    stop: float,
    side: int,
) -> tuple[int, int, float]:
    """Scan bars ``first … last`` (inclusive) for the first level a position touches.

    Parameters
    ----------
    open_, high, low, close:
        float64 [T] price arrays of one instrument.
    first, last:
        Row of the entry bar (``t+1``: the entry was its open) and of the last bar the
        position may be held (``t+max_holding``); ``0 <= first <= last < T``.
    take_profit, stop:
        Price levels (long: take-profit above the entry, stop below; short: mirrored).
    side:
        ``1`` long, ``-1`` short.

    A level counts as touched when a bar's high/low reaches it; prices within a relative
    1e-9 of a level count as touching it, so ``100 × 1.1`` (110.00000000000001) is touched
    by a high of 110.

    Returns
    -------
    (exit_row, outcome, exit_price)
        ``outcome`` is ``OUTCOME_TAKE_PROFIT`` (1), ``OUTCOME_STOP`` (-1, also when one bar
        touches both levels) or ``OUTCOME_TIME`` (0, exit at ``close[last]``). A bar that
        opens beyond a level fills at its open.
    """
    stop_tol = _TOUCH_RTOL * abs(stop)
    target_tol = _TOUCH_RTOL * abs(take_profit)
    for i in range(first, last + 1):
        if side > 0:
            stop_hit = low[i] <= stop + stop_tol
            target_hit = high[i] >= take_profit - target_tol
        else:
            stop_hit = high[i] >= stop - stop_tol
            target_hit = low[i] <= take_profit + target_tol
        if stop_hit:
            price = stop
            if (side > 0 and open_[i] < stop) or (side < 0 and open_[i] > stop):
                price = open_[i]
            return i, -1, price
        if target_hit:
            price = take_profit
            if (side > 0 and open_[i] > take_profit) or (side < 0 and open_[i] < take_profit):
                price = open_[i]
            return i, 1, price
    return last, 0, close[last]


@njit(cache=True)
def triple_barrier_labels(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    upper: np.ndarray,
    lower: np.ndarray,
    holding: int,
    horizon: int,
) -> np.ndarray:
    """Long-side triple-barrier classes [T]: 2 take-profit first, 0 stop first (also both in
    one bar), 1 neither within ``holding`` bars; -1 without levels or in the last ``horizon``
    rows. ``upper``/``lower`` are :func:`barrier_levels` for ``side="long"``."""
    n = close.shape[0]
    y = np.full(n, -1, dtype=np.int64)
    for t in range(n - horizon):
        if not (np.isfinite(upper[t]) and np.isfinite(lower[t])):
            continue
        _, outcome, _ = first_touch(open_, high, low, close, t + 1, t + holding, upper[t], lower[t], 1)
        if outcome == 1:
            y[t] = 2
        elif outcome == -1:
            y[t] = 0
        else:
            y[t] = 1
    return y


def barrier_levels(
    candles: pd.DataFrame, exit_spec: ExitSpec, side: Literal["long", "short"] = "long"
) -> tuple[np.ndarray, np.ndarray]:
    """Take-profit and stop prices for a signal at each bar's close.

    Row ``t`` holds the levels of the trade entered at ``open[t+1]`` (see
    :class:`~tradewind.labels.ExitSpec`). NaN where no level can be placed: the last bar (no
    next open), the ATR warm-up (first ``atr_period`` rows with ``unit="atr"``), and bars
    whose ATR is zero.

    Returns
    -------
    (take_profit_price, stop_price)
        float64 arrays [T].
    """
    if side not in ("long", "short"):
        raise DataError(f"barrier_levels: side must be 'long' or 'short', got {side!r}")
    for column in ("open", "high", "low", "close"):
        if column not in candles.columns:
            raise DataError(
                f"barrier_levels: candles have no {column!r} column; canonical candles have "
                "open, high, low, close, volume"
            )
    open_ = candles["open"].to_numpy(dtype=np.float64)
    entry = np.full(len(open_), np.nan)
    entry[:-1] = open_[1:]
    if exit_spec.unit == "atr":
        width = atr(
            candles["high"].to_numpy(dtype=np.float64),
            candles["low"].to_numpy(dtype=np.float64),
            candles["close"].to_numpy(dtype=np.float64),
            exit_spec.atr_period,
        )
        width = np.where(width > 0, width, np.nan)
        up, down = entry + exit_spec.take_profit * width, entry - exit_spec.stop_loss * width
        short_tp, short_stop = entry - exit_spec.take_profit * width, entry + exit_spec.stop_loss * width
    else:
        up, down = entry * (1 + exit_spec.take_profit), entry * (1 - exit_spec.stop_loss)
        short_tp, short_stop = entry * (1 - exit_spec.take_profit), entry * (1 + exit_spec.stop_loss)
    if side == "long":
        return up, down
    return short_tp, short_stop
