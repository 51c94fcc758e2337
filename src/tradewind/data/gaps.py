"""Spacing between consecutive bars: gaps (missing bars) and off-grid spacings.

Shared by ``validate`` (which reports them) and ``info`` (which summarises them).
Everything is computed on the rows in file order; spacings that are zero or negative
(duplicates, unsorted rows) are left to the ordering rules and ignored here.

:func:`fill_gaps` and :func:`apply_gap_policy` apply a data policy's ``gaps`` setting to
a window of candles: ``error`` refuses a gap naming its first missing bar, ``fill``
inserts flat bars, ``allow`` keeps the gap (features are computed across it, as in
training) and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from tradewind.exceptions import DataError

__all__ = ["GapMode", "SpacingStats", "apply_gap_policy", "fill_gaps", "spacing_stats"]

GapMode = Literal["allow", "error", "fill"]


@dataclass(frozen=True)
class SpacingStats:
    """What the spacings of an index say, relative to a bar length of ``step_ns``.

    Attributes
    ----------
    missing_bars:
        Bars that would fit in the gaps (a spacing of k bars misses k - 1).
    gap_count:
        Number of gaps (spacings of two bars or more that are whole multiples).
    largest_gap_bars:
        Missing bars in the largest gap (0 when there is none).
    first_missing:
        Open time of the first missing bar, or None.
    largest_gap_at:
        Open time of the first missing bar of the largest gap, or None.
    off_grid:
        Spacings that are not whole multiples of the bar length (mixed timeframes).
    first_off_grid:
        Timestamp of the bar that ends the first off-grid spacing, or None.
    first_off_grid_spacing:
        That spacing, or None.
    """

    missing_bars: int
    gap_count: int
    largest_gap_bars: int
    first_missing: pd.Timestamp | None
    largest_gap_at: pd.Timestamp | None
    off_grid: int
    first_off_grid: pd.Timestamp | None
    first_off_grid_spacing: pd.Timedelta | None


def spacing_stats(index: pd.DatetimeIndex, step_seconds: int) -> SpacingStats:
    """Gaps and off-grid spacings of ``index`` for bars of ``step_seconds``."""
    ns = pd.DatetimeIndex(index).as_unit("ns")
    values = ns.asi8
    step = int(step_seconds) * 1_000_000_000
    if len(values) < 2:
        return SpacingStats(0, 0, 0, None, None, 0, None, None)
    diffs = np.diff(values)
    positive = diffs > 0
    on_grid = positive & (diffs % step == 0)
    off_grid = positive & ~on_grid
    missing = np.where(on_grid, diffs // step - 1, 0)
    gap_rows = np.flatnonzero(missing > 0)
    first_missing = largest_at = None
    largest = 0
    if len(gap_rows):
        first_missing = ns[gap_rows[0]] + pd.Timedelta(step, unit="ns")
        where = gap_rows[np.argmax(missing[gap_rows])]
        largest = int(missing[where])
        largest_at = ns[where] + pd.Timedelta(step, unit="ns")
    off_rows = np.flatnonzero(off_grid)
    first_off = first_off_spacing = None
    if len(off_rows):
        first_off = ns[off_rows[0] + 1]
        first_off_spacing = pd.Timedelta(int(diffs[off_rows[0]]), unit="ns")
    return SpacingStats(
        missing_bars=int(missing.sum()),
        gap_count=len(gap_rows),
        largest_gap_bars=largest,
        first_missing=first_missing,
        largest_gap_at=largest_at,
        off_grid=len(off_rows),
        first_off_grid=first_off,
        first_off_grid_spacing=first_off_spacing,
    )


def fill_gaps(candles: pd.DataFrame, step_seconds: int) -> tuple[pd.DataFrame, int]:
    """``candles`` with every missing bar inserted as a flat bar, and how many were inserted.

    A filled bar opens, closes, highs and lows at the previous bar's close with zero
    volume: no trade happened, so the price did not move. Only whole multiples of the
    bar length are filled; off-grid spacings are left as they are. ``attrs`` are kept.
    """
    ns = pd.DatetimeIndex(candles.index).as_unit("ns")
    values = ns.asi8
    step = int(step_seconds) * 1_000_000_000
    if len(values) < 2:
        return candles, 0
    diffs = np.diff(values)
    missing = np.where((diffs > 0) & (diffs % step == 0), diffs // step - 1, 0)
    rows = np.flatnonzero(missing > 0)
    if not len(rows):
        return candles, 0
    extra = np.concatenate([values[i] + step * np.arange(1, missing[i] + 1) for i in rows])
    index = pd.DatetimeIndex(np.sort(np.concatenate([values, extra])), tz=ns.tz).as_unit(
        pd.DatetimeIndex(candles.index).unit)
    out = candles.reindex(index)
    close = out["close"].ffill()
    added = out["close"].isna()
    for column in ("open", "high", "low", "close"):
        out[column] = out[column].where(~added, close)
    if "volume" in out.columns:
        out["volume"] = out["volume"].where(~added, 0.0)
    out = out.astype(candles.dtypes.to_dict())
    out.index.name = candles.index.name
    out.attrs = dict(candles.attrs)
    return out, int(added.sum())


def apply_gap_policy(
    candles: pd.DataFrame, step_seconds: int, mode: GapMode, *, where: str
) -> tuple[pd.DataFrame, list[str]]:
    """Apply a data policy's ``gaps`` mode to ``candles``: the candles to use and warnings.

    ``error`` raises :class:`DataError` naming the first missing bar's open time;
    ``fill`` returns the candles with flat bars inserted (:func:`fill_gaps`); ``allow``
    returns them unchanged. Both say what they saw in the warnings (none without gaps).
    """
    stats = spacing_stats(pd.DatetimeIndex(candles.index), step_seconds)
    if stats.missing_bars == 0:
        return candles, []
    first = pd.Timestamp(stats.first_missing).isoformat()
    seen = (f"{stats.missing_bars} bar(s) missing in {stats.gap_count} gap(s), the first "
            f"missing bar opening at {first}")
    if mode == "error":
        raise DataError(
            f"{where}: {seen}. The model's data policy refuses gaps (data.policy.gaps = "
            "'error', as in its training): send the bars without gaps, or retrain with "
            "data.policy.gaps = 'fill' or 'allow'"
        )
    if mode == "fill":
        filled, _ = fill_gaps(candles, step_seconds)
        return filled, [f"{seen}; filled with flat bars at the previous close and zero volume "
                        "(data.policy.gaps = 'fill')"]
    return candles, [f"{seen}; features were computed across the gap, as in training "
                     "(data.policy.gaps = 'allow')"]
