"""One normaliser per series, each fitted on that series' own training rows.

Pooling instruments whose features live on different scales (a volatile altcoin beside
BTC) must not scale one by the other's statistics, nor by statistics of rows it will be
tested on. Series ``s`` occupies rows ``offsets[s] .. offsets[s+1]-1`` of the stacked
matrix; its normaliser sees only its training rows (and the window rows behind its first
training sample, never before the series' first row) and transforms only its rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tradewind.dataset.normalize import Normalizer
from tradewind.exceptions import ConfigError, NotFittedError

__all__ = ["SeriesNormalizer"]


class SeriesNormalizer:
    """Per-series :class:`Normalizer` over a stacked matrix.

    Parameters
    ----------
    kind, clip:
        As for :class:`Normalizer`.

    Attributes
    ----------
    normalizers_ : list of Normalizer, one per series in id order
    offsets_ : int64 [S + 1], first row of each series and the total row count
    """

    def __init__(self, kind: str = "standard", clip: float | None = 5.0) -> None:
        self.kind = kind
        self.clip = clip

    def fit(
        self,
        X: np.ndarray,
        offsets: np.ndarray,
        train_rows: np.ndarray,
        lookback: int,
        feature_names: Sequence[str],
        symbols: Sequence[str] = (),
    ) -> SeriesNormalizer:
        """Fit series ``s`` on rows ``max(first - lookback + 1, offsets[s]) .. last`` of its
        training rows (every window the model trains on); a series without one is refused."""
        offsets = np.asarray(offsets, dtype=np.int64)
        train_rows = np.asarray(train_rows, dtype=np.int64)
        fitted = []
        for s in range(len(offsets) - 1):
            lo, hi = int(offsets[s]), int(offsets[s + 1])
            rows = train_rows[(train_rows >= lo) & (train_rows < hi)]
            if rows.size == 0:
                name = symbols[s] if s < len(symbols) else f"series {s}"
                raise ConfigError(
                    f"normalizer: symbol {name!r} has no training rows to fit its statistics "
                    "on; every series of a pooled model needs training rows in every fold"
                )
            first = max(int(rows[0]) - lookback + 1, lo)
            norm = Normalizer(kind=self.kind, clip=self.clip)  # type: ignore[arg-type]
            fitted.append(norm.fit(X[first:int(rows[-1]) + 1], feature_names))
        self.normalizers_ = fitted
        self.offsets_ = offsets
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """float32 [T, F]: each series' rows scaled by its own normaliser."""
        if not hasattr(self, "normalizers_"):
            raise NotFittedError("SeriesNormalizer is not fitted; call fit() first")
        if X.shape[0] != int(self.offsets_[-1]):
            raise ConfigError(
                f"SeriesNormalizer.transform: X has {X.shape[0]} rows, fitted on a stack of "
                f"{int(self.offsets_[-1])}"
            )
        if len(self.normalizers_) == 1:
            return self.normalizers_[0].transform(X)
        out = np.empty(X.shape, dtype=np.float32)
        for s, norm in enumerate(self.normalizers_):
            lo, hi = int(self.offsets_[s]), int(self.offsets_[s + 1])
            out[lo:hi] = norm.transform(X[lo:hi])
        return out
