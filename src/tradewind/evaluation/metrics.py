"""Out-of-sample classification metrics from calibrated probabilities.

MCC is the headline (seed 000): it is 0 for a constant or random predictor whatever the
class balance, where accuracy rewards predicting the majority class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    log_loss,
    matthews_corrcoef,
    precision_recall_fscore_support,
    roc_auc_score,
)

from tradewind.calibration import adaptive_ece, ece
from tradewind.calibration._checks import as_labels, as_probs
from tradewind.evaluation._json import json_safe
from tradewind.exceptions import SchemaMismatchError

__all__ = [
    "ClassScores",
    "ClassificationMetrics",
    "brier_score",
    "classification_metrics",
    "mcc_from_confusion",
    "mcc_from_counts",
]


@dataclass(frozen=True)
class ClassScores:
    """Precision, recall, F1 and support (true rows) of one class."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class ClassificationMetrics:
    """Metrics of one predictor on one set of out-of-sample rows.

    ``confusion[i][j]`` counts rows whose true class is ``classes[i]`` and predicted class
    (argmax of the probabilities) is ``classes[j]``. ``roc_auc`` is None unless binary
    with both classes present. Shares are fractions of ``n_rows`` per class name.
    """

    classes: tuple[str, ...]
    n_rows: int
    accuracy: float
    balanced_accuracy: float
    macro_f1: float
    mcc: float
    per_class: dict[str, ClassScores]
    confusion: tuple[tuple[int, ...], ...]
    log_loss: float
    brier: float
    ece: float
    adaptive_ece: float
    roc_auc: float | None
    predicted_shares: dict[str, float]
    label_shares: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (NaN becomes None)."""
        return json_safe(
            {
                "classes": list(self.classes),
                "n_rows": self.n_rows,
                "accuracy": self.accuracy,
                "balanced_accuracy": self.balanced_accuracy,
                "macro_f1": self.macro_f1,
                "mcc": self.mcc,
                "per_class": {k: vars(v) for k, v in self.per_class.items()},
                "confusion": self.confusion,
                "log_loss": self.log_loss,
                "brier": self.brier,
                "ece": self.ece,
                "adaptive_ece": self.adaptive_ece,
                "roc_auc": self.roc_auc,
                "predicted_shares": self.predicted_shares,
                "label_shares": self.label_shares,
            }
        )


def mcc_from_counts(
    hits: np.ndarray, true_counts: np.ndarray, pred_counts: np.ndarray
) -> np.ndarray:
    """Multiclass MCC (Gorodkin's R_K, as scikit-learn) from summary counts.

    ``(c * s - t.p) / sqrt((s^2 - p.p) * (s^2 - t.t))`` with ``c`` = ``hits`` [...] (the
    confusion trace), ``t`` = ``true_counts`` [..., C], ``p`` = ``pred_counts`` [..., C] and
    ``s`` the total; 0 where undefined (a constant predictor or a single true class).
    """
    t = np.asarray(true_counts, dtype=np.float64)
    p = np.asarray(pred_counts, dtype=np.float64)
    c = np.asarray(hits, dtype=np.float64)
    s = t.sum(axis=-1)
    cov_tp = c * s - (t * p).sum(axis=-1)
    denom = (s**2 - (p * p).sum(axis=-1)) * (s**2 - (t * t).sum(axis=-1))
    safe = np.where(denom > 0, denom, 1.0)
    return np.where(denom > 0, cov_tp / np.sqrt(safe), 0.0)


def mcc_from_confusion(confusion: np.ndarray) -> np.ndarray:
    """Multiclass MCC of confusion matrices [..., C, C] (rows true, columns predicted)."""
    cm = np.asarray(confusion, dtype=np.float64)
    return mcc_from_counts(np.trace(cm, axis1=-2, axis2=-1), cm.sum(axis=-1), cm.sum(axis=-2))


def brier_score(probs: np.ndarray, y: np.ndarray) -> float:
    """Multi-class Brier score: mean over rows of ``sum_c (probs[i, c] - [y_i == c])^2``."""
    p = as_probs(probs)
    labels = as_labels(y, n_rows=p.shape[0], n_classes=p.shape[1])
    onehot = np.zeros_like(p)
    onehot[np.arange(p.shape[0]), labels] = 1.0
    return float(((p - onehot) ** 2).sum(axis=1).mean())


def classification_metrics(
    y: np.ndarray, probs: np.ndarray, classes: tuple[str, ...] | list[str]
) -> ClassificationMetrics:
    """Every metric of one predictor on labelled out-of-sample rows.

    Parameters
    ----------
    y:
        True class indices [N] in ``0..C-1`` (drop label -1 rows first).
    probs:
        Calibrated probabilities [N, C]; the prediction is their argmax.
    classes:
        Class names, index ``c`` naming column ``c`` (e.g. ``("DOWN", "UP")``).
    """
    names = tuple(str(c) for c in classes)
    p = as_probs(probs)
    if p.shape[1] != len(names):
        raise SchemaMismatchError(
            f"probs has {p.shape[1]} columns but {len(names)} class names {names} were given."
        )
    if p.shape[0] == 0:
        raise SchemaMismatchError("classification_metrics needs at least one out-of-sample row.")
    n, n_classes = p.shape
    labels = as_labels(y, n_rows=n, n_classes=n_classes)
    pred = p.argmax(axis=1)
    idx = list(range(n_classes))
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (labels, pred), 1)
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, pred, labels=idx, zero_division=0.0
    )
    present = cm.sum(axis=1) > 0
    recalls = np.diag(cm)[present] / cm.sum(axis=1)[present]
    roc_auc = None
    if n_classes == 2 and present.all():
        roc_auc = float(roc_auc_score(labels, p[:, 1]))
    return ClassificationMetrics(
        classes=names,
        n_rows=int(n),
        accuracy=float(accuracy_score(labels, pred)),
        balanced_accuracy=float(recalls.mean()),
        macro_f1=float(f1_score(labels, pred, labels=idx, average="macro", zero_division=0.0)),
        mcc=float(matthews_corrcoef(labels, pred)),
        per_class={
            names[k]: ClassScores(
                float(precision[k]), float(recall[k]), float(f1[k]), int(support[k])
            )
            for k in idx
        },
        confusion=tuple(tuple(int(v) for v in row) for row in cm),
        log_loss=float(log_loss(labels, p, labels=idx)),
        brier=brier_score(p, labels),
        ece=ece(p, labels),
        adaptive_ece=adaptive_ece(p, labels),
        roc_auc=roc_auc,
        predicted_shares={
            names[k]: float(v) for k, v in enumerate(np.bincount(pred, minlength=n_classes) / n)
        },
        label_shares={
            names[k]: float(v) for k, v in enumerate(np.bincount(labels, minlength=n_classes) / n)
        },
    )
