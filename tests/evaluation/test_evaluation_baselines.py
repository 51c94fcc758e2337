"""Baselines: hand cases, persistence mapping, per-fold fitting without test-row leakage."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from tradewind.evaluation import lagged_features
from tradewind.evaluation import run_baselines as _run_baselines
from tradewind.exceptions import ConfigError, DataError, LeakageError

# one LightGBM thread: a test machine is shared, and competing OpenMP threads are slow
run_baselines = functools.partial(_run_baselines, n_threads=1)


def _folds(n: int, n_folds: int, test: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Expanding-window folds: train on everything before each test block."""
    out = []
    for k in range(n_folds):
        start = n - (n_folds - k) * test
        out.append((np.arange(0, start), np.arange(start, start + test)))
    return out


def test_majority_is_the_training_majority_with_smoothed_prior() -> None:
    y = np.array([0, 0, 1, -1, 1, 1, 1])
    folds = [(np.arange(0, 4), np.arange(4, 7))]  # labelled train rows: 0, 0, 1
    out = run_baselines(np.zeros((7, 1)), np.zeros(7), y, folds, 2, include=("majority",))
    # (2 + 1) / (3 + 2) = 0.6 for DOWN, even though the test rows are all UP
    np.testing.assert_allclose(out["majority"], np.tile([0.6, 0.4], (3, 1)))


def test_persistence_maps_the_sign_of_the_last_return() -> None:
    ret = np.array([0.01, -0.02, 0.03, -0.01, 0.02, -0.03, 0.0, 0.01, -0.01])
    y2 = np.array([1, 0, 1, 0, 1, 1, 1, 1, 0])  # train rows 0..5: UP-heavy, hit rate 5/6
    folds = [(np.arange(6), np.arange(6, 9))]
    out = run_baselines(np.zeros((9, 1)), ret, y2, folds, 2, include=("persistence",))[
        "persistence"
    ]
    # row 6: flat bar -> training majority of the directions (UP); row 7 UP; row 8 DOWN
    np.testing.assert_array_equal(out.argmax(axis=1), [1, 1, 0])
    np.testing.assert_allclose(out.max(axis=1), 5 / 6)
    y3 = np.array([2, 0, 2, 0, 1, 1, 1, 1, 1])  # HOLD-heavy: still never predicts HOLD
    out3 = run_baselines(np.zeros((9, 1)), ret, y3, folds, 3, include=("persistence",))[
        "persistence"
    ]
    np.testing.assert_array_equal(out3.argmax(axis=1), [2, 2, 0])
    assert (out3.argmax(axis=1) != 1).all()
    np.testing.assert_allclose(out3.sum(axis=1), 1.0)


def test_lagged_features_are_causal() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3))
    feats = lagged_features(x, (1, 2, 3))
    assert feats.shape == (50, 12)
    np.testing.assert_array_equal(feats[10, 3:6], x[9])
    np.testing.assert_array_equal(feats[1, 6:9], x[0])  # before the start: row 0
    changed = x.copy()
    changed[30:] = 1e6
    np.testing.assert_array_equal(lagged_features(changed, (1, 2, 3))[:30], feats[:30])


def _signal_case(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    x[:, 3] = 50_000 + 1_000 * rng.normal(size=n)  # a raw price column: logistic must standardise
    y = (x[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(np.int64)
    ret = rng.normal(size=n) * 0.01
    return x, ret, y


def test_learned_baselines_find_a_real_signal_per_fold() -> None:
    x, ret, y = _signal_case(1_200, seed=1)
    folds = _folds(1_200, 3, 200)
    out = run_baselines(x, ret, y, folds, 2, seed=0)
    test_y = np.concatenate([y[te] for _, te in folds])
    assert set(out) == {"majority", "persistence", "logistic", "lightgbm"}
    for probs in out.values():
        assert probs.shape == (600, 2)
        np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert np.mean(out["logistic"].argmax(axis=1) == test_y) > 0.8
    assert np.mean(out["lightgbm"].argmax(axis=1) == test_y) > 0.75
    assert abs(np.mean(out["persistence"].argmax(axis=1) == test_y) - 0.5) < 0.1


def test_no_test_row_label_reaches_any_baseline() -> None:
    x, ret, y = _signal_case(600, seed=2)
    folds = _folds(600, 2, 150)
    include = ("majority", "persistence", "logistic", "lightgbm")
    clean = run_baselines(x, ret, y, folds, 3, include=include)
    # poison the last fold's test rows with a class never seen in training; earlier folds'
    # test rows are legitimately later folds' training rows, so they stay clean
    poisoned = y.copy()
    poisoned[folds[-1][1]] = 2
    got = run_baselines(x, ret, poisoned, folds, 3, include=include)
    for name in include:
        np.testing.assert_array_equal(got[name], clean[name])
    for name in ("logistic", "lightgbm"):
        assert (got[name][:, 2] == 0).all()  # class 2 cannot be learned from train rows


def test_unlabelled_training_rows_are_skipped() -> None:
    x, ret, y = _signal_case(400, seed=3)
    y_unknown = y.copy()
    y_unknown[:100] = -1
    folds = [(np.arange(300), np.arange(300, 400))]
    out = run_baselines(x, ret, y_unknown, folds, 2, include=("logistic",))
    ref = run_baselines(
        x, ret, y, [(np.arange(100, 300), np.arange(300, 400))], 2, include=("logistic",)
    )
    np.testing.assert_allclose(out["logistic"], ref["logistic"])


def test_single_class_training_falls_back_to_the_prior() -> None:
    x = np.random.default_rng(4).normal(size=(60, 2))
    y = np.r_[np.zeros(40, dtype=np.int64), np.ones(20, dtype=np.int64)]
    out = run_baselines(
        x, np.zeros(60), y, [(np.arange(40), np.arange(40, 60))], 2, include=("lightgbm",)
    )
    assert (out["lightgbm"].argmax(axis=1) == 0).all()


def test_inputs_are_checked() -> None:
    x, ret, y = _signal_case(100, seed=5)
    with pytest.raises(LeakageError, match="both train and test"):
        run_baselines(x, ret, y, [(np.arange(60), np.arange(50, 100))], 2)
    with pytest.raises(ConfigError, match="unknown baselines"):
        run_baselines(x, ret, y, _folds(100, 1, 20), 2, include=("ridge",))
    with pytest.raises(ConfigError, match="persistence"):
        run_baselines(x, ret, y, _folds(100, 1, 20), 4, include=("persistence",))
    with pytest.raises(ConfigError, match="lags"):
        run_baselines(x, ret, y, _folds(100, 1, 20), 2, lags=(0,))
    bad = x.copy()
    bad[90, 1] = np.nan
    with pytest.raises(DataError, match="row 90"):
        run_baselines(bad, ret, y, _folds(100, 1, 20), 2, include=("logistic",))
