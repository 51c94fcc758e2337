"""Purged walk-forward / holdout layouts on hand examples, and invariants on many specs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tradewind.dataset import Split, SplitSpec, holdout_split, make_splits, walk_forward
from tradewind.exceptions import ConfigError


def _r(a: int, b: int) -> list[int]:
    return list(range(a, b))


def test_hand_example_expanding_purged_by_horizon():
    # 20 samples, horizon 2: test segments [8, 14) and [14, 20); gaps of 2 between segments.
    spec = SplitSpec(n_folds=2, min_train=8, val_fraction=0.25)
    first, second = walk_forward(20, spec, horizon=2)
    assert first.train.tolist() == [0, 1, 2]
    assert first.val.tolist() == [5]  # positions 3, 4 purged: labels of 1, 2 reach into 3, 4
    assert first.test.tolist() == _r(8, 14)  # positions 6, 7 purged
    assert second.train.tolist() == _r(0, 8)
    assert second.val.tolist() == [10, 11]
    assert second.test.tolist() == _r(14, 20)
    assert (first.fold, second.fold) == (0, 1)
    assert first.purge == second.purge == 2
    for split in (first, second):
        for seg in (split.train, split.val, split.test):
            assert seg.dtype == np.int64


def test_purge_wider_than_horizon_and_never_narrower():
    wide = walk_forward(20, SplitSpec(n_folds=1, min_train=10, val_fraction=0.0, purge=4), horizon=2)[0]
    assert wide.train.tolist() == _r(0, 6) and wide.test.tolist() == _r(10, 20)
    assert wide.purge == 4
    narrow = walk_forward(20, SplitSpec(n_folds=1, min_train=10, val_fraction=0.0, purge=1), horizon=3)[0]
    assert narrow.purge == 3  # max(purge, horizon)
    assert narrow.train.tolist() == _r(0, 7)


def test_embargo_is_recorded_and_walk_forward_never_trains_after_its_test():
    splits = walk_forward(200, SplitSpec(n_folds=3, embargo=7), horizon=3)
    for split in splits:
        assert split.embargo == 7
        assert split.train.max() < split.test.min() and split.val.max() < split.test.min()


def test_expanding_vs_rolling():
    spec = SplitSpec(n_folds=3, min_train=100, val_fraction=0.2)
    expanding = walk_forward(400, spec, horizon=5)
    rolling = walk_forward(400, spec.model_copy(update={"mode": "rolling"}), horizon=5)
    assert [s.train[0] for s in expanding] == [0, 0, 0]
    sizes = [len(s.train) + len(s.val) for s in expanding]
    assert sizes[0] < sizes[1] < sizes[2]
    starts = [int(s.train[0]) for s in rolling]
    assert starts[0] == 0 and starts[0] < starts[1] < starts[2]
    assert {len(s.train) + len(s.val) for s in rolling} == {sizes[0]}  # first fold's size
    for e, r in zip(expanding, rolling, strict=True):
        assert e.test.tolist() == r.test.tolist()


def test_rolling_train_size_count():
    spec = SplitSpec(n_folds=2, min_train=0.5, mode="rolling", train_size=30, val_fraction=0.2)
    for split in walk_forward(200, spec, horizon=4):
        assert len(split.train) + len(split.val) == 30
        assert len(split.val) == 6
        assert split.val[0] - split.train[-1] - 1 == 4
        assert split.test[0] - split.val[-1] - 1 == 4


def test_test_size_places_segments_at_the_end():
    splits = walk_forward(100, SplitSpec(n_folds=3, test_size=10), horizon=1)
    assert [s.test.tolist() for s in splits] == [_r(70, 80), _r(80, 90), _r(90, 100)]
    fractional = walk_forward(100, SplitSpec(n_folds=2, test_size=0.1), horizon=1)
    assert [s.test.tolist() for s in fractional] == [_r(80, 90), _r(90, 100)]


def test_holdout_is_one_split():
    spec = SplitSpec(scheme="holdout", test_size=0.25, val_fraction=0.2)
    (split,) = holdout_split(100, spec, horizon=2)
    assert split.fold == 0 and split.test.tolist() == _r(75, 100)
    assert walk_forward(100, spec, horizon=2)[0].test.tolist() == split.test.tolist()
    assert len(make_splits(100, spec, horizon=2)) == 1
    assert len(make_splits(100, SplitSpec(), horizon=2)) == 4


@pytest.mark.parametrize(
    ("n", "spec", "match"),
    [
        (10, SplitSpec(n_folds=4, min_train=8), "too few"),
        (100, SplitSpec(n_folds=4, test_size=30), "test_size"),
        (30, SplitSpec(n_folds=1, min_train=6, purge=5), "fold 0"),
        (0, SplitSpec(), "at least one sample"),
    ],
)
def test_impossible_layouts_are_config_errors(n, spec, match):
    with pytest.raises(ConfigError, match=match):
        walk_forward(n, spec, horizon=2)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"test_size": 1.0}, "test_size"),
        ({"min_train": 0}, "min_train"),
        ({"min_train": 1.5}, "min_train"),
        ({"train_size": 100}, "train_size"),  # expanding mode
        ({"scheme": "holdout", "n_folds": 3}, "n_folds"),
        ({"val_fraction": 1.0}, "val_fraction"),
        ({"purge": -1}, "purge"),
        ({"embargo": -2}, "embargo"),
        ({"n_fold": 3}, "n_fold"),
    ],
)
def test_spec_validation_names_the_field(raw, field):
    with pytest.raises(ValidationError) as info:
        SplitSpec.model_validate(raw)
    assert field in str(info.value)


def test_spec_accepts_counts_and_fractions():
    spec = SplitSpec.model_validate({"min_train": 5000, "test_size": 0.1, "mode": "rolling", "train_size": 0.3})
    assert isinstance(spec.min_train, int) and isinstance(spec.test_size, float)
    assert SplitSpec(scheme="holdout", n_folds=1).n_folds == 1


def _assert_invariants(splits: list[Split], n: int, horizon: int, spec: SplitSpec) -> None:
    gap = max(horizon, spec.purge if spec.purge is not None else horizon)
    previous_end = -1
    for k, split in enumerate(splits):
        assert split.fold == k and split.purge == gap
        segments = [s for s in (split.train, split.val, split.test) if len(s)]
        everything = np.concatenate(segments)
        assert len(np.unique(everything)) == len(everything)  # no overlap
        assert everything.min() >= 0 and everything.max() < n
        for seg in segments:
            assert (np.diff(seg) == 1).all()  # contiguous, increasing
        for earlier, later in itertools.pairwise(segments):
            # no label period (i, i+horizon] of one segment reaches the next
            assert earlier.max() + horizon < later.min()
            assert later.min() - earlier.max() - 1 >= gap
        assert split.test.min() > previous_end
        previous_end = int(split.test.max())
        assert (len(split.val) > 0) == (spec.val_fraction > 0)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(30, 3000),
    horizon=st.integers(1, 12),
    n_folds=st.integers(1, 6),
    mode=st.sampled_from(["expanding", "rolling"]),
    val_fraction=st.sampled_from([0.0, 0.1, 0.2, 0.35]),
    purge=st.one_of(st.none(), st.integers(0, 20)),
    embargo=st.integers(0, 10),
    test_size=st.one_of(st.none(), st.integers(5, 200), st.sampled_from([0.05, 0.1])),
    min_train=st.sampled_from([0.3, 0.4, 0.6, 20]),
)
def test_every_produced_split_is_purged_and_disjoint(
    n, horizon, n_folds, mode, val_fraction, purge, embargo, test_size, min_train
):
    spec = SplitSpec(n_folds=n_folds, mode=mode, val_fraction=val_fraction, purge=purge,
                     embargo=embargo, test_size=test_size, min_train=min_train)
    try:
        splits = walk_forward(n, spec, horizon)
    except ConfigError:
        assume(False)  # too few samples for this layout: refusing is the right answer
        return
    assert len(splits) == n_folds
    _assert_invariants(splits, n, horizon, spec)
    if test_size is None:
        tests = np.concatenate([s.test for s in splits])
        first = min_train if isinstance(min_train, int) else round(min_train * n)
        assert tests.tolist() == _r(first, n)  # test segments tile everything after min_train
