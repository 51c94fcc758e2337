"""Classification metrics against scikit-learn and hand-worked examples."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    matthews_corrcoef,
    precision_recall_fscore_support,
    roc_auc_score,
)

from tradewind.calibration import ece, softmax
from tradewind.evaluation import (
    brier_score,
    classification_metrics,
    mcc_from_confusion,
    mcc_from_counts,
)
from tradewind.exceptions import DataError, SchemaMismatchError


def _random_case(n: int, n_classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, size=n)
    logits = rng.normal(size=(n, n_classes))
    logits[np.arange(n), y] += 0.7  # some signal
    return y, softmax(logits)


@pytest.mark.parametrize(
    ("n_classes", "classes"), [(2, ("DOWN", "UP")), (3, ("SELL", "HOLD", "BUY"))]
)
def test_metrics_match_scikit_learn(n_classes: int, classes: tuple[str, ...]) -> None:
    y, probs = _random_case(3_000, n_classes, seed=n_classes)
    pred = probs.argmax(axis=1)
    m = classification_metrics(y, probs, classes)
    assert m.n_rows == 3_000
    assert m.accuracy == pytest.approx(accuracy_score(y, pred))
    assert m.balanced_accuracy == pytest.approx(balanced_accuracy_score(y, pred))
    assert m.macro_f1 == pytest.approx(f1_score(y, pred, average="macro"))
    assert m.mcc == pytest.approx(matthews_corrcoef(y, pred))
    assert m.log_loss == pytest.approx(log_loss(y, probs))
    assert m.ece == pytest.approx(ece(probs, y))
    np.testing.assert_array_equal(np.array(m.confusion), confusion_matrix(y, pred))
    p, r, f, s = precision_recall_fscore_support(y, pred)
    for k, name in enumerate(classes):
        assert m.per_class[name].precision == pytest.approx(p[k])
        assert m.per_class[name].recall == pytest.approx(r[k])
        assert m.per_class[name].f1 == pytest.approx(f[k])
        assert m.per_class[name].support == s[k]
        assert m.predicted_shares[name] == pytest.approx(np.mean(pred == k))
        assert m.label_shares[name] == pytest.approx(np.mean(y == k))
    if n_classes == 2:
        assert m.roc_auc == pytest.approx(roc_auc_score(y, probs[:, 1]))
    else:
        assert m.roc_auc is None
    json.dumps(m.to_dict(), allow_nan=False)


def test_multiclass_mcc_from_confusion_matches_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        y = rng.integers(0, 3, 400)
        pred = np.where(rng.random(400) < 0.3, y, rng.integers(0, 3, 400))
        cm = confusion_matrix(y, pred, labels=[0, 1, 2])
        assert mcc_from_confusion(cm) == pytest.approx(matthews_corrcoef(y, pred))
    stacked = np.stack([np.eye(3) * 5, np.array([[5, 0, 0], [5, 0, 0], [5, 0, 0]])])
    np.testing.assert_allclose(mcc_from_confusion(stacked), [1.0, 0.0])  # perfect, constant
    cm = np.array([[3, 1, 0], [1, 2, 2], [0, 1, 4]])
    assert mcc_from_counts(np.trace(cm), cm.sum(axis=1), cm.sum(axis=0)) == pytest.approx(
        mcc_from_confusion(cm)
    )


def test_constant_majority_predictor_has_zero_mcc_despite_high_accuracy() -> None:
    y = np.array([1] * 62 + [0] * 38)  # seed 000: UP-heavy test set
    probs = np.tile([0.3, 0.7], (100, 1))
    m = classification_metrics(y, probs, ("DOWN", "UP"))
    assert m.accuracy == pytest.approx(0.62)
    assert m.mcc == 0.0
    assert m.balanced_accuracy == pytest.approx(0.5)


def test_brier_hand_example() -> None:
    probs = np.array([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4]])
    y = np.array([0, 1, 1])
    # row 0: (0.7-1)^2 + 0.3^2 = 0.18; row 1: 0.2^2 + (0.8-1)^2 = 0.08;
    # row 2: 0.6^2 + (0.4-1)^2 = 0.72; mean = 0.98 / 3
    assert brier_score(probs, y) == pytest.approx(0.98 / 3)
    assert classification_metrics(y, probs, ("DOWN", "UP")).brier == pytest.approx(0.98 / 3)


def test_class_absent_from_labels_is_handled() -> None:
    y = np.array([0, 0, 2, 2])
    probs = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.1, 0.1, 0.8]])
    m = classification_metrics(y, probs, ("SELL", "HOLD", "BUY"))
    assert m.per_class["HOLD"].support == 0
    assert m.balanced_accuracy == pytest.approx((0.5 + 1.0) / 2)
    assert np.isfinite(m.log_loss)


def test_inputs_are_checked() -> None:
    y, probs = _random_case(50, 3, seed=9)
    with pytest.raises(SchemaMismatchError, match="class names"):
        classification_metrics(y, probs, ("DOWN", "UP"))
    with pytest.raises(DataError, match="label -1"):
        classification_metrics(np.where(np.arange(50) == 3, -1, y), probs, ("A", "B", "C"))
