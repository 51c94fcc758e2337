"""A realistic report built from fabricated out-of-sample arrays (metrics computed, not typed in)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    log_loss,
    matthews_corrcoef,
    precision_recall_fscore_support,
    roc_auc_score,
)

CLASSES = ["DOWN", "UP"]
TEMPERATURE = 2.5 / 0.35  # makes the fabricated probabilities calibrated


def _mcc_rows(y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Binary MCC of each row of ``[B, N]`` label/prediction arrays (vectorised bootstrap)."""
    tp = ((pred == 1) & (y == 1)).sum(axis=1).astype(float)
    tn = ((pred == 0) & (y == 0)).sum(axis=1).astype(float)
    fp = ((pred == 1) & (y == 0)).sum(axis=1).astype(float)
    fn = ((pred == 0) & (y == 1)).sum(axis=1).astype(float)
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return np.divide(tp * tn - fp * fn, den, out=np.zeros_like(den), where=den > 0)


def _boot(y: np.ndarray, pred: np.ndarray, idx: np.ndarray) -> tuple[list[float], list[float], np.ndarray]:
    """Percentile intervals of MCC and accuracy over bootstrap index rows ``idx``."""
    mcc = _mcc_rows(y[idx], pred[idx])
    acc = (y[idx] == pred[idx]).mean(axis=1)
    q = [0.025, 0.975]
    return np.quantile(mcc, q).tolist(), np.quantile(acc, q).tolist(), mcc


