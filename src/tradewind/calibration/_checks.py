"""Input checks shared by calibrators, calibration metrics and evaluation.

Shapes that do not match the contract raise :class:`SchemaMismatchError`; values that
break it (NaN logits, labels outside the classes, rows that do not sum to one) raise
:class:`DataError`. Every message names the argument, the first offending row and the fix.
"""

from __future__ import annotations

import numpy as np

from tradewind.exceptions import DataError, NotFittedError, SchemaMismatchError

__all__ = ["as_labels", "as_logits", "as_probs", "check_fitted"]

_PROB_SUM_TOL = 1e-4


def as_logits(logits: object, *, name: str = "logits", allow_nonfinite: bool = False) -> np.ndarray:
    """``logits`` as a float64 array [N, C] with C >= 2 (finite unless allowed)."""
    arr = np.asarray(logits, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise SchemaMismatchError(
            f"{name} must be a 2-D array [N, C] with C >= 2 classes; got shape {arr.shape}. "
            "Pass one row of class scores per prediction."
        )
    if not allow_nonfinite:
        bad = ~np.isfinite(arr).all(axis=1)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{name} has {int(bad.sum())} row(s) with NaN/inf values (first at row {row}: "
                f"{arr[row].tolist()}); a model must emit finite logits. Run "
                "tradewind.evaluation.diagnose on them and fix the inputs (normalisation)."
            )
    return arr


def as_probs(probs: object, *, name: str = "probs") -> np.ndarray:
    """``probs`` as float64 [N, C]: finite, non-negative, rows summing to one (renormalised)."""
    arr = as_logits(probs, name=name)
    if (arr < 0).any():
        row = int(np.flatnonzero((arr < 0).any(axis=1))[0])
        raise DataError(
            f"{name} has negative probabilities (first at row {row}: {arr[row].tolist()})."
        )
    sums = arr.sum(axis=1)
    off = np.abs(sums - 1.0) > _PROB_SUM_TOL
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise DataError(
            f"{name} rows must sum to 1 (tolerance {_PROB_SUM_TOL}); row {row} sums to "
            f"{sums[row]:.6g}. Pass calibrated probabilities (softmax of logits), not logits."
        )
    return arr / sums[:, None]


def as_labels(y: object, *, n_rows: int, n_classes: int, name: str = "y") -> np.ndarray:
    """``y`` as int64 [n_rows] with every value in ``0 .. n_classes - 1``."""
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.shape[0] != n_rows:
        raise SchemaMismatchError(
            f"{name} must be 1-D with {n_rows} labels (one per prediction row); got shape {arr.shape}."
        )
    integral = np.issubdtype(arr.dtype, np.integer) or (
        np.issubdtype(arr.dtype, np.floating) and bool(np.all(arr == np.round(arr)))
    )
    if arr.size and not integral:
        raise DataError(f"{name} must hold integer class indices; got dtype {arr.dtype}.")
    arr = arr.astype(np.int64)
    bad = (arr < 0) | (arr >= n_classes)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{name} must hold class indices 0..{n_classes - 1}; row {row} has {int(arr[row])} "
            f"({int(bad.sum())} bad row(s)). Drop unlabelled rows (label -1) before calling."
        )
    return arr


def check_fitted(obj: object, attribute: str) -> None:
    """Raise :class:`NotFittedError` unless ``obj`` has the learned ``attribute``."""
    if getattr(obj, attribute, None) is None:
        raise NotFittedError(
            f"{type(obj).__name__} is not fitted: call fit(logits, y) on validation rows first."
        )
