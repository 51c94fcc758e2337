"""The canonical candle frame every stage of tradewind exchanges.

A ``pd.DataFrame`` with a ``DatetimeIndex`` named ``timestamp`` (tz UTC, nanosecond
resolution, the **open** time of each bar), ascending and unique, and exactly the
float64 columns ``open, high, low, close, volume``. ``read_candles`` builds the frame
without judging it; ``validate`` judges it; ``load`` does both and refuses bad data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradewind.exceptions import DataError

__all__ = ["COLUMNS", "PRICE_COLUMNS", "as_utc_index", "check_canonical"]

COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")


def as_utc_index(values: pd.DatetimeIndex | pd.Series | np.ndarray) -> pd.DatetimeIndex:
    """A UTC, nanosecond ``DatetimeIndex`` named ``timestamp`` (naive values are taken as UTC)."""
    index = pd.DatetimeIndex(values)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return index.as_unit("ns").rename("timestamp")


def check_canonical(df: pd.DataFrame, where: str, *, frame_only: bool = False) -> None:
    """Raise DataError unless ``df`` has the canonical shape (columns, dtypes, UTC index).

    ``frame_only=True`` checks only what every reader of candles needs: a DataFrame with
    the five columns and a DatetimeIndex (``validate`` reports a naive index or text
    columns as findings; ``features.compute`` converts the columns itself). Only the
    shape is checked here; the values (order, OHLC consistency, ...) are the business of
    ``validate``.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{where}: expected a pandas DataFrame of candles, got {type(df).__name__}")
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise DataError(
            f"{where}: missing column(s) {missing}; found {list(map(str, df.columns))}. "
            "Fix: build the frame with read_candles/load, which produce open, high, low, close, volume"
        )
    if not isinstance(df.index, pd.DatetimeIndex):
        raise DataError(
            f"{where}: the index is a {type(df.index).__name__}, not a DatetimeIndex of bar open "
            "times. Fix: set_index('timestamp') or build the frame with read_candles/load"
        )
    if frame_only:
        return
    if df.index.tz is None or str(df.index.tz) != "UTC":
        raise DataError(
            f"{where}: the index timezone is {df.index.tz!s} but candles are stored in UTC. "
            "Fix: df.index = df.index.tz_localize('UTC') (naive) or .tz_convert('UTC')"
        )
    wrong = [c for c in COLUMNS if df[c].dtype != np.float64]
    if wrong:
        raise DataError(
            f"{where}: column(s) {wrong} are not float64 "
            f"({[str(df[c].dtype) for c in wrong]}). Fix: df[cols] = df[cols].astype('float64')"
        )
