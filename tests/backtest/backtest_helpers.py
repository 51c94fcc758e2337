"""Helpers for the backtest tests: tiny hand-made and random candles (imported, not a conftest)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_candles(rows: list[tuple[float, float, float, float]], freq: str = "1h") -> pd.DataFrame:
    """Canonical candles from (open, high, low, close) tuples."""
    arr = np.asarray(rows, dtype=np.float64)
    index = pd.date_range("2024-01-01", periods=len(rows), freq=freq, tz="UTC", name="timestamp")
    return pd.DataFrame(
        {"open": arr[:, 0], "high": arr[:, 1], "low": arr[:, 2], "close": arr[:, 3],
         "volume": np.ones(len(rows))},
        index=index,
    )


def random_candles(n: int, seed: int = 0, freq: str = "1h") -> pd.DataFrame:
    """A random walk with gaps between bars (opens differ from previous closes)."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.concatenate([[100.0], close[:-1]]) * np.exp(rng.normal(0, 0.002, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.006, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.006, n)))
    return make_candles(list(zip(open_, high, low, close, strict=True)), freq=freq)
