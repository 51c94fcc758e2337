"""``core15``: seed 000's fifteen engineered features, each made scale-free.

Seed 000 fed ``close``, ``sma_fast``, ``sma_slow`` and ``atr`` as price levels; here they
become ratios to the close or to each other, so BTC at 80,000 and SOL at 150 give
features on the same scale (seed 004 fed raw prices of 79,568 to a network; never again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import talib

from tradewind.features.arith import (
    RETURN_STD_FLOOR,
    centered_position,
    ratio,
    rolling_mean_std,
)
from tradewind.features.bars import Bars, atr_warmup, talib_lookback, wilder_settle

if TYPE_CHECKING:
    from tradewind.features.spec import CoreParams

__all__ = ["DESCRIPTION", "FEATURES", "compute", "warmup"]

DESCRIPTION = "Seed 000's 15 engineered features as returns, ratios and bounded oscillators."

ATR_CHANGE_FLOOR = 1e-6
"""``atr_change`` adds this fraction of the close to both ATRs so flat stretches read 0."""

FEATURES: tuple[tuple[str, str], ...] = (
    ("returns", "close / previous close - 1"),
    ("log_returns", "log(close / previous close)"),
    ("close_sma_fast", "close / SMA(close, sma_fast) - 1"),
    ("close_sma_slow", "close / SMA(close, sma_slow) - 1"),
    ("sma_ratio", "SMA(sma_fast) / SMA(sma_slow) - 1"),
    ("atr_norm", "ATR(atr) / close"),
    ("atr_change", "log of ATR now over ATR `atr` bars ago (both + 1e-6·close)"),
    ("rsi", "(RSI(rsi) - 50) / 50, in [-1, 1]"),
    ("bb_position", "close in Bollinger bands(bb, bb_std): -1 lower band, 0 middle, +1 upper"),
    ("volume_ratio", "volume / mean volume over `volume` bars (1 when that mean is 0)"),
    ("momentum", "close / close `momentum` bars ago - 1"),
    ("volatility_ratio", "std of returns over volatility_fast / over volatility_slow"),
    ("high_low_ratio", "high / low - 1 (the bar's relative range)"),
    ("close_position", "close in the bar's range: -1 at the low, +1 at the high, 0 if flat"),
    ("body_ratio", "(close - open) / (high - low), in [-1, 1]; 0 if flat"),
)


def warmup(params: CoreParams) -> int:
    """Rows before every core15 feature is defined and its smoothing settled."""
    return max(
        talib_lookback("SMA", timeperiod=params.sma_slow),
        atr_warmup(params) + params.atr,
        talib_lookback("RSI", timeperiod=params.rsi) + wilder_settle(params.rsi),
        talib_lookback("BBANDS", timeperiod=params.bb),
        params.volume - 1,
        params.momentum,
        params.volatility_slow,
    )


def compute(bars: Bars) -> dict[str, np.ndarray]:
    """Every core15 feature as a float64 array [T] aligned with ``bars``."""
    from tradewind.features.kernels import rolling_sum  # numba: imported on first use

    p = bars.params
    close, high, low = bars.close, bars.high, bars.low
    out: dict[str, np.ndarray] = {}
    returns = bars.returns()
    out["returns"] = returns
    out["log_returns"] = np.log1p(returns)
    sma_fast, sma_slow = bars.sma(p.sma_fast), bars.sma(p.sma_slow)
    out["close_sma_fast"] = close / sma_fast - 1.0
    out["close_sma_slow"] = close / sma_slow - 1.0
    out["sma_ratio"] = sma_fast / sma_slow - 1.0
    atr = bars.atr()
    out["atr_norm"] = atr / close
    floored = atr + ATR_CHANGE_FLOOR * close
    change = np.full_like(close, np.nan)
    change[p.atr :] = np.log(floored[p.atr :] / floored[: -p.atr])
    out["atr_change"] = change
    out["rsi"] = (bars.rsi(p.rsi) - 50.0) / 50.0
    upper, _, lower = talib.BBANDS(close, timeperiod=p.bb, nbdevup=p.bb_std, nbdevdn=p.bb_std)
    out["bb_position"] = centered_position(close, lower, upper)
    mean_volume = rolling_sum(bars.volume, p.volume) / p.volume
    out["volume_ratio"] = ratio(bars.volume, mean_volume, 1.0)
    out["momentum"] = bars.pct_change(p.momentum)
    _, std_fast = rolling_mean_std(returns, p.volatility_fast)
    _, std_slow = rolling_mean_std(returns, p.volatility_slow)
    std_slow[std_slow <= RETURN_STD_FLOOR] = 0.0  # flat stretch: ratio reads 1
    out["volatility_ratio"] = ratio(std_fast, std_slow, 1.0)
    out["high_low_ratio"] = high / low - 1.0
    out["close_position"] = centered_position(close, low, high)
    out["body_ratio"] = ratio(close - bars.open, high - low, 0.0)
    return out
