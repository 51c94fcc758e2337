"""Sliding windows addressed by the row of their last bar, never materialised.

A window ending at row ``e`` covers rows ``e - lookback + 1 .. e`` of one contiguous
feature matrix [T, F]. Batches are gathered from a tensor of end rows, so memory is
the matrix plus one batch, whatever the number of windows (seed 001 built a
(281060, 60, 25) array and ran out of memory; we never build it).
"""

from __future__ import annotations

import numpy as np
import torch

from tradewind.exceptions import ConfigError

__all__ = ["Windows"]


class Windows:
    """Windows of ``lookback`` rows over ``matrix`` [T, F], addressed by end row.

    Parameters
    ----------
    matrix:
        Float tensor or array [T, F]; kept as given (no copy when already float32 torch).
    lookback:
        Number of bars per window, including the end bar.

    Examples
    --------
    >>> w = Windows(np.arange(12, dtype=np.float32).reshape(6, 2), lookback=3)
    >>> w.gather(torch.tensor([2, 5])).shape
    torch.Size([2, 3, 2])
    """

    def __init__(self, matrix: torch.Tensor | np.ndarray, lookback: int) -> None:
        if lookback < 1:
            raise ConfigError(f"lookback must be >= 1, got {lookback}")
        if isinstance(matrix, np.ndarray):
            matrix = torch.from_numpy(np.ascontiguousarray(matrix, dtype=np.float32))
        if matrix.ndim != 2:
            raise ConfigError(f"Windows needs a [T, F] matrix, got shape {tuple(matrix.shape)}")
        self.matrix = matrix
        self.lookback = int(lookback)
        self._offsets = torch.arange(-self.lookback + 1, 1, device=matrix.device)

    @property
    def n_rows(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.matrix.shape[1])

    def valid_ends(self) -> np.ndarray:
        """Every end row that has a full window behind it."""
        return np.arange(self.lookback - 1, self.n_rows, dtype=np.int64)

    def to(self, device: torch.device | str) -> Windows:
        """The same windows over a copy of the matrix on ``device``."""
        return Windows(self.matrix.to(device), self.lookback)

    def gather(self, ends: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Windows [B, lookback, F] for the given end rows (one gather, no Python loop)."""
        if isinstance(ends, np.ndarray):
            ends = torch.from_numpy(ends.astype(np.int64, copy=False))
        ends = ends.to(self.matrix.device)
        if ends.numel() and (int(ends.min()) < self.lookback - 1 or int(ends.max()) >= self.n_rows):
            raise ConfigError(
                f"window end rows must lie in [{self.lookback - 1}, {self.n_rows - 1}], "
                f"got [{int(ends.min())}, {int(ends.max())}]"
            )
        index = ends[:, None] + self._offsets[None, :]
        return self.matrix[index]

    def view(self) -> torch.Tensor:
        """All windows as a zero-copy strided view [T - lookback + 1, lookback, F]."""
        return self.matrix.unfold(0, self.lookback, 1).permute(0, 2, 1)
