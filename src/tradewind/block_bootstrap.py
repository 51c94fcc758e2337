"""The one moving-block bootstrap behind every interval tradewind reports.

Rows of a price series are autocorrelated (overlapping label horizons, trades held over
several bars, volatility regimes), so a resample joins ``ceil(N / block)`` contiguous
blocks of rows whose starts are drawn uniformly from ``0 … N − block``; the last block is
cut so the resample has exactly N rows. The block length is ``max(block, horizon)``, with
``block`` defaulting to :data:`DEFAULT_BLOCK` rows: neighbouring rows that share future bars
(a label's horizon, a trade's holding period) always fall in one block.

The classification intervals (:func:`tradewind.evaluation.moving_block_bootstrap_ci`) and
the backtest's Sharpe interval (:func:`tradewind.backtest.compute_stats`) both draw their
block starts from :meth:`BlockBootstrap.block_starts`, so the same seed and settings give
the same resamples in both, and both take their percentile interval from
:meth:`BlockBootstrap.interval`. Block starts are drawn in chunks to bound memory; the
chunking never changes the numbers drawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from tradewind.exceptions import ConfigError

__all__ = ["DEFAULT_BLOCK", "BlockBootstrap"]

DEFAULT_BLOCK = 24
"""Block length in rows when none is given (a day of hourly bars)."""


@dataclass(frozen=True)
class BlockBootstrap:
    """Settings of one moving-block bootstrap: the experiment's ``bootstrap:`` section.

    Attributes
    ----------
    n_boot:
        Number of resamples.
    block:
        Requested block length in rows; None means :data:`DEFAULT_BLOCK`. The length used
        is never below the horizon (see :meth:`block_length`).
    level:
        Two-sided level of the percentile interval, e.g. 0.95.
    """

    n_boot: int = 1000
    block: int | None = None
    level: float = 0.95

    def __post_init__(self) -> None:
        if self.n_boot < 2 or (self.block is not None and self.block < 1) or not 0 < self.level < 1:
            raise ConfigError(
                f"bootstrap needs n_boot >= 2, block >= 1 (or null) and 0 < level < 1; got "
                f"n_boot={self.n_boot}, block={self.block}, level={self.level}. Fix the "
                "experiment's bootstrap: section."
            )

    def block_length(self, horizon: int = 1) -> int:
        """Block length in rows: ``max(block or DEFAULT_BLOCK, horizon)``."""
        if horizon < 1:
            raise ConfigError(f"bootstrap horizon must be >= 1 bar; got {horizon}.")
        return max(int(self.block or DEFAULT_BLOCK), int(horizon))

    def describe(self, block: int, unit: str = "rows") -> str:
        """How an interval was made, for reports: method, block used, resamples, level."""
        return (f"moving-block bootstrap, block {block} {unit}, {self.n_boot} resamples, "
                f"{self.level * 100:g} % level")

    def block_starts(
        self, n_rows: int, block: int, seed: int, max_cells: int = 4_000_000
    ) -> Iterator[np.ndarray]:
        """Block starts ``[m, ceil(n_rows / block)]`` of every resample, ``m`` rows at a time.

        Yields chunks of at most ``max(1, max_cells // n_blocks)`` resamples that together
        make ``n_boot`` rows; the numbers drawn depend only on ``n_rows``, ``block``,
        ``n_boot`` and ``seed``, not on ``max_cells``.
        """
        if not 1 <= block <= n_rows:
            raise ConfigError(f"block length must lie in 1..{n_rows} (the rows); got {block}.")
        n_blocks = -(-n_rows // block)
        rng = np.random.default_rng(seed)
        chunk = max(1, max_cells // n_blocks)
        for lo in range(0, self.n_boot, chunk):
            m = min(chunk, self.n_boot - lo)
            yield rng.integers(0, n_rows - block + 1, size=(m, n_blocks), dtype=np.int64)

    def resample_rows(self, n_rows: int, block: int, seed: int) -> np.ndarray:
        """Row indices ``[n_boot, n_rows]`` of every resample (the reference, memory ``n_boot · N``)."""
        tail = n_rows - (-(-n_rows // block) - 1) * block
        out = []
        for starts in self.block_starts(n_rows, block, seed):
            body = (starts[:, :-1, None] + np.arange(block)).reshape(len(starts), -1)
            last = starts[:, -1:] + np.arange(tail)
            out.append(np.hstack([body, last]))
        return np.vstack(out)

    def interval(self, samples: np.ndarray) -> tuple[float, float]:
        """Percentile interval of the finite ``samples`` at ``level``; NaNs when none is finite."""
        s = np.asarray(samples, dtype=np.float64)
        s = s[np.isfinite(s)]
        if s.size == 0:
            return float("nan"), float("nan")
        lo, hi = np.quantile(s, [(1 - self.level) / 2, 1 - (1 - self.level) / 2])
        return float(lo), float(hi)
