"""Which feature rows become samples: a full window behind them and a known label.

Splits work on **sample positions** ``0 … len(index) − 1``; ``SampleIndex.rows`` maps them
to feature-matrix rows, which are also the window end rows for ``Windows.gather``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tradewind.exceptions import ConfigError, DataError

__all__ = ["SampleIndex"]


@dataclass(frozen=True)
class SampleIndex:
    """Sorted int64 feature rows that are samples, and the shape they came from.

    Attributes
    ----------
    rows:
        int64 [N] ascending feature-matrix rows ``e`` with ``e >= lookback − 1`` and a known
        label at ``e``; position ``p`` of a split means row ``rows[p]``.
    n_rows:
        Rows ``T`` of the feature matrix.
    lookback:
        Bars per window.

    Examples
    --------
    >>> y = np.array([1, 0, -1, 1, 0, -1])
    >>> SampleIndex.build(6, 2, y).rows
    array([1, 3, 4])
    """

    rows: np.ndarray
    n_rows: int
    lookback: int

    @classmethod
    def build(cls, n_rows: int, lookback: int, labels: np.ndarray) -> SampleIndex:
        """Samples of a [``n_rows``, F] feature matrix given labels aligned with its rows.

        ``labels`` is the int label array (known where ``>= 0``) or a float target such as
        the forward return (known where finite), one value per feature row.
        """
        if lookback < 1:
            raise ConfigError(f"SampleIndex: lookback must be >= 1, got {lookback}")
        labels = np.asarray(labels)
        if labels.shape != (n_rows,):
            raise DataError(
                f"SampleIndex: labels must have one value per feature row ({n_rows}), got "
                f"shape {labels.shape}; align the labels with the feature rows first"
            )
        known = labels >= 0 if np.issubdtype(labels.dtype, np.integer) else np.isfinite(labels)
        known[: lookback - 1] = False
        return cls(rows=np.flatnonzero(known).astype(np.int64), n_rows=int(n_rows), lookback=int(lookback))

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def rows_at(self, positions: np.ndarray) -> np.ndarray:
        """Feature rows (window end rows) of the given sample positions."""
        return self.rows[np.asarray(positions, dtype=np.int64)]
