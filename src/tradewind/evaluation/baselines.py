"""Baselines scored on exactly the model's out-of-sample rows, fitted per fold on train rows.

A model earns nothing by beating accuracy 0.5; it must beat what a trader gets for free:
the majority class, "tomorrow moves like today" (persistence), and cheap learned models
(logistic regression, a small LightGBM) on the last bar's features and a few lags.

Rows are positions in the arrays passed in, in time order. Lagged features of row ``t``
use rows ``t - lag`` only (rows before 0 repeat row 0), so nothing looks ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from lightgbm import LGBMClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tradewind.exceptions import ConfigError, DataError, LeakageError, SchemaMismatchError

__all__ = ["BASELINES", "lagged_features", "run_baselines", "thread_budget"]

BASELINES: tuple[str, ...] = ("majority", "persistence", "logistic", "lightgbm")
_HIT_RATE_FLOOR = 1e-3  # persistence's class keeps probability > 1/C by at least this


def lagged_features(x: np.ndarray, lags: Sequence[int]) -> np.ndarray:
    """``[x[t], x[t - l1], x[t - l2], ...]`` per row -> [T, F * (1 + len(lags))].

    Rows before the first are replaced by row 0 (edge padding), which is still causal.
    """
    x = np.asarray(x, dtype=np.float64)
    rows = np.arange(x.shape[0])
    parts = [x] + [x[np.maximum(rows - int(lag), 0)] for lag in lags]
    return np.concatenate(parts, axis=1)


def _prior(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Laplace-smoothed class frequencies; argmax = majority class (ties: lowest index)."""
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    return (counts + 1.0) / (counts.sum() + n_classes)


def _direction_classes(n_classes: int) -> tuple[int, int]:
    if n_classes == 2:
        return 0, 1  # DOWN, UP
    if n_classes == 3:
        return 0, 2  # SELL, BUY (never HOLD)
    raise ConfigError(
        f"the persistence baseline needs 2 classes (DOWN, UP) or 3 (SELL, HOLD, BUY); got "
        f"{n_classes}. Leave 'persistence' out of include."
    )


def _persistence_classes(
    last_return: np.ndarray, train_labels: np.ndarray, n_classes: int
) -> np.ndarray:
    down, up = _direction_classes(n_classes)
    fallback = up if (train_labels == up).sum() >= (train_labels == down).sum() else down
    out = np.full(last_return.shape[0], fallback, dtype=np.int64)
    out[last_return > 0] = up
    out[last_return < 0] = down
    return out


def _persistence(
    last_return: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray, n_classes: int
) -> np.ndarray:
    """One-hot-ish probabilities: the persistence class gets the training hit rate.

    The hit rate is floored just above 1/C so the argmax stays the persistence class;
    the remainder is spread evenly over the other classes.
    """
    train_pred = _persistence_classes(last_return[train], y[train], n_classes)
    hit = float(np.mean(train_pred == y[train]))
    p_hit = min(max(hit, 1.0 / n_classes + _HIT_RATE_FLOOR), 1.0 - _HIT_RATE_FLOOR)
    pred = _persistence_classes(last_return[test], y[train], n_classes)
    probs = np.full((test.shape[0], n_classes), (1.0 - p_hit) / (n_classes - 1))
    probs[np.arange(test.shape[0]), pred] = p_hit
    return probs


def _learned(
    name: str,
    features: np.ndarray,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    n_classes: int,
    seed: int,
    n_threads: int,
) -> tuple[np.ndarray, Any]:
    """Fit ``name`` on train rows only; test probabilities [len(test), C] and the model.

    The model is None when the training rows hold a single class (the prior is returned).
    """
    present = np.unique(y[train])
    if present.shape[0] < 2:
        return np.tile(_prior(y[train], n_classes), (test.shape[0], 1)), None
    if name == "logistic":
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, C=1.0))
    else:
        model = LGBMClassifier(
            n_estimators=100,
            learning_rate=0.05,
            num_leaves=15,
            min_child_samples=20,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            num_threads=n_threads,
            random_state=seed,
            verbose=-1,
        )
    model.fit(features[train], y[train])
    probs = np.zeros((test.shape[0], n_classes))
    probs[:, np.asarray(model.classes_, dtype=np.int64)] = model.predict_proba(features[test])
    return probs, model


