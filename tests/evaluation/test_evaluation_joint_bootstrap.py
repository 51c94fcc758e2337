"""The pooled intervals of several series resample time blocks jointly across series."""

from __future__ import annotations

import numpy as np

from tradewind.evaluation import moving_block_bootstrap_ci


def _series(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    pred = np.where(rng.random(n) < 0.6, y, 1 - y)
    return y, pred


def test_one_series_with_its_times_is_the_ordinary_moving_block_bootstrap():
    y, pred = _series(600, 1)
    plain = moving_block_bootstrap_ci(y, {"model": pred}, block=24, n_boot=300, seed=4)
    timed = moving_block_bootstrap_ci(y, {"model": pred}, block=24, n_boot=300, seed=4,
                                      time_keys=np.arange(600) * 3600)
    assert plain.predictors["model"].mcc == timed.predictors["model"].mcc
    assert timed.joint and "series resampled jointly" in timed.method


def test_a_copy_of_a_series_at_the_same_times_adds_no_evidence():
    """Two identical series are one piece of evidence: resampled jointly, the pooled interval
    is the single series' interval (independent rows would have narrowed it)."""
    y, pred = _series(600, 2)
    times = np.arange(600)
    single = moving_block_bootstrap_ci(y, {"model": pred}, block=24, n_boot=400, seed=5)
    pooled = moving_block_bootstrap_ci(
        np.concatenate([y, y]), {"model": np.concatenate([pred, pred])}, block=24, n_boot=400,
        seed=5, time_keys=np.concatenate([times, times]),
    )
    a, b = single.predictors["model"].mcc, pooled.predictors["model"].mcc
    assert pooled.n_rows == 1200
    np.testing.assert_allclose([a.point, a.lower, a.upper], [b.point, b.lower, b.upper])
    rows = moving_block_bootstrap_ci(
        np.concatenate([y, y]), {"model": np.concatenate([pred, pred])}, block=24, n_boot=400,
        seed=5,
    ).predictors["model"].mcc
    assert rows.upper - rows.lower < 0.9 * (a.upper - a.lower)  # what joint resampling avoids


def test_rows_of_one_time_move_together_in_any_order():
    y1, p1 = _series(300, 3)
    y2, p2 = _series(300, 4)
    t = np.arange(300)
    ordered = moving_block_bootstrap_ci(np.concatenate([y1, y2]), {"model": np.concatenate([p1, p2])},
                                        block=10, n_boot=200, seed=1,
                                        time_keys=np.concatenate([t, t]))
    perm = np.random.default_rng(0).permutation(600)
    shuffled = moving_block_bootstrap_ci(
        np.concatenate([y1, y2])[perm], {"model": np.concatenate([p1, p2])[perm]}, block=10,
        n_boot=200, seed=1, time_keys=np.concatenate([t, t])[perm])
    assert ordered.predictors["model"].mcc == shuffled.predictors["model"].mcc
