"""``strategy``: 33 trend, momentum, volume and multi-horizon confluence signals.

Seed 000 fed "33 strategy signals" to its model as a side vector without saying what
they were; these are the usual ones, each scale-free: price distances are in ATRs,
oscillators are mapped to about [-1, 1], volume enters only through ratios and
z-scores. Periods are fixed (classic defaults, listed below); ``params.atr`` and
``params.rsi`` are shared with ``core15``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import talib

from tradewind.features.arith import (
    RETURN_STD_FLOOR,
    centered_position,
    ratio,
    rolling_mean_std,
    shift,
    sign,
    zscore,
)
from tradewind.features.bars import (
    Bars,
    atr_warmup,
    ema_settle,
    talib_lookback,
    wilder_settle,
)

if TYPE_CHECKING:
    from tradewind.features.spec import CoreParams

__all__ = ["DESCRIPTION", "FEATURES", "compute", "warmup"]

DESCRIPTION = "33 trend, momentum, volume and multi-horizon confluence signals (seed 000)."

EMA_FAST, EMA_MID, EMA_SLOW = 9, 21, 50
SLOPE_BARS = 5
MACD_FAST, MACD_SLOW, MACD_SIGNAL = 12, 26, 9
DMI = 14
AROON = 25
STOCH_K, STOCH_SMOOTH, STOCH_D = 14, 3, 3
CCI = 20
WILLR = 14
RSI_FAST = 7
ULTOSC = (7, 14, 28)
ROC = (5, 20, 60)
MFI = 14
OBV_SLOPE, Z_WINDOW = 10, 50
CMF = 20
VWAP = 20
DONCHIAN = 20
BB = 20

FEATURES: tuple[tuple[str, str], ...] = (
    ("ema_9_21_atr", "(EMA9 - EMA21) / ATR: fast EMA cross"),
    ("ema_21_50_atr", "(EMA21 - EMA50) / ATR: slow EMA cross"),
    ("close_ema50_atr", "(close - EMA50) / ATR"),
    ("ema21_slope_atr", "EMA21 change over 5 bars / ATR"),
    ("macd_atr", "MACD(12, 26) line / ATR"),
    ("macd_hist_atr", "MACD(12, 26, 9) histogram / ATR"),
    ("adx", "ADX(14) / 100, trend strength in [0, 1]"),
    ("plus_di", "+DI(14) / 100"),
    ("minus_di", "-DI(14) / 100"),
    ("di_diff", "(+DI - -DI) / 100, in [-1, 1]"),
    ("aroon_osc", "Aroon oscillator(25) / 100, in [-1, 1]"),
    ("stoch_k", "(slow %K(14, 3) - 50) / 50"),
    ("stoch_d", "(slow %D(3) - 50) / 50"),
    ("cci", "CCI(20) / 100"),
    ("willr", "(Williams %R(14) + 50) / 50, in [-1, 1]"),
    ("rsi_7", "(RSI(7) - 50) / 50"),
    ("ultosc", "(Ultimate oscillator(7, 14, 28) - 50) / 50"),
    ("roc_5", "close / close 5 bars ago - 1"),
    ("roc_20", "close / close 20 bars ago - 1"),
    ("roc_60", "close / close 60 bars ago - 1"),
    ("tsmom_20", "20-bar return / (std of returns over 50 bars * sqrt(20)), ±10"),
    ("mfi", "(MFI(14) - 50) / 50; 0 when the window has no money flow"),
    ("obv_slope_z", "z-score over 50 bars of the 10-bar OBV change, ±10"),
    ("cmf", "Chaikin money flow(20), in [-1, 1]; 0 without volume"),
    ("volume_z", "z-score of volume over 50 bars, ±10"),
    ("vwap_dist_atr", "(close - 20-bar VWAP) / ATR; 0 without volume"),
    ("donchian_pos", "close in the 20-bar high/low channel: -1 low, +1 high"),
    ("donchian_width_atr", "(20-bar high - 20-bar low) / ATR"),
    ("bb_width", "(upper - lower Bollinger band(20, 2)) / middle band"),
    ("range_atr", "(high - low) / ATR: this bar's size against recent bars"),
    ("trend_agree", "mean sign of the 5-, 20- and 60-bar returns, in [-1, 1]"),
    ("ma_alignment", "mean of sign(close-EMA9), sign(EMA9-EMA21), sign(EMA21-EMA50)"),
    ("momentum_confluence", "mean sign of MACD histogram, RSI - 50 and %K - 50"),
)


def warmup(params: CoreParams) -> int:
    """Rows before every strategy feature is defined and its smoothing settled."""
    return max(
        atr_warmup(params),
        talib_lookback("EMA", timeperiod=EMA_SLOW) + ema_settle(EMA_SLOW),
        talib_lookback("EMA", timeperiod=EMA_MID) + ema_settle(EMA_MID) + SLOPE_BARS,
        talib_lookback("MACD", fastperiod=MACD_FAST, slowperiod=MACD_SLOW, signalperiod=MACD_SIGNAL)
        + ema_settle(MACD_SLOW)
        + ema_settle(MACD_SIGNAL),
        talib_lookback("ADX", timeperiod=DMI) + 2 * wilder_settle(DMI),
        talib_lookback("PLUS_DI", timeperiod=DMI) + wilder_settle(DMI),
        talib_lookback("AROONOSC", timeperiod=AROON),
        talib_lookback(
            "STOCH", fastk_period=STOCH_K, slowk_period=STOCH_SMOOTH, slowd_period=STOCH_D
        ),
        talib_lookback("CCI", timeperiod=CCI),
        talib_lookback("WILLR", timeperiod=WILLR),
        talib_lookback("RSI", timeperiod=RSI_FAST) + wilder_settle(RSI_FAST),
        talib_lookback("RSI", timeperiod=params.rsi) + wilder_settle(params.rsi),
        talib_lookback(
            "ULTOSC", timeperiod1=ULTOSC[0], timeperiod2=ULTOSC[1], timeperiod3=ULTOSC[2]
        ),
        max(ROC),
        Z_WINDOW,
        MFI,
        OBV_SLOPE + Z_WINDOW - 1,
        CMF - 1,
        VWAP - 1,
        talib_lookback("MAX", timeperiod=DONCHIAN),
        talib_lookback("BBANDS", timeperiod=BB),
    )


def _trend(bars: Bars, out: dict[str, np.ndarray]) -> None:
    close, high, low = bars.close, bars.high, bars.low
    ema_fast, ema_mid, ema_slow = bars.ema(EMA_FAST), bars.ema(EMA_MID), bars.ema(EMA_SLOW)
    out["ema_9_21_atr"] = bars.per_atr(ema_fast - ema_mid)
    out["ema_21_50_atr"] = bars.per_atr(ema_mid - ema_slow)
    out["close_ema50_atr"] = bars.per_atr(close - ema_slow)
    out["ema21_slope_atr"] = bars.per_atr(ema_mid - shift(ema_mid, SLOPE_BARS))
    macd, _, hist = talib.MACD(
        close, fastperiod=MACD_FAST, slowperiod=MACD_SLOW, signalperiod=MACD_SIGNAL
    )
    out["macd_atr"] = bars.per_atr(macd)
    out["macd_hist_atr"] = bars.per_atr(hist)
    out["adx"] = talib.ADX(high, low, close, timeperiod=DMI) / 100.0
    plus_di = talib.PLUS_DI(high, low, close, timeperiod=DMI) / 100.0
    minus_di = talib.MINUS_DI(high, low, close, timeperiod=DMI) / 100.0
    out["plus_di"], out["minus_di"], out["di_diff"] = plus_di, minus_di, plus_di - minus_di
    out["aroon_osc"] = talib.AROONOSC(high, low, timeperiod=AROON) / 100.0


def _momentum(bars: Bars, out: dict[str, np.ndarray]) -> None:
    close, high, low = bars.close, bars.high, bars.low
    slowk, slowd = talib.STOCH(
        high, low, close, fastk_period=STOCH_K, slowk_period=STOCH_SMOOTH, slowd_period=STOCH_D
    )
    out["stoch_k"] = (slowk - 50.0) / 50.0
    out["stoch_d"] = (slowd - 50.0) / 50.0
    out["cci"] = talib.CCI(high, low, close, timeperiod=CCI) / 100.0
    out["willr"] = (talib.WILLR(high, low, close, timeperiod=WILLR) + 50.0) / 50.0
    out["rsi_7"] = (bars.rsi(RSI_FAST) - 50.0) / 50.0
    out["ultosc"] = (
        talib.ULTOSC(
            high, low, close, timeperiod1=ULTOSC[0], timeperiod2=ULTOSC[1], timeperiod3=ULTOSC[2]
        )
        - 50.0
    ) / 50.0
    for k in ROC:
        out[f"roc_{k}"] = bars.pct_change(k)
    _, std = rolling_mean_std(bars.returns(), Z_WINDOW)
    std[std <= RETURN_STD_FLOOR] = 0.0
    tsmom = ratio(bars.pct_change(20), std * math.sqrt(20.0), 0.0)
    out["tsmom_20"] = np.clip(tsmom, -10.0, 10.0)


def _volume(bars: Bars, out: dict[str, np.ndarray]) -> None:
    from tradewind.features.kernels import rolling_sum  # numba: imported on first use

    close, high, low, volume = bars.close, bars.high, bars.low, bars.volume
    typical = (high + low + close) / 3.0
    flow = typical * volume
    change = typical - shift(typical, 1)
    up = np.where(change > 0, flow, 0.0)
    down = np.where(change < 0, flow, 0.0)
    up[0] = down[0] = np.nan
    pos, neg = rolling_sum(up, MFI), rolling_sum(down, MFI)
    out["mfi"] = ratio(pos - neg, pos + neg, 0.0)
    obv = talib.OBV(close, volume)
    out["obv_slope_z"] = zscore(obv - shift(obv, OBV_SLOPE), Z_WINDOW)
    volume_sum = rolling_sum(volume, CMF)
    out["cmf"] = ratio(
        rolling_sum(centered_position(close, low, high) * volume, CMF), volume_sum, 0.0
    )
    out["volume_z"] = zscore(volume, Z_WINDOW)
    vwap_volume = volume_sum if VWAP == CMF else rolling_sum(volume, VWAP)
    vwap = ratio(rolling_sum(flow, VWAP), vwap_volume, np.nan)
    dist = bars.per_atr(close - vwap)
    dist[vwap_volume == 0] = 0.0
    out["vwap_dist_atr"] = dist


def _range(bars: Bars, out: dict[str, np.ndarray]) -> None:
    close, high, low = bars.close, bars.high, bars.low
    top = talib.MAX(high, timeperiod=DONCHIAN)
    bottom = talib.MIN(low, timeperiod=DONCHIAN)
    out["donchian_pos"] = centered_position(close, bottom, top)
    out["donchian_width_atr"] = bars.per_atr(top - bottom)
    upper, middle, lower = talib.BBANDS(close, timeperiod=BB, nbdevup=2.0, nbdevdn=2.0)
    out["bb_width"] = (upper - lower) / middle
    out["range_atr"] = bars.per_atr(high - low)


def _confluence(bars: Bars, out: dict[str, np.ndarray]) -> None:
    close = bars.close
    ema_fast, ema_mid, ema_slow = bars.ema(EMA_FAST), bars.ema(EMA_MID), bars.ema(EMA_SLOW)
    out["trend_agree"] = sum(sign(bars.pct_change(k)) for k in ROC) / 3.0
    out["ma_alignment"] = (
        sign(close - ema_fast) + sign(ema_fast - ema_mid) + sign(ema_mid - ema_slow)
    ) / 3.0
    rsi = bars.rsi(bars.params.rsi)
    out["momentum_confluence"] = (
        sign(out["macd_hist_atr"]) + sign(rsi - 50.0) + sign(out["stoch_k"])
    ) / 3.0


def compute(bars: Bars) -> dict[str, np.ndarray]:
    """Every strategy feature as a float64 array [T] aligned with ``bars``."""
    out: dict[str, np.ndarray] = {}
    _trend(bars, out)
    _momentum(bars, out)
    _volume(bars, out)
    _range(bars, out)
    _confluence(bars, out)
    return out
