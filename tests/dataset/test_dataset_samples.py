"""SampleIndex: feature rows with a full window and a known label, and the public surface."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tradewind.dataset as dataset
from public_surface import surface_problems
from tradewind.dataset import SampleIndex, SplitSpec, Windows, walk_forward
from tradewind.exceptions import ConfigError, DataError
from tradewind.labels import LabelSpec, make_labels


def test_rows_need_a_full_window_and_a_label():
    y = np.array([1, 0, 1, -1, 0, 1, -1, -1])
    index = SampleIndex.build(n_rows=8, lookback=3, labels=y)
    assert index.rows.tolist() == [2, 4, 5]
    assert index.rows.dtype == np.int64
    assert len(index) == 3 and index.n_rows == 8 and index.lookback == 3
    assert index.rows_at(np.array([0, 2])).tolist() == [2, 5]


def test_float_targets_are_known_where_finite():
    fwd = np.array([0.1, np.nan, -0.2, 0.0, np.nan])
    assert SampleIndex.build(5, 1, fwd).rows.tolist() == [0, 2, 3]


def test_misaligned_labels_and_bad_lookback_are_refused():
    with pytest.raises(DataError, match="one value per feature row"):
        SampleIndex.build(5, 2, np.zeros(4, dtype=np.int64))
    with pytest.raises(ConfigError, match="lookback"):
        SampleIndex.build(5, 0, np.zeros(5, dtype=np.int64))


def test_labels_samples_splits_windows_fit_together():
    """The pipeline's path: labels -> samples -> positions -> end rows -> windows."""
    n = 400
    close = 100 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.01, n)))
    candles = pd.DataFrame(
        {"open": close, "high": close * 1.001, "low": close * 0.999, "close": close, "volume": 1.0},
        index=pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC", name="timestamp"),
    )
    labels = make_labels(candles, LabelSpec(kind="direction", horizon=3))
    samples = SampleIndex.build(n, 20, labels.y)
    splits = walk_forward(len(samples), SplitSpec(n_folds=3), horizon=labels.horizon)
    windows = Windows(np.random.default_rng(2).normal(size=(n, 5)).astype(np.float32), 20)
    for split in splits:
        train_rows, test_rows = samples.rows_at(split.train), samples.rows_at(split.test)
        # A gap in positions is never shorter in rows: label periods stay out of the test.
        assert train_rows.max() + labels.horizon < test_rows.min()
        assert windows.gather(test_rows).shape == (len(test_rows), 20, 5)
        assert (labels.y[test_rows] >= 0).all()


def test_public_surface_is_what_was_meant():
    assert dataset.__all__ == sorted(dataset.__all__, key=lambda s: (not s[0].isupper(), s))
    assert set(dataset.__all__) == {
        "Normalizer", "NormalizerSpec", "SampleIndex", "SeriesNormalizer", "Split", "SplitSpec",
        "Windows", "check_splits", "holdout_split", "make_splits", "series_split",
        "shared_walk_forward", "walk_forward",
    }
    assert surface_problems(dataset) == []
