"""Candle builders for the label tests: hand-written bars and small random markets."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest

CandleFactory = Callable[..., pd.DataFrame]


def build_candles(
    close: Sequence[float],
    open_: Sequence[float] | None = None,
    high: Sequence[float] | None = None,
    low: Sequence[float] | None = None,
    *,
    start: str = "2023-01-01",
    freq: str = "1h",
) -> pd.DataFrame:
    """Canonical candles from columns; missing open = previous close, high/low = envelope."""
    close_arr = np.asarray(close, dtype=np.float64)
    if open_ is None:
        open_arr = np.concatenate([[close_arr[0]], close_arr[:-1]])
    else:
        open_arr = np.asarray(open_, dtype=np.float64)
    high_arr = np.maximum(open_arr, close_arr) if high is None else np.asarray(high, dtype=np.float64)
    low_arr = np.minimum(open_arr, close_arr) if low is None else np.asarray(low, dtype=np.float64)
    index = pd.date_range(start, periods=len(close_arr), freq=freq, tz="UTC", name="timestamp")
    return pd.DataFrame(
        {
            "open": open_arr,
            "high": high_arr,
            "low": low_arr,
            "close": close_arr,
            "volume": np.ones(len(close_arr)),
        },
        index=index,
    )


def random_candles(n: int, seed: int, *, start: str = "2023-01-01", freq: str = "1h") -> pd.DataFrame:
    """A valid random-walk market (high >= max(open, close), low <= min(open, close))."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    open_ = np.concatenate([[100.0], close[:-1]]) * np.exp(rng.normal(0.0, 0.002, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.006, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.006, n)))
    return build_candles(close, open_, high, low, start=start, freq=freq)


@pytest.fixture(scope="session")
def candles() -> CandleFactory:
    return build_candles


@pytest.fixture(scope="session")
def market() -> Callable[..., pd.DataFrame]:
    return random_candles
