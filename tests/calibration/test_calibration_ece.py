"""ECE, adaptive ECE and reliability curves against hand-worked examples."""

from __future__ import annotations

import numpy as np
import pytest

from tradewind.calibration import adaptive_ece, ece, reliability_curve
from tradewind.exceptions import ConfigError, DataError, SchemaMismatchError

# Five binary predictions, columns (DOWN, UP):
#   row  probs         y   confidence  correct  bin of 5 ((0.6, 0.8] is bin 3)
#   0    (0.30, 0.70)  1   0.70        yes      3
#   1    (0.35, 0.65)  0   0.65        no       3
#   2    (0.90, 0.10)  0   0.90        yes      4
#   3    (0.05, 0.95)  1   0.95        yes      4
#   4    (0.55, 0.45)  1   0.55        no       2
PROBS = np.array([[0.30, 0.70], [0.35, 0.65], [0.90, 0.10], [0.05, 0.95], [0.55, 0.45]])
Y = np.array([1, 0, 0, 1, 1])


def test_ece_matches_hand_worked_example() -> None:
    # bin 2: 1 row, confidence 0.55,  accuracy 0   -> 1/5 * 0.550 = 0.11
    # bin 3: 2 rows, confidence 0.675, accuracy 0.5 -> 2/5 * 0.175 = 0.07
    # bin 4: 2 rows, confidence 0.925, accuracy 1   -> 2/5 * 0.075 = 0.03
    # ECE = 0.11 + 0.07 + 0.03 = 0.21
    assert ece(PROBS, Y, n_bins=5) == pytest.approx(0.21, abs=1e-12)


def test_adaptive_ece_matches_hand_worked_example() -> None:
    # sorted confidences 0.55(no) 0.65(no) | 0.70(yes) 0.90(yes) | 0.95(yes)  (sizes 2, 2, 1)
    # group sums |hits - confidence|: |0 - 1.20| + |2 - 1.60| + |1 - 0.95| = 1.20 + 0.40 + 0.05
    # adaptive ECE = 1.65 / 5 = 0.33
    assert adaptive_ece(PROBS, Y, n_bins=3) == pytest.approx(0.33, abs=1e-12)


def test_adaptive_ece_with_more_bins_than_rows_uses_one_row_per_bin() -> None:
    # each row alone: |0-.70|... = (0.30 + 0.65 + 0.10 + 0.05 + 0.55) / 5
    expected = (0.30 + 0.65 + 0.10 + 0.05 + 0.55) / 5
    assert adaptive_ece(PROBS, Y, n_bins=15) == pytest.approx(expected)


def test_reliability_curve_bins_and_consistency_with_ece() -> None:
    conf, acc, count = reliability_curve(PROBS, Y, n_bins=5)
    np.testing.assert_array_equal(count, [0, 0, 1, 2, 2])
    np.testing.assert_allclose(conf[2:], [0.55, 0.675, 0.925])
    np.testing.assert_allclose(acc[2:], [0.0, 0.5, 1.0])
    assert np.isnan(conf[:2]).all() and np.isnan(acc[:2]).all()
    filled = count > 0
    recomputed = np.sum(count[filled] / count.sum() * np.abs(acc[filled] - conf[filled]))
    assert recomputed == pytest.approx(ece(PROBS, Y, n_bins=5))


def test_bin_edges_are_right_closed() -> None:
    # confidence exactly 0.6 belongs to (0.4, 0.6], confidence 1.0 to the last bin
    probs = np.array([[0.6, 0.4], [1.0, 0.0]])
    _, _, count = reliability_curve(probs, np.array([0, 0]), n_bins=5)
    np.testing.assert_array_equal(count, [0, 0, 1, 0, 1])


def test_calibrated_sampling_gives_small_ece_and_overconfidence_a_large_one() -> None:
    rng = np.random.default_rng(0)
    p_up = rng.uniform(0.05, 0.95, size=20_000)
    y = (rng.random(20_000) < p_up).astype(np.int64)
    probs = np.column_stack([1 - p_up, p_up])
    assert ece(probs, y) < 0.02
    assert adaptive_ece(probs, y) < 0.02
    sharp = np.where(probs > 0.5, 0.999, 0.001)
    assert ece(sharp, y) > 0.2


def test_inputs_are_checked() -> None:
    with pytest.raises(DataError, match="label -1"):
        ece(PROBS, np.array([1, 0, -1, 1, 1]))
    with pytest.raises(DataError, match="sum to 1"):
        ece(PROBS * 2, Y)
    with pytest.raises(SchemaMismatchError):
        ece(PROBS[:, 0], Y)
    with pytest.raises(SchemaMismatchError, match="5 labels"):
        ece(PROBS, Y[:4])
    with pytest.raises(ConfigError):
        ece(PROBS, Y, n_bins=0)
