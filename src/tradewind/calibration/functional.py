"""Numerically stable softmax, log-softmax and negative log-likelihood over logits [N, C]."""

from __future__ import annotations

import numpy as np

from tradewind.calibration._checks import as_logits

__all__ = ["log_softmax", "nll", "softmax"]


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax of ``logits`` [N, C] (max-shifted, so 1e5-sized logits are fine)."""
    z = np.asarray(logits, dtype=np.float64)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``logits`` [N, C] -> probabilities [N, C] (rows sum to 1).

    The maximum is subtracted first, so raw logits of 40,000 give (0, 1) instead of NaN.
    """
    z = as_logits(logits, allow_nonfinite=True)
    return np.exp(log_softmax(z))


def nll(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-likelihood of integer labels ``y`` [N] under softmax(``logits``)."""
    lp = log_softmax(logits)
    return float(-lp[np.arange(lp.shape[0]), y].mean())
