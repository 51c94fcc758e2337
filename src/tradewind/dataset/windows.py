"""Sliding windows addressed by the row of their last bar, never materialised.

A window ending at row ``e`` covers rows ``e - lookback + 1 .. e`` of one contiguous
feature matrix [T, F]. Batches are gathered from a tensor of end rows, so memory is
the matrix plus one batch, whatever the number of windows (seed 001 built a
(281060, 60, 25) array and ran out of memory; we never build it).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from tradewind.exceptions import ConfigError

__all__ = ["Windows"]


class Windows:
    """Windows of ``lookback`` rows over ``matrix`` [T, F], addressed by end row.

    Parameters
    ----------
    matrix:
        Float tensor or array [T, F]; kept as given (no copy when already float32 torch or
        a C-contiguous float32 array, whose memory is shared).
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

    @property
    def n_windows(self) -> int:
        """Number of end rows with a full window behind them."""
        return max(self.n_rows - self.lookback + 1, 0)

    def __repr__(self) -> str:
        return f"Windows(rows={self.n_rows}, features={self.n_features}, lookback={self.lookback})"

    def valid_ends(self) -> np.ndarray:
        """Every end row that has a full window behind it."""
        return np.arange(self.lookback - 1, self.n_rows, dtype=np.int64)

    def to(self, device: torch.device | str) -> Windows:
        """The same windows over a copy of the matrix on ``device``."""
        return Windows(self.matrix.to(device), self.lookback)

    def gather(
        self,
        ends: torch.Tensor | np.ndarray,
        *,
        check: bool = True,
        out: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Windows [B, lookback, F] for the given end rows (one gather, no Python loop).

        ``check=False`` skips the range check (two host syncs on CUDA) for callers that
        validated all their end rows once, e.g. the trainer's per-batch gathers.
        ``out``: a contiguous buffer with at least ``B * lookback * F`` elements, of the
        matrix's dtype and device, that is filled and returned (as a view) instead of
        allocating a new batch; reusing one buffer avoids page-faulting a fresh one per batch.
        """
        if isinstance(ends, np.ndarray):
            if ends.size and not np.issubdtype(ends.dtype, np.integer):
                raise ConfigError(f"window end rows must be integers, got dtype {ends.dtype}")
            ends = torch.from_numpy(ends.astype(np.int64, copy=False))
        if ends.ndim != 1:
            raise ConfigError(f"window end rows must be 1-D, got shape {tuple(ends.shape)}")
        if ends.numel() and (ends.dtype.is_floating_point or ends.dtype == torch.bool):
            raise ConfigError(f"window end rows must be integers, got dtype {ends.dtype}")
        ends = ends.to(device=self.matrix.device, dtype=torch.int64)
        if check and ends.numel() and (
            int(ends.min()) < self.lookback - 1 or int(ends.max()) >= self.n_rows
        ):
            raise ConfigError(
                f"window end rows must lie in [{self.lookback - 1}, {self.n_rows - 1}], "
                f"got [{int(ends.min())}, {int(ends.max())}]"
            )
        rows = (ends[:, None] + self._offsets[None, :]).reshape(-1)
        shape = (int(ends.shape[0]), self.lookback, self.n_features)
        if out is None:
            return torch.index_select(self.matrix, 0, rows).view(shape)
        need = rows.numel() * self.n_features
        if out.dtype != self.matrix.dtype or out.device != self.matrix.device:
            raise ConfigError(
                f"out buffer is {out.dtype} on {out.device}; the matrix is "
                f"{self.matrix.dtype} on {self.matrix.device}"
            )
        if not out.is_contiguous() or out.numel() < need:
            raise ConfigError(
                f"out buffer must be contiguous with >= {need} elements, got "
                f"{out.numel()} (contiguous={out.is_contiguous()})"
            )
        target = out.view(-1)[:need].view(rows.numel(), self.n_features)
        torch.index_select(self.matrix, 0, rows, out=target)
        return target.view(shape)

    def batches(
        self, ends: torch.Tensor | np.ndarray, batch_size: int
    ) -> Iterator[tuple[np.ndarray, torch.Tensor]]:
        """Yield ``(end_rows, windows [B, lookback, F])`` over ``ends`` in order, one batch
        in memory at a time."""
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        ends = np.asarray(ends.cpu() if isinstance(ends, torch.Tensor) else ends, dtype=np.int64)
        for start in range(0, ends.shape[0], batch_size):
            chunk = ends[start : start + batch_size]
            yield chunk, self.gather(chunk)

    def view(self) -> torch.Tensor:
        """All windows as a zero-copy strided view [T - lookback + 1, lookback, F]."""
        return self.matrix.unfold(0, self.lookback, 1).permute(0, 2, 1)
