"""Labels for every bar, looking forward only and never past the horizon.

Row ``t`` of every array belongs to the bar that opens at ``index[t]``. Its label uses bars
``t+1 … t+horizon`` (and, for thresholds and ATR, bars up to ``t``), nothing later; the last
``horizon`` rows have no label (-1) because their future is not yet known.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tradewind.exceptions import DataError
from tradewind.labels.barriers import barrier_levels, triple_barrier_labels
from tradewind.labels.spec import AdaptiveThreshold, LabelSpec, class_names

__all__ = ["LabelSet", "adaptive_threshold", "forward_returns", "make_labels"]

_NO_LABEL = -1


@dataclass(frozen=True)
class LabelSet:
    """Labels aligned with the candles.

    Attributes
    ----------
    index:
        Candle timestamps (bar open, UTC) [T]; row ``t`` is the bar that opens at ``index[t]``.
    y:
        int64 [T]: class index into ``classes``; -1 where the future is not yet known (the
        last ``horizon`` rows) or the label is undefined (flat move, warm-up). All -1 for
        ``forward_return``, which has no classes.
    classes:
        Class names in index order, e.g. ("SELL", "HOLD", "BUY"); () for forward_return.
    forward_return:
        float64 [T]: ``close[t+horizon] / close[t] − 1``; NaN where unknown.
    horizon:
        Bars each label looks ahead at most.
    threshold:
        float64 [T] threshold used per bar for ternary labels (NaN where undefined), else None.
    """

    index: pd.DatetimeIndex
    y: np.ndarray
    classes: tuple[str, ...]
    forward_return: np.ndarray
    horizon: int
    threshold: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.index)
        if len(self.y) != n or len(self.forward_return) != n:
            raise DataError(
                f"LabelSet arrays must all have {n} rows (one per candle); got y "
                f"{len(self.y)}, forward_return {len(self.forward_return)}"
            )

    def __len__(self) -> int:
        return len(self.index)

    @property
    def known(self) -> np.ndarray:
        """bool [T]: rows with a usable target (a class, or a finite forward return)."""
        if self.classes:
            return self.y >= 0
        return np.isfinite(self.forward_return)


def forward_returns(close: np.ndarray, horizon: int) -> np.ndarray:
    """``close[t+horizon] / close[t] − 1`` [T], NaN for the last ``horizon`` rows."""
    close = np.asarray(close, dtype=np.float64)
    out = np.full(close.shape[0], np.nan)
    if close.shape[0] > horizon:
        out[:-horizon] = close[horizon:] / close[:-horizon] - 1.0
    return out


def adaptive_threshold(close: np.ndarray, adaptive: AdaptiveThreshold, horizon: int) -> np.ndarray:
    """Per-bar ternary threshold [T] (a fraction, comparable to the forward return).

    ``max(floor, multiplier × std(last `window` one-bar log returns up to t) × sqrt(horizon))``,
    sample std (ddof=1); NaN for the first ``window`` rows, which lack a full window.
    """
    log_close = np.log(np.asarray(close, dtype=np.float64))
    returns = pd.Series(np.diff(log_close, prepend=np.nan))
    std = returns.rolling(adaptive.window, min_periods=adaptive.window).std(ddof=1).to_numpy()
    raw = adaptive.multiplier * std * np.sqrt(horizon)
    return np.where(np.isnan(raw), np.nan, np.maximum(adaptive.floor, raw))


def _check_candles(candles: pd.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in candles.columns]
    if missing:
        raise DataError(
            f"make_labels: candles lack column(s) {missing}; canonical candles have "
            "open, high, low, close, volume"
        )
    close = candles["close"].to_numpy(dtype=np.float64)
    bad = ~(np.isfinite(close) & (close > 0))
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            f"make_labels: close must be finite and > 0; row {row} "
            f"({candles.index[row]}) has {close[row]!r}. Validate the candles (data.validate) first"
        )


def make_labels(candles: pd.DataFrame, spec: LabelSpec) -> LabelSet:
    """Label every bar of canonical candles according to ``spec``.

    - ``direction``: 1 (UP) if the forward return is > 0, 0 (DOWN) if < 0. An exactly
      flat move (forward return == 0) gets **no label** (-1): it is neither.
    - ``ternary``: 2 (BUY) if ``fwd > thr_t``, 0 (SELL) if ``fwd < −thr_t``, else 1 (HOLD);
      a move exactly at the threshold is HOLD. Bars without a threshold (adaptive warm-up)
      get -1.
    - ``triple_barrier``: the long trade of ``spec.exits`` entered at ``open[t+1]`` and
      scanned over bars ``t+1 … t+max_holding``: take-profit first → 2 (BUY), stop first → 0
      (SELL), **both in one bar → stop first → SELL**, neither → 1 (HOLD). -1 where no
      levels exist (ATR warm-up, zero ATR).
    - ``forward_return``: ``y`` is all -1 (no classes); the target is ``forward_return``.

    The last ``horizon`` rows are always -1. Labels never read bars after ``t+horizon``.

    Parameters
    ----------
    candles:
        Canonical candles [T] (bar-open UTC index, float64 OHLCV).
    spec:
        The label specification.
    """
    kind = spec.kind
    _check_candles(candles, ("open", "high", "low", "close") if kind == "triple_barrier" else ("close",))
    horizon = int(spec.horizon)
    close = candles["close"].to_numpy(dtype=np.float64)
    n = close.shape[0]
    fwd = forward_returns(close, horizon)
    y = np.full(n, _NO_LABEL, dtype=np.int64)
    threshold: np.ndarray | None = None

    if kind == "direction":
        y[fwd > 0] = 1
        y[fwd < 0] = 0
    elif kind == "ternary":
        if spec.adaptive is not None:
            threshold = adaptive_threshold(close, spec.adaptive, horizon)
        else:
            threshold = np.full(n, float(spec.threshold))
        known = np.isfinite(fwd) & np.isfinite(threshold)
        y[known] = 1
        y[known & (fwd > threshold)] = 2
        y[known & (fwd < -threshold)] = 0
    elif kind == "triple_barrier":
        assert spec.exits is not None  # guaranteed by LabelSpec's validator
        upper, lower = barrier_levels(candles, spec.exits, "long")
        y = triple_barrier_labels(
            candles["open"].to_numpy(dtype=np.float64),
            candles["high"].to_numpy(dtype=np.float64),
            candles["low"].to_numpy(dtype=np.float64),
            close,
            upper,
            lower,
            spec.exits.holding_bars(horizon),
            horizon,
        )
    y[max(n - horizon, 0):] = _NO_LABEL
    return LabelSet(
        index=pd.DatetimeIndex(candles.index),
        y=y,
        classes=class_names(spec),
        forward_return=fwd,
        horizon=horizon,
        threshold=threshold,
    )
