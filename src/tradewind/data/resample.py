"""Change the bar length of candles, and summarise what a frame covers.

Bars are labelled by their **open** time and aligned to the UTC epoch (weeks start on
Monday 00:00 UTC), so ``1h`` bins start on the hour and ``4h`` bins at 00, 04, 08 ...
Bins without any source bar are dropped, never forward-filled: a gap stays a gap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tradewind.data.canonical import COLUMNS, as_utc_index, check_canonical
from tradewind.data.gaps import spacing_stats
from tradewind.exceptions import ConfigError, DataError
from tradewind.timeframes import infer_timeframe, timeframe_seconds, timeframe_to_offset

__all__ = ["DataInfo", "info", "resample"]

_WEEK = 604800
_MONDAY = pd.Timestamp("1970-01-05", tz="UTC").value  # the first Monday after the epoch


def resample(df: pd.DataFrame, timeframe: str, *, drop_partial: bool = True) -> pd.DataFrame:
    """Aggregate candles into ``timeframe`` bars.

    open = first, high = max, low = min, close = last, volume = sum, over the source
    bars whose open time falls in the bin. The source must be validated (ascending,
    unique, no NaN) and its bar length must divide ``timeframe``.

    Parameters
    ----------
    df:
        Canonical candles; the source timeframe is ``df.attrs["timeframe"]`` or inferred.
    timeframe:
        Target bar length, a whole multiple of the source's.
    drop_partial:
        Drop the last bin when its last slot has no bar yet (the period is not over,
        so its close is not the period's close). Earlier bins with missing source
        bars are kept: the data is missing, the period is over.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=6, freq="1min", tz="UTC")
    >>> df = pd.DataFrame({"open": [1., 2, 3, 4, 5, 6], "high": [2., 3, 4, 5, 6, 7],
    ...     "low": [0.5, 1, 2, 3, 4, 5], "close": [2., 3, 4, 5, 6, 7],
    ...     "volume": [1., 1, 1, 1, 1, 1]}, index=idx.rename("timestamp"))
    >>> resample(df, "5m")["close"].tolist()  # the second bin (1 of 5 bars) is partial
    [6.0]
    """
    check_canonical(df, "resample")
    target = timeframe_seconds(timeframe)
    if not df.index.is_monotonic_increasing or not df.index.is_unique:
        raise DataError("resample: rows must be ascending and unique; validate the data first")
    if df[list(COLUMNS)].isna().to_numpy().any():
        raise DataError("resample: the frame has NaN values; validate the data first")
    source_tf = df.attrs.get("timeframe") or infer_timeframe(df.index)
    source = timeframe_seconds(source_tf) if source_tf is not None else None
    if source is not None and (target < source or target % source):
        raise ConfigError(
            f"resample: cannot make {timeframe} bars from {source_tf} bars; the target must "
            f"be a whole multiple of {source_tf}"
        )
    attrs = {k: v for k, v in df.attrs.items() if k != "validation"}
    attrs["timeframe"] = timeframe
    if df.empty:
        out = df.copy()
        out.attrs = attrs
        return out
    step = target * 1_000_000_000
    origin = _MONDAY if target % _WEEK == 0 else 0
    stamps = df.index.as_unit("ns").asi8
    labels = origin + ((stamps - origin) // step) * step
    grouped = df.groupby(labels, sort=True)
    out = pd.DataFrame(
        {
            "open": grouped["open"].first(),
            "high": grouped["high"].max(),
            "low": grouped["low"].min(),
            "close": grouped["close"].last(),
            "volume": grouped["volume"].sum(),
        }
    )
    out.index = as_utc_index(pd.to_datetime(out.index.to_numpy(), unit="ns", utc=True))
    if drop_partial and source is not None:
        last_open = int(stamps[-1])
        bin_end = int(labels[-1]) + step
        if last_open + source * 1_000_000_000 < bin_end:
            out = out.iloc[:-1]
    out = out.astype(np.float64)
    out.attrs = attrs
    return out


@dataclass(frozen=True)
class DataInfo:
    """What a candle frame covers.

    ``missing_bars`` counts bars that fit in the gaps; ``largest_gap`` is the span of
    the largest run of missing bars (``largest_gap_bars`` bars from ``largest_gap_at``).
    """

    n_rows: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    timeframe: str | None
    missing_bars: int
    gap_count: int
    largest_gap_bars: int
    largest_gap: pd.Timedelta
    largest_gap_at: pd.Timestamp | None

    def rows(self) -> list[tuple[str, str]]:
        """``(field, value)`` pairs for a two-column table."""

        def stamp(value: pd.Timestamp | None) -> str:
            return "-" if value is None else value.isoformat()

        return [
            ("rows", f"{self.n_rows:,}"),
            ("first", stamp(self.first)),
            ("last", stamp(self.last)),
            ("timeframe", self.timeframe or "-"),
            ("missing bars", f"{self.missing_bars:,}"),
            ("gaps", f"{self.gap_count:,}"),
            (
                "largest gap",
                f"{self.largest_gap_bars:,} bars ({self.largest_gap}) from {stamp(self.largest_gap_at)}",
            ),
        ]


def info(df: pd.DataFrame, *, timeframe: str | None = None) -> DataInfo:
    """Rows, span, timeframe (given, ``attrs`` or inferred) and gaps of ``df``."""
    index = pd.DatetimeIndex(df.index)
    tf = timeframe or df.attrs.get("timeframe") or infer_timeframe(index)
    missing = gaps = largest = 0
    largest_at = None
    largest_span = pd.Timedelta(0)
    if tf is not None:
        stats = spacing_stats(index, timeframe_seconds(tf))
        missing, gaps, largest = stats.missing_bars, stats.gap_count, stats.largest_gap_bars
        largest_at = stats.largest_gap_at
        largest_span = timeframe_to_offset(tf) * largest
    return DataInfo(
        n_rows=len(index),
        first=index.min() if len(index) else None,
        last=index.max() if len(index) else None,
        timeframe=tf,
        missing_bars=missing,
        gap_count=gaps,
        largest_gap_bars=largest,
        largest_gap=largest_span,
        largest_gap_at=largest_at,
    )
