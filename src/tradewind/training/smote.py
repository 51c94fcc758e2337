"""SMOTE through imbalanced-learn, a bounded number of rows at a time.

Seed 001's SMOTE never ran ("not enough memory 1.30GB < 2.0GB") because it was asked to
oversample a (281060, 60, 25) array at once. Here SMOTE sees ``chunk_size`` consecutive
rows at a time: each chunk's minority classes are raised to its majority count with
neighbours found inside the chunk, so the neighbour search and its buffers are bounded
by the chunk, and synthetic rows interpolate between rows close in time.

How ``fit`` uses it: only for tabular inputs, i.e. window length (lookback) 1, where a
window *is* its end row. ``fit`` takes the training rows (plus the side features, which
are synthesised with them), runs ``smote_chunks`` and appends the synthetic rows to a
copy of the matrix; their end rows join ``train_ends`` and their aux targets are NaN
(masked out of the auxiliary loss). Validation rows are never touched. Longer windows
are refused with ``ConfigError``: interpolating two 60-bar windows does not give a
market path, and the class-balanced sampler does the job without inventing data.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from tradewind.exceptions import DataError
from tradewind.extras import require

__all__ = ["chunked_smote", "smote_chunks"]


def _check(X: np.ndarray, y: np.ndarray, chunk_size: int, k_neighbors: int) -> None:
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise DataError(
            f"SMOTE needs X [N, F] and y [N] of equal length, got {X.shape} and {y.shape}"
        )
    if len(y) and int(y.min()) < 0:
        bad = np.flatnonzero(y < 0)
        raise DataError(
            f"SMOTE got {len(bad)} unlabelled rows (label -1, first at position {bad[0]}); "
            "pass labelled rows only"
        )
    if chunk_size < 2 or k_neighbors < 1:
        raise DataError(f"need chunk_size >= 2 and k_neighbors >= 1, got {chunk_size}, {k_neighbors}")


def smote_chunks(
    X: np.ndarray,
    y: np.ndarray,
    *,
    chunk_size: int = 50_000,
    k_neighbors: int = 5,
    seed: int = 0,
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield ``(start_row, X_synthetic, y_synthetic)`` for each chunk of ``chunk_size`` rows.

    Within a chunk every class with at least two rows is raised to the chunk's largest
    class count; a class with a single row cannot be interpolated and is left as is.
    ``k_neighbors`` shrinks to (smallest oversampled class count - 1) where needed.
    Chunk i uses random_state ``seed + i``.
    """
    X = np.asarray(X)
    y = np.asarray(y, dtype=np.int64)
    _check(X, y, chunk_size, k_neighbors)
    SMOTE = require("imblearn.over_sampling", "training.smote").SMOTE
    for i, start in enumerate(range(0, len(y), chunk_size)):
        Xc = X[start : start + chunk_size]
        yc = y[start : start + chunk_size]
        counts = np.bincount(yc)
        target = int(counts.max())
        strategy = {c: target for c, n in enumerate(counts) if 2 <= n < target}
        if not strategy:
            yield start, X[:0].copy(), y[:0].copy()
            continue
        k = min(k_neighbors, min(int(counts[c]) for c in strategy) - 1)
        sampler = SMOTE(sampling_strategy=strategy, k_neighbors=k, random_state=seed + i)
        X_res, y_res = sampler.fit_resample(Xc, yc)
        yield start, np.asarray(X_res[len(Xc) :], dtype=X.dtype), np.asarray(
            y_res[len(Xc) :], dtype=np.int64
        )


def chunked_smote(
    X: np.ndarray,
    y: np.ndarray,
    *,
    chunk_size: int = 50_000,
    k_neighbors: int = 5,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Oversample minority classes chunk by chunk; returns ``(X_res, y_res)``.

    The output holds, chunk after chunk, the chunk's original rows (in order) followed by
    its synthetic rows, so every chunk is balanced on its own and so is the whole.

    Examples
    --------
    >>> X = np.arange(20, dtype=np.float64).reshape(10, 2)
    >>> y = np.array([0, 0, 0, 0, 0, 0, 0, 1, 1, 1])
    >>> X_res, y_res = chunked_smote(X, y, chunk_size=10, k_neighbors=2)
    >>> np.bincount(y_res).tolist()
    [7, 7]
    """
    X = np.asarray(X)
    y = np.asarray(y, dtype=np.int64)
    parts_X: list[np.ndarray] = []
    parts_y: list[np.ndarray] = []
    for start, X_syn, y_syn in smote_chunks(
        X, y, chunk_size=chunk_size, k_neighbors=k_neighbors, seed=seed
    ):
        parts_X += [X[start : start + chunk_size], X_syn]
        parts_y += [y[start : start + chunk_size], y_syn]
    if not parts_X:
        return X.copy(), y.copy()
    return np.concatenate(parts_X), np.concatenate(parts_y)
