"""Timeframe strings ("1m", "5m", "1h", "4h", "1d", "1w") and what follows from them.

A bar's timestamp is its **open** time, in UTC, everywhere in tradewind.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from tradewind.exceptions import ConfigError, SchemaMismatchError

__all__ = [
    "bars_per_year",
    "check_timeframe",
    "infer_timeframe",
    "timeframe_seconds",
    "timeframe_to_offset",
    "trading_days_per_year",
]

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PATTERN = re.compile(r"^([0-9]+)([smhdw])$")
_MAX_SECONDS = 366 * 86400  # no bar is longer than a year
_SECONDS_PER_YEAR = 365.25 * 86400
WEEKDAYS_PER_YEAR = 365.25 * 5 / 7
_WEEKEND_SHARE_CLOSED = 0.10  # a market open all week has 2/7 (29 %) of its bars at weekends


def timeframe_seconds(timeframe: str) -> int:
    """Length of one bar in seconds; raises ConfigError naming the bad string."""
    match = _PATTERN.match(str(timeframe).strip())
    if not match:
        raise ConfigError(
            f"timeframe {timeframe!r} is not understood: use a number and one of "
            "s, m, h, d, w (for example '1m', '15m', '4h', '1d')"
        )
    count, unit = int(match.group(1)), match.group(2)
    if count <= 0:
        raise ConfigError(f"timeframe {timeframe!r} must be positive")
    if count * _UNIT_SECONDS[unit] > _MAX_SECONDS:
        raise ConfigError(f"timeframe {timeframe!r} is longer than a year; bars are at most "
                          "'52w' (for example '1d' or '1w')")
    return count * _UNIT_SECONDS[unit]


def timeframe_to_offset(timeframe: str) -> pd.Timedelta:
    """The bar length as a pandas Timedelta."""
    return pd.Timedelta(seconds=timeframe_seconds(timeframe))


def _format(seconds: int) -> str:
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def infer_timeframe(index: pd.DatetimeIndex) -> str | None:
    """The most common spacing between consecutive bars, as a timeframe string.

    Returns None when there are fewer than two bars.
    """
    if len(index) < 2:
        return None
    # as_unit: pandas >= 3 builds microsecond indexes by default; asi8 is in the unit.
    steps = np.diff(pd.DatetimeIndex(index).as_unit("ns").asi8) // 1_000_000_000
    steps = steps[steps > 0]
    if len(steps) == 0:
        return None
    values, counts = np.unique(steps, return_counts=True)
    return _format(int(values[np.argmax(counts)]))


def bars_per_year(timeframe: str, *, trading_days: float | None = None) -> float:
    """How many bars of this timeframe fit in a year, for annualising returns.

    Crypto trades around the clock (365.25 days). Pass ``trading_days`` (252, or
    :data:`WEEKDAYS_PER_YEAR`) for markets that close at weekends; bars per day then count
    the session as 24h for intraday FX (which trades ~24h on weekdays) and 1 for daily
    bars. Weekly and longer bars are calendar bars either way.
    """
    seconds = timeframe_seconds(timeframe)
    if trading_days is None or seconds >= 7 * 86400:
        return _SECONDS_PER_YEAR / seconds
    return trading_days * 86400 / seconds


def trading_days_per_year(index: pd.DatetimeIndex) -> float | None:
    """Days a year the market of these candles trades, for :func:`bars_per_year`.

    None (around the clock, as crypto) unless fewer than 10 % of the bars fall on a
    Saturday or Sunday over at least two weeks: then the market closes at weekends (FX,
    gold, stocks; FX's Sunday-evening open leaves about 2 % there) and a year has
    365.25 · 5/7 ≈ 260.9 weekdays. Without this, hourly EUR/USD Sharpe ratios would be
    annualised over 8,766 bars a year instead of about 6,260, and overstated by 18 %.
    """
    if len(index) < 2 or index[-1] - index[0] < pd.Timedelta(days=14):
        return None
    weekend = float(np.mean(np.asarray(index.day_of_week) >= 5))
    return WEEKDAYS_PER_YEAR if weekend < _WEEKEND_SHARE_CLOSED else None


def check_timeframe(
    expected: str | None,
    candles_or_timeframe: pd.DataFrame | str | None,
    where: str,
    *,
    declared: str | None = None,
) -> str | None:
    """Refuse a timeframe, or candles whose spacing, differs from ``expected``.

    ``expected`` is what a model was trained on (None: unknown, anything goes). Candles
    are judged by the most common spacing of their index (:func:`infer_timeframe`), not
    by what a caller says they are; ``declared`` is checked as well. Returns the
    timeframe to compute with: ``expected``, else the declared or inferred one.

    Raises
    ------
    SchemaMismatchError
        Naming both timeframes, ``where`` and the fix.
    """
    stated = candles_or_timeframe if isinstance(candles_or_timeframe, str) else declared
    if stated is not None:
        timeframe_seconds(stated)  # a ConfigError for a string that is no timeframe
    inferred = None
    if isinstance(candles_or_timeframe, pd.DataFrame) and len(candles_or_timeframe) > 1:
        inferred = infer_timeframe(pd.DatetimeIndex(candles_or_timeframe.index))
    if expected is not None:
        want = timeframe_seconds(expected)
        for got, what in ((inferred, "the candles are"), (stated, "the timeframe given is")):
            if got is not None and timeframe_seconds(got) != want:
                raise SchemaMismatchError(
                    f"{where}: the model was trained on {expected} bars, but {what} {got}. "
                    f"Fix: supply {expected} candles (resample finer ones with `tradewind "
                    f"data resample --timeframe {expected}`), or use a model trained on {got} bars"
                )
    return expected or stated or inferred
