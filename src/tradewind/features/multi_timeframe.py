"""Higher-timeframe bars built from base bars, and their alignment back onto base bars.

Timestamps are bar **open** times (UTC). A higher bar opening at ``T`` with length ``L``
is complete once the base bar opening at ``T + L - base`` has closed, so it is visible
on that base bar and every later one, never earlier. A leading higher bar that the data
only covers in part (the first base bar opens after ``T``) is dropped, so its
truncated open/high/low never become features.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tradewind.exceptions import ConfigError

__all__ = ["HigherBars", "align_to_base", "base_bars_per_bar", "bin_open_times", "resample_ohlcv"]

_NS = 1_000_000_000
_WEEK_ORIGIN_NS = 4 * 86_400 * _NS
"""1970-01-05, a Monday: week-multiple bins open on Mondays 00:00 UTC."""


def bin_open_times(times_ns: np.ndarray, seconds: int) -> np.ndarray:
    """Open time (ns since epoch) of the ``seconds``-long bin holding each timestamp.

    Bins are aligned to the Unix epoch (whole days start at 00:00 UTC), and bins made
    of whole weeks to Mondays.
    """
    length = seconds * _NS
    origin = _WEEK_ORIGIN_NS if seconds % (7 * 86_400) == 0 else 0
    return (times_ns - origin) // length * length + origin


@dataclass(frozen=True)
class HigherBars:
    """OHLCV arrays of the higher timeframe; ``open_ns`` is each bar's open time in ns."""

    open_ns: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray


def resample_ohlcv(
    times_ns: np.ndarray,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    seconds: int,
) -> HigherBars:
    """Aggregate ascending base bars into ``seconds``-long bars labelled by open time.

    open = first, high = max, low = min, close = last, volume = sum of the base bars in
    each bin; bins without base bars are absent; a partial leading bin is dropped.
    """
    bins = bin_open_times(times_ns, seconds)
    if len(bins) and times_ns[0] != bins[0]:
        keep = bins != bins[0]
        times_ns, bins = times_ns[keep], bins[keep]
        open_, high, low, close, volume = (a[keep] for a in (open_, high, low, close, volume))
    if len(bins) == 0:
        empty = np.empty(0)
        return HigherBars(np.empty(0, dtype=np.int64), empty, empty, empty, empty, empty)
    starts = np.flatnonzero(np.concatenate([[True], bins[1:] != bins[:-1]]))
    ends = np.concatenate([starts[1:], [len(bins)]]) - 1
    return HigherBars(
        open_ns=bins[starts].astype(np.int64),
        open=open_[starts],
        high=np.maximum.reduceat(high, starts),
        low=np.minimum.reduceat(low, starts),
        close=close[ends],
        volume=np.add.reduceat(volume, starts),
    )


def base_bars_per_bar(higher_seconds: int, base_seconds: int) -> int:
    """How many base bars make one higher bar; ConfigError unless a whole number > 1."""
    if higher_seconds <= base_seconds or higher_seconds % base_seconds:
        raise ConfigError(
            f"features.higher_timeframes: a {higher_seconds}s timeframe is not a whole "
            f"multiple (> 1) of the {base_seconds}s base timeframe; choose one that is"
        )
    return higher_seconds // base_seconds


def align_to_base(
    base_ns: np.ndarray, higher_open_ns: np.ndarray, higher_seconds: int, base_seconds: int
) -> np.ndarray:
    """Row of the last *closed* higher bar visible on each base bar (-1: none yet).

    The higher bar opening at ``T`` becomes visible on base bars opening at or after
    ``T + higher - base`` (the base bar whose close is the higher bar's close).
    """
    base_bars_per_bar(higher_seconds, base_seconds)
    visible_from = higher_open_ns + (higher_seconds - base_seconds) * _NS
    return np.searchsorted(visible_from, base_ns, side="right").astype(np.int64) - 1
