"""The few metrics the trainer needs every epoch, computed from a confusion matrix."""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["confusion_matrix", "mcc_from_confusion"]


def confusion_matrix(y_true: torch.Tensor, y_pred: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Counts [C, C]: row = true class, column = predicted class (one bincount, any device)."""
    flat = y_true.long() * n_classes + y_pred.long()
    return torch.bincount(flat, minlength=n_classes * n_classes).view(n_classes, n_classes)


def mcc_from_confusion(cm: np.ndarray | torch.Tensor) -> float:
    """Multiclass Matthews correlation (Gorodkin's R_K); 0 when a margin is constant.

    Predicting one class for every row gives 0, which is why early stopping on MCC never
    prefers a collapsed model.
    """
    c = np.asarray(cm.cpu() if isinstance(cm, torch.Tensor) else cm, dtype=np.float64)
    s = c.sum()
    t = c.sum(axis=1)
    p = c.sum(axis=0)
    num = np.trace(c) * s - t @ p
    den = math.sqrt(max(s * s - p @ p, 0.0)) * math.sqrt(max(s * s - t @ t, 0.0))
    return 0.0 if den == 0.0 else float(num / den)
