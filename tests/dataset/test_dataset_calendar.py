"""One walk-forward calendar over several series: timestamp folds, purge per series."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.dataset import SplitSpec, series_split, shared_walk_forward, walk_forward
from tradewind.exceptions import ConfigError

HOUR = 3_600_000_000_000


def _stacked(spans: list[tuple[int, int]], drop_every: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sample times (ns) and series ids of series ``s`` covering hours ``[a, b)``; with
    ``drop_every`` > 1 every so many hours are missing (unlabelled rows)."""
    times, series = [], []
    for s, (a, b) in enumerate(spans):
        hours = np.arange(a, b, dtype=np.int64)
        if drop_every > 1:
            hours = hours[(hours + s) % drop_every != 0]
        times.append(hours * HOUR)
        series.append(np.full(len(hours), s, dtype=np.int64))
    return np.concatenate(times), np.concatenate(series)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(200, 2000),
    n_folds=st.integers(1, 5),
    horizon=st.integers(1, 12),
    mode=st.sampled_from(["expanding", "rolling"]),
    val_fraction=st.sampled_from([0.0, 0.2]),
)
def test_one_series_gets_exactly_the_walk_forward_folds(n, n_folds, horizon, mode, val_fraction):
    spec = SplitSpec(n_folds=n_folds, mode=mode, val_fraction=val_fraction, min_train=0.4)
    times, series = _stacked([(5, 5 + n)], drop_every=7)
    expected = walk_forward(len(times), spec, horizon)
    got = shared_walk_forward(times, series, spec, horizon)
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        for name in ("train", "val", "test"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert (a.purge, a.embargo) == (b.purge, b.embargo)


@settings(max_examples=60, deadline=None)
@given(
    spans=st.lists(st.tuples(st.integers(0, 100), st.integers(1400, 1500)), min_size=2,
                   max_size=4),
    n_folds=st.integers(1, 4),
    horizon=st.integers(1, 10),
    purge=st.sampled_from([None, 15]),
    drop_every=st.sampled_from([0, 5]),
)
def test_no_test_bar_of_any_series_precedes_a_training_bar_of_its_fold(
    spans, n_folds, horizon, purge, drop_every
):
    times, series = _stacked(spans, drop_every)
    spec = SplitSpec(n_folds=n_folds, min_train=0.5, purge=purge)
    splits = shared_walk_forward(times, series, spec, horizon, ["A", "B", "C", "D"][:len(spans)])
    starts = np.searchsorted(series, np.arange(len(spans) + 1))
    gap = max(horizon, purge or 0)
    for split in splits:
        train_end = times[np.concatenate([split.train, split.val])].max()
        assert times[split.test].min() > train_end  # across every series
        for s in range(len(spans)):
            own = series_split(split, starts, s)
            assert own.train.size and own.test.size  # every series in every fold
            # per series, in its own samples: at least `gap` between segments
            assert own.train.max() + gap < own.val.min()
            assert own.val.max() + gap < own.test.min()
            np.testing.assert_array_equal(series[split.test][series[split.test] == s],
                                          np.full(own.test.size, s))


def test_folds_share_their_timestamp_boundaries_across_series():
    times, series = _stacked([(0, 1000), (0, 1000)])
    splits = shared_walk_forward(times, series, SplitSpec(n_folds=3), horizon=2)
    starts = np.searchsorted(series, [0, 1, 2])
    for split in splits:
        a, b = series_split(split, starts, 0), series_split(split, starts, 1)
        for name in ("train", "val", "test"):
            np.testing.assert_array_equal(times[getattr(a, name)],
                                          times[getattr(b, name) + starts[1]])


def test_a_series_too_short_for_the_calendar_is_refused_by_name():
    times, series = _stacked([(0, 2000), (1800, 2000)])
    with pytest.raises(ConfigError, match=r"symbol 'SHORT/USD' has no training .*fold 0"):
        shared_walk_forward(times, series, SplitSpec(n_folds=3), 1, ["LONG/USD", "SHORT/USD"])
