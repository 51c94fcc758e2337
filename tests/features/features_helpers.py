"""A tiny candle generator and the feature specs every features contract test runs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradewind.features import (
    FEATURE_SETS,
    CoreParams,
    FeatureSpec,
    HigherTimeframeSpec,
    IndicatorSpec,
)

SHORT = CoreParams(
    sma_fast=3,
    sma_slow=6,
    rsi=4,
    atr=4,
    bb=5,
    volume=5,
    momentum=3,
    volatility_fast=3,
    volatility_slow=6,
    swing=2,
    smc_memory=12,
)
"""Short periods so multi-timeframe specs warm up on a few hundred base bars."""

USER_INDICATORS = [
    IndicatorSpec(name="MACD", output="macdhist", scale="ratio"),
    IndicatorSpec(name="BBANDS", output="upperband", scale="price", params={"timeperiod": 10}),
    IndicatorSpec(name="SMA", params={"timeperiod": 20}, scale="atr", alias="sma20_atr"),
    IndicatorSpec(name="ADX", params={"timeperiod": 10}),
    IndicatorSpec(name="MFI"),
]


SCALE_FREE_SETS = [name for name, s in FEATURE_SETS.items() if s.scale_free]


def contract_specs() -> dict[str, tuple[FeatureSpec, str]]:
    """Every registered set alone, a user-indicator spec, side sets and two MTF specs.

    Values are ``(spec, base timeframe)``.
    """
    specs = {name: (FeatureSpec(sets=[name]), "5m") for name in FEATURE_SETS}
    specs["indicators"] = (FeatureSpec(sets=[], indicators=USER_INDICATORS), "5m")
    specs["side"] = (FeatureSpec(sets=["core15"], side_sets=["strategy", "smc"]), "5m")
    specs["mtf"] = (
        FeatureSpec(
            sets=["core15"],
            higher_timeframes=[HigherTimeframeSpec(timeframe="1h", sets=SCALE_FREE_SETS)],
            params=SHORT,
        ),
        "15m",
    )
    specs["mtf_two"] = (
        FeatureSpec(
            sets=["smc"],
            indicators=[IndicatorSpec(name="RSI", params={"timeperiod": 5})],
            higher_timeframes=[
                HigherTimeframeSpec(timeframe="30m", sets=["core15"]),
                HigherTimeframeSpec(timeframe="2h", sets=["smc"]),
            ],
            params=SHORT,
        ),
        "10m",
    )
    return specs


def make_candles(
    n: int,
    seed: int = 0,
    *,
    freq: str = "5min",
    start: str = "2024-01-01 00:00",
    price: float = 100.0,
    vol: float = 0.01,
    flat: float = 0.0,
    zero_volume: float = 0.0,
) -> pd.DataFrame:
    """``n`` random-walk candles with consistent OHLC (low <= open, close <= high).

    ``flat`` is the share of bars that repeat the previous close with zero volume (as
    exchanges fill quiet minutes); ``zero_volume`` the share of other bars with volume 0.
    """
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, vol, n)
    is_flat = rng.random(n) < flat
    steps[is_flat] = 0.0
    close = price * np.exp(np.cumsum(steps))
    open_ = np.concatenate([[price], close[:-1]])
    wick = np.abs(rng.normal(0.0, vol / 2, (2, n)))
    wick[:, is_flat] = 0.0
    high = np.maximum(open_, close) * (1.0 + wick[0])
    low = np.minimum(open_, close) * (1.0 - wick[1])
    volume = rng.lognormal(3.0, 1.0, n)
    volume[is_flat | (rng.random(n) < zero_volume)] = 0.0
    index = pd.date_range(start, periods=n, freq=freq, tz="UTC", name="timestamp")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )


def scaled(candles: pd.DataFrame, price: float = 1.0, volume: float = 1.0) -> pd.DataFrame:
    """The same candles with every price times ``price`` and volume times ``volume``."""
    out = candles.copy()
    out[["open", "high", "low", "close"]] *= price
    out["volume"] *= volume
    return out
