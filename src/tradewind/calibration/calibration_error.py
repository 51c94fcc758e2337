"""Expected calibration error (equal-width and equal-mass bins) and reliability curves.

All three look at the confidence of the predicted class, ``max_c probs[i, c]``, and whether
that prediction was right. Equal-width bins are ``(k/B, (k+1)/B]`` (the first also holds 0);
ties in the argmax go to the lowest class index, as ``np.argmax`` does.
"""

from __future__ import annotations

import numpy as np

from tradewind.calibration._checks import as_labels, as_probs
from tradewind.exceptions import ConfigError, SchemaMismatchError

__all__ = ["adaptive_ece", "ece", "reliability_curve"]


def _confidence_and_hits(
    probs: np.ndarray, y: np.ndarray, n_bins: int
) -> tuple[np.ndarray, np.ndarray]:
    if n_bins < 1:
        raise ConfigError(f"n_bins must be >= 1; got {n_bins}.")
    p = as_probs(probs)
    if p.shape[0] == 0:
        raise SchemaMismatchError("calibration error needs at least one row; got 0.")
    labels = as_labels(y, n_rows=p.shape[0], n_classes=p.shape[1])
    return p.max(axis=1), (p.argmax(axis=1) == labels).astype(np.float64)


def _equal_width_bins(conf: np.ndarray, n_bins: int) -> np.ndarray:
    inner_edges = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    return np.digitize(conf, inner_edges, right=True)


def ece(probs: np.ndarray, y: np.ndarray, n_bins: int = 15) -> float:
    """Expected calibration error with ``n_bins`` equal-width confidence bins.

    ``sum_b (n_b / N) * |accuracy_b - confidence_b|``, which equals
    ``sum_b |hits_b - sum of confidences_b| / N``.

    Parameters
    ----------
    probs:
        Probabilities [N, C] (rows sum to 1).
    y:
        True class indices [N] in ``0..C-1``.
    """
    conf, hits = _confidence_and_hits(probs, y, n_bins)
    idx = _equal_width_bins(conf, n_bins)
    gap = np.bincount(idx, weights=hits, minlength=n_bins) - np.bincount(
        idx, weights=conf, minlength=n_bins
    )
    return float(np.abs(gap).sum() / conf.shape[0])


def adaptive_ece(probs: np.ndarray, y: np.ndarray, n_bins: int = 15) -> float:
    """ECE with equal-mass bins: rows sorted by confidence, split into ``n_bins`` groups.

    Group sizes differ by at most one (``np.array_split``); with fewer rows than bins each
    row is its own group. Less sensitive than :func:`ece` to empty high-confidence bins.
    """
    conf, hits = _confidence_and_hits(probs, y, n_bins)
    order = np.argsort(conf, kind="stable")
    total = 0.0
    for group in np.array_split(order, min(n_bins, conf.shape[0])):
        total += abs(hits[group].sum() - conf[group].sum())
    return float(total / conf.shape[0])


def reliability_curve(
    probs: np.ndarray, y: np.ndarray, n_bins: int = 15
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per equal-width bin: mean confidence, accuracy and row count, each [n_bins].

    Empty bins have NaN confidence and accuracy and count 0; a calibrated model's points
    lie on the diagonal ``accuracy == confidence``.
    """
    conf, hits = _confidence_and_hits(probs, y, n_bins)
    idx = _equal_width_bins(conf, n_bins)
    count = np.bincount(idx, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        bin_conf = np.bincount(idx, weights=conf, minlength=n_bins) / count
        bin_acc = np.bincount(idx, weights=hits, minlength=n_bins) / count
    return bin_conf, bin_acc, count.astype(np.int64)
