"""check_splits refuses hand-made splits that leak, and says where and how to fix it."""

from __future__ import annotations

import numpy as np
import pytest

from tradewind.dataset import Split, check_splits
from tradewind.exceptions import LeakageError


def _split(train, test, val=(), *, fold=0, purge=3, embargo=0) -> Split:
    return Split(fold=fold, train=np.array(train, dtype=np.int64), val=np.array(val, dtype=np.int64),
                 test=np.array(test, dtype=np.int64), purge=purge, embargo=embargo)


def test_a_clean_split_passes():
    check_splits([_split(range(0, 10), range(13, 20))], horizon=3)
    check_splits([_split(range(0, 10), range(21, 30), val=range(13, 18))], horizon=3)


def test_label_period_reaching_the_test_is_refused_with_positions_and_fix():
    # horizon 3: labels of 8 and 9 read positions up to 11 and 12, inside the test at 11.
    bad = _split(range(0, 10), range(11, 20), fold=2)
    with pytest.raises(LeakageError) as info:
        check_splits([bad], horizon=3)
    message = str(info.value)
    assert "fold 2" in message
    assert "train" in message and "test" in message
    assert "[8, 9]" in message
    assert "gap found 1, needed 3" in message
    assert "Fix" in message


def test_train_to_val_and_val_to_test_gaps_are_checked():
    with pytest.raises(LeakageError, match=r"train positions \[10\] .* val"):
        check_splits([_split(range(0, 11), range(20, 25), val=range(12, 16), purge=2)], horizon=2)
    check_splits([_split(range(0, 10), range(20, 25), val=range(12, 16), purge=2)], horizon=2)
    with pytest.raises(LeakageError, match=r"val positions \[15\] .* test"):
        check_splits([_split(range(0, 10), range(17, 25), val=range(13, 16), purge=2)], horizon=2)


def test_the_split_purge_is_a_promise_the_check_holds_it_to():
    split = _split(range(0, 10), range(13, 20), purge=5)
    with pytest.raises(LeakageError, match="needed 5"):
        check_splits([split], horizon=1)


def test_overlap_is_refused():
    with pytest.raises(LeakageError, match=r"share positions \[5, 6\]"):
        check_splits([_split([0, 1, 2, 5, 6], [5, 6, 7])], horizon=1)


def test_unsorted_segment_is_refused():
    with pytest.raises(LeakageError, match="backwards in time or repeat"):
        check_splits([_split([0, 2, 1], [10, 11])], horizon=1)


def test_validation_before_training_is_refused():
    with pytest.raises(LeakageError, match="backwards in time"):
        check_splits([_split(range(10, 20), range(30, 40), val=range(0, 5))], horizon=1)


def test_training_inside_the_test_is_refused():
    with pytest.raises(LeakageError, match="inside the test segment"):
        check_splits([_split([0, 1, 2, 15], [10, 11, 18, 19])], horizon=1)


def test_embargo_after_the_test_before_training_resumes():
    # Test ends at 19; purge 3 and embargo 4: training may resume at 27 at the earliest.
    ok = _split(list(range(0, 6)) + list(range(27, 35)), range(10, 20), embargo=4)
    check_splits([ok], horizon=3)
    early = _split(list(range(0, 6)) + list(range(25, 35)), range(10, 20), embargo=4)
    with pytest.raises(LeakageError, match=r"resumes at \[25, 26\].*3 \(purge\) \+ 4 \(embargo\)"):
        check_splits([early], horizon=3)


def test_folds_must_move_forward():
    first = _split(range(0, 10), range(20, 30), fold=0)
    second = _split(range(0, 10), range(25, 35), fold=1)
    with pytest.raises(LeakageError, match="fold 1: its test segment starts at 25"):
        check_splits([first, second], horizon=1)


def test_empty_training_or_test_is_refused():
    with pytest.raises(LeakageError, match="must not be empty"):
        check_splits([_split([], range(10, 20))], horizon=1)
