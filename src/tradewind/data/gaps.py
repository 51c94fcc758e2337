"""Spacing between consecutive bars: gaps (missing bars) and off-grid spacings.

Shared by ``validate`` (which reports them) and ``info`` (which summarises them).
Everything is computed on the rows in file order; spacings that are zero or negative
(duplicates, unsorted rows) are left to the ordering rules and ignored here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["SpacingStats", "spacing_stats"]


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