def _check_folds(
    folds: Sequence[tuple[np.ndarray, np.ndarray]], n_rows: int, y: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for k, (train, test) in enumerate(folds):
        tr = np.asarray(train, dtype=np.int64)
        te = np.asarray(test, dtype=np.int64)
        for name, rows in (("train", tr), ("test", te)):
            if rows.size and (rows.min() < 0 or rows.max() >= n_rows):
                raise SchemaMismatchError(
                    f"fold {k}: {name} rows must lie in 0..{n_rows - 1}; got {rows.min()}..{rows.max()}."
                )
        overlap = np.intersect1d(tr, te)
        if overlap.size:
            raise LeakageError(
                f"fold {k}: {overlap.size} row(s) are both train and test (first {overlap[0]}); "
                "fix the walk-forward split."
            )
        tr = tr[y[tr] >= 0]
        if tr.size == 0:
            raise DataError(f"fold {k} has no labelled training rows; baselines cannot be fitted.")
        out.append((tr, te))
    return out


def thread_budget() -> int:
    """Threads the calling thread may use: its torch thread count.

    ``tradewind run`` leaves torch's default (the cores); a sweep trial sets its Ray slot's
    CPUs. LightGBM with more OpenMP threads than that ran 15x slower in a one-CPU slot.
    """
    import torch

    return max(1, torch.get_num_threads())


def run_baselines(
    X_last: np.ndarray,
    last_return: np.ndarray,
    y: np.ndarray,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    n_classes: int,
    *,
    lags: Sequence[int] = (1, 2, 3),
    include: Sequence[str] = BASELINES,
    seed: int = 0,
    n_threads: int | None = None,
    fitted: dict[str, list[Any]] | None = None,
) -> dict[str, np.ndarray]:
    """Out-of-sample probabilities of each baseline on the concatenated test rows.

    Parameters
    ----------
    X_last:
        Raw feature rows [T, F] (row ``t`` = features known at the close of bar ``t``).
        The logistic baseline standardises them on each fold's training rows.
    last_return:
        Return of bar ``t`` [T] (close[t] / close[t-1] - 1); persistence predicts its sign.
    y:
        Labels [T] as int64 class indices, -1 where unknown (such rows are not trained on).
    folds:
        ``(train_rows, test_rows)`` per fold, positions into the arrays above.
    n_classes:
        2 (DOWN, UP) or 3 (SELL, HOLD, BUY); the learned baselines accept any C >= 2.
    lags:
        Earlier rows whose features join row ``t``'s for the learned baselines.
    include:
        Which of :data:`BASELINES` to run.
    seed, n_threads:
        LightGBM's random seed and thread count; None: :func:`thread_budget` (OpenMP
        threads competing for cores slow LightGBM down many times).
    fitted:
        When given, each learned baseline's fitted model per fold (None where a fold's
        training rows hold one class) is appended to ``fitted[name]``, e.g. for TreeSHAP
        on the test rows (the models take :func:`lagged_features` of ``X_last``).

    Returns
    -------
    dict[str, np.ndarray]
        Baseline name -> probabilities [sum of test sizes, C], in fold order then the
        order of each fold's test rows (the order the model's predictions use).
    """
    unknown = sorted(set(include) - set(BASELINES))
    if unknown:
        raise ConfigError(f"unknown baselines {unknown}; choose from {list(BASELINES)}.")
    if n_threads is None:
        n_threads = thread_budget()
    if n_classes < 2 or n_threads < 1:
        raise ConfigError(f"need n_classes >= 2 and n_threads >= 1; got {n_classes}, {n_threads}.")
    if any(int(lag) < 1 for lag in lags):
        raise ConfigError(f"lags must be >= 1 (earlier rows only); got {list(lags)}.")
    x = np.asarray(X_last, dtype=np.float64)
    ret = np.asarray(last_return, dtype=np.float64)
    labels = np.asarray(y, dtype=np.int64)
    if x.ndim != 2 or ret.shape != (x.shape[0],) or labels.shape != (x.shape[0],):
        raise SchemaMismatchError(
            f"need X_last [T, F], last_return [T] and y [T] with one T; got {x.shape}, "
            f"{ret.shape}, {labels.shape}."
        )
    if labels.size and labels.max() >= n_classes:
        raise DataError(f"y holds class {labels.max()} but n_classes is {n_classes}.")
    checked = _check_folds(folds, x.shape[0], labels)
    features = None
    if {"logistic", "lightgbm"} & set(include):
        features = lagged_features(x, lags)
        used = np.unique(np.concatenate([np.concatenate(f) for f in checked]))
        bad = ~np.isfinite(features[used]).all(axis=1)
        if bad.any():
            row = int(used[np.flatnonzero(bad)[0]])
            raise DataError(
                f"X_last has NaN/inf at row {row} (or a lag of it) used by a fold; drop the "
                "feature warm-up rows before making folds."
            )
    out: dict[str, list[np.ndarray]] = {name: [] for name in BASELINES if name in include}
    for train, test in checked:
        for name in out:
            if name == "majority":
                probs = np.tile(_prior(labels[train], n_classes), (test.shape[0], 1))
            elif name == "persistence":
                probs = _persistence(ret, labels, train, test, n_classes)
            else:
                probs, model = _learned(name, features, labels, train, test, n_classes, seed,
                                        n_threads)
                if fitted is not None:
                    fitted.setdefault(name, []).append(model)
            out[name].append(probs)
    return {
        name: np.concatenate(parts, axis=0) if parts else np.zeros((0, n_classes))
        for name, parts in out.items()
    }