def _reliability(probs: np.ndarray, y: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    edges = np.linspace(0, 1, bins + 1)
    out = []
    for lo, hi in itertools.pairwise(edges):
        mask = (conf > lo) & (conf <= hi)
        n = int(mask.sum())
        out.append({"confidence": float(conf[mask].mean()) if n else None,
                    "accuracy": float(correct[mask].mean()) if n else None, "count": n})
    return out


def _ece(probs: np.ndarray, y: np.ndarray) -> float:
    bins = _reliability(probs, y)
    n = len(y)
    return float(sum(b["count"] / n * abs(b["confidence"] - b["accuracy"]) for b in bins if b["count"]))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def build_report(*, passed: bool = True, seed: int = 0, n: int = 1500) -> dict[str, Any]:
    """A report dict from a fabricated model with weak skill on ``n`` 1-hour bars."""
    rng = np.random.default_rng(seed)
    times = pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC")
    y = rng.integers(0, 2, n)
    signal = (2 * y - 1) * 0.35 + rng.normal(0, 1, n)
    logits = np.stack([-signal, signal], axis=1) * 2.5          # over-confident raw logits
    probs = _softmax(logits / TEMPERATURE)                       # temperature-scaled
    pred = probs.argmax(axis=1)
    idx = rng.integers(0, n, size=(200, n))
    mcc_ci, acc_ci, mcc_boot = _boot(y, pred, idx)
    cm = confusion_matrix(y, pred, labels=[0, 1])
    prec, rec, f1, sup = precision_recall_fscore_support(y, pred, labels=[0, 1], zero_division=0)
    oos = {
        "n_rows": n, "classes": CLASSES, "ci_level": 0.95, "ci_method": "iid bootstrap, 200 resamples",
        "mcc": matthews_corrcoef(y, pred), "mcc_ci": mcc_ci,
        "accuracy": accuracy_score(y, pred), "accuracy_ci": acc_ci,
        "balanced_accuracy": balanced_accuracy_score(y, pred),
        "macro_f1": f1_score(y, pred, average="macro"), "log_loss": log_loss(y, probs),
        "brier": brier_score_loss(y, probs[:, 1]), "ece": _ece(probs, y),
        "adaptive_ece": _ece(probs, y) * 1.1, "roc_auc": roc_auc_score(y, probs[:, 1]),
        "per_class": {c: {"precision": prec[i], "recall": rec[i], "f1": f1[i], "support": int(sup[i])}
                      for i, c in enumerate(CLASSES)},
        "confusion": cm, "pred_shares": {c: float((pred == i).mean()) for i, c in enumerate(CLASSES)},
        "label_shares": {c: float((y == i).mean()) for i, c in enumerate(CLASSES)},
    }
    baselines = {}
    for name, bpred in {"majority": np.full(n, int(np.bincount(y).argmax())),
                        "persistence": np.roll(y, 1), "random": rng.integers(0, 2, n)}.items():
        b_ci, _, b_boot = _boot(y, bpred, idx)
        diff = mcc_boot - b_boot
        baselines[name] = {"mcc": matthews_corrcoef(y, bpred), "mcc_ci": b_ci,
                           "accuracy": accuracy_score(y, bpred),
                           "mcc_diff_ci": [float(np.quantile(diff, 0.025)),
                                           float(np.quantile(diff, 0.975))]}
    folds = []
    bounds = np.linspace(0, n, 6).astype(int)
    for k, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        history = [{"epoch": e, "train_loss": 0.70 - 0.02 * e + rng.normal(0, 0.003),
                    "val_loss": 0.69 - 0.01 * e + 0.003 * max(0, e - 6) ** 2,
                    "val_mcc": 0.02 + 0.015 * e - 0.002 * max(0, e - 6) ** 2, "lr": 1e-3 * 0.9 ** e,
                    "pred_shares": {"DOWN": 0.5, "UP": 0.5}, "mean_max_prob": 0.55 + 0.01 * e}
                   for e in range(12)]
        folds.append({"fold": k, "train_rows": 4000 + 300 * k, "val_rows": 800, "test_rows": int(hi - lo),
                      "test_start": times[lo], "test_end": times[hi - 1],
                      "mcc": matthews_corrcoef(y[lo:hi], pred[lo:hi]),
                      "accuracy": accuracy_score(y[lo:hi], pred[lo:hi]),
                      "temperature": TEMPERATURE + 0.1 * k, "best_epoch": 6, "history": history})
    windows = [{"timestamp": times[e - 1],
                "pred_shares": {c: float((pred[e - 200:e] == i).mean()) for i, c in enumerate(CLASSES)},
                "label_shares": {c: float((y[e - 200:e] == i).mean()) for i, c in enumerate(CLASSES)}}
               for e in range(200, n + 1, 50)]
    checks = [
        {"name": "mcc_ci_low", "value": mcc_ci[0], "threshold": 0.0, "passed": passed,
         "detail": "lower end of the MCC interval must be above 0"},
        {"name": "beats_best_baseline", "value": baselines["persistence"]["mcc_diff_ci"][0],
         "threshold": 0.0, "passed": passed, "detail": "model − best baseline MCC interval above 0"},
        {"name": "ece", "value": oos["ece"], "threshold": 0.05, "passed": True,
         "detail": "calibration error at most 0.05"},
    ]
    equity = np.cumprod(1 + rng.normal(0.0002, 0.004, 500)) * 10_000
    return {
        "experiment": {"name": "btc-1h-lstm", "config": {"model": {"kind": "lstm", "hidden": 64},
                                                        "lookback": np.int64(48)}},
        "data": {"source": "sample:btc_1h", "symbol": "BTC/USDT", "timeframe": "1h", "rows": n + 500,
                 "first": times[0] - pd.Timedelta(hours=500), "last": times[-1],
                 "fingerprint": "sha256:0f3c9a", "findings": [
                     {"level": "info", "code": "gaps_filled", "message": "3 missing bars filled"}]},
        "oos": oos, "baselines": baselines,
        "diagnostics": {"values": {"logit_abs_p99": float(np.quantile(np.abs(logits), 0.99)),
                                   "max_pred_share": max(oos["pred_shares"].values()),
                                   "input_scale": {"close": 1.0, "volume": 0.9}},
                        "findings": [{"level": "warning", "code": "overconfident_raw_logits",
                                      "message": "raw softmax ECE is high; temperature 7.1 fixes it"}]},
        "gate": {"passed": passed, "checks": checks},
        "folds": folds,
        "calibration": {"method": "temperature", "ece_before": _ece(_softmax(logits), y),
                        "ece_after": oos["ece"], "reliability_before": _reliability(_softmax(logits), y),
                        "reliability_after": _reliability(probs, y)},
        "share_over_time": windows,
        "backtest": {"total_return": float(equity[-1] / equity[0] - 1), "sharpe": 0.8, "trades": 212,
                     "equity": {"timestamp": [t.isoformat() for t in times[:500]],
                                "value": equity}},
        "bundle": "out/run/bundle",
        "registry": {"run_id": "abc123", "version": "3", "alias": "candidate"},
    }


@pytest.fixture(scope="module")
def report_dict() -> dict[str, Any]:
    return build_report(passed=True)


@pytest.fixture(scope="module")
def refused_dict() -> dict[str, Any]:
    return build_report(passed=False, seed=1)
