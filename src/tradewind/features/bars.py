"""Price arrays shared by every feature set, with memoised indicators and warm-up helpers.

Prices are divided by the first close and volume by the first positive volume before
anything is computed. Every feature is scale-free, so this changes no value beyond
rounding; it keeps TA-Lib's absolute "is this zero?" tolerances (which older TA-Lib
builds apply) relative to the asset instead of to 1.0, and the divisor comes from the
first bar, so no later bar can influence an earlier row.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import talib
from talib import abstract

from tradewind.features.arith import ATR_CLIP, EPS_PRICE

if TYPE_CHECKING:
    from tradewind.features.spec import CoreParams

__all__ = [
    "SETTLE_TOLERANCE",
    "Bars",
    "atr_warmup",
    "ema_settle",
    "talib_lookback",
    "wilder_settle",
]

SETTLE_TOLERANCE = 0.01
"""Warm-up keeps exponential indicators until their seed's weight is below this.

TA-Lib seeds EMA/Wilder recursions from the first bars; a row is kept only once that
seed's weight has decayed below 1 %, so features computed from a long history and from
a live window of ``warmup_bars`` history agree closely.
"""


@lru_cache(maxsize=512)
def talib_lookback(name: str, **params: int | float) -> int:
    """Number of leading NaN rows TA-Lib produces for ``name`` with ``params``."""
    return int(abstract.Function(name, **params).lookback)


@lru_cache(maxsize=512)
def wilder_settle(period: int) -> int:
    """Bars until a Wilder (alpha = 1/period) seed weighs less than SETTLE_TOLERANCE."""
    if period <= 1:
        return 0
    return math.ceil(math.log(SETTLE_TOLERANCE) / math.log(1.0 - 1.0 / period))


@lru_cache(maxsize=512)
def ema_settle(period: int) -> int:
    """Bars until an EMA (alpha = 2/(period+1)) seed weighs less than SETTLE_TOLERANCE."""
    if period <= 1:
        return 0
    return math.ceil(math.log(SETTLE_TOLERANCE) / math.log(1.0 - 2.0 / (period + 1)))


def atr_warmup(params: CoreParams) -> int:
    """First row where the shared ATR is settled."""
    return talib_lookback("ATR", timeperiod=params.atr) + wilder_settle(params.atr)


def _normaliser(values: np.ndarray) -> float:
    positive = np.flatnonzero(values > 0)
    return float(values[positive[0]]) if len(positive) else 1.0


class Bars:
    """Normalised OHLCV arrays [T] of one timeframe plus a memo of shared indicators.

    Parameters
    ----------
    open, high, low, close, volume:
        Raw float64 arrays of equal length, oldest first; prices > 0, volume >= 0.
    params:
        The spec's :class:`CoreParams`.
    """

    def __init__(
        self,
        open: np.ndarray,
        high: np.ndarray,
        low: np.ndarray,
        close: np.ndarray,
        volume: np.ndarray,
        params: CoreParams,
    ) -> None:
        price_unit = float(close[0]) if len(close) else 1.0
        volume_unit = _normaliser(volume)
        self.open = np.ascontiguousarray(open, dtype=np.float64) / price_unit
        self.high = np.ascontiguousarray(high, dtype=np.float64) / price_unit
        self.low = np.ascontiguousarray(low, dtype=np.float64) / price_unit
        self.close = np.ascontiguousarray(close, dtype=np.float64) / price_unit
        self.volume = np.ascontiguousarray(volume, dtype=np.float64) / volume_unit
        self.price_unit = price_unit
        self.volume_unit = volume_unit
        self.params = params
        self._memo: dict[tuple[object, ...], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.close)

    def memo(self, key: tuple[object, ...], make: Callable[[], np.ndarray]) -> np.ndarray:
        """Compute ``make()`` once per key for this set of bars."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def atr(self) -> np.ndarray:
        """TA-Lib ATR(params.atr), floored at EPS_PRICE * close (never 0)."""

        def make() -> np.ndarray:
            atr = talib.ATR(self.high, self.low, self.close, timeperiod=self.params.atr)
            return np.maximum(atr, EPS_PRICE * self.close)

        return self.memo(("atr", self.params.atr), make)

    def sma(self, period: int) -> np.ndarray:
        return self.memo(("sma", period), lambda: talib.SMA(self.close, timeperiod=period))

    def ema(self, period: int) -> np.ndarray:
        return self.memo(("ema", period), lambda: talib.EMA(self.close, timeperiod=period))

    def rsi(self, period: int) -> np.ndarray:
        return self.memo(("rsi", period), lambda: talib.RSI(self.close, timeperiod=period))

    def returns(self) -> np.ndarray:
        """Simple close-to-close returns; row 0 is NaN."""

        def make() -> np.ndarray:
            out = np.empty_like(self.close)
            out[0] = np.nan
            np.divide(self.close[1:], self.close[:-1], out=out[1:])
            out[1:] -= 1.0
            return out

        return self.memo(("returns",), make)

    def pct_change(self, k: int) -> np.ndarray:
        """``close / close[t-k] - 1``; the first ``k`` rows are NaN."""

        def make() -> np.ndarray:
            out = np.full_like(self.close, np.nan)
            out[k:] = self.close[k:] / self.close[:-k] - 1.0
            return out

        return self.memo(("pct", k), make)

    def per_atr(self, x: np.ndarray) -> np.ndarray:
        """A price difference expressed in ATRs, clipped to ±ATR_CLIP."""
        return np.clip(x / self.atr(), -ATR_CLIP, ATR_CLIP)
