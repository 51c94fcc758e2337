"""The leakage check every split passes before anything trains on it.

A sample at position ``i`` is labelled from the period ``(i, i+horizon]``. A split leaks
when such a period reaches into a later segment, when segments share positions, or when
segments run backwards in time; :func:`check_splits` refuses all three with a
:class:`~tradewind.exceptions.LeakageError` naming the fold, the segments, the offending
positions and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tradewind.dataset.split import Split
from tradewind.exceptions import LeakageError

__all__ = ["check_splits"]

_FIX = "build splits with dataset.walk_forward()/holdout_split(), or widen the gap (split.purge)"


def _show(positions: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(str(int(p)) for p in positions[:limit])
    more = f", … ({len(positions)} in all)" if len(positions) > limit else ""
    return f"[{shown}{more}]"


def _check_segment(fold: int, name: str, positions: np.ndarray) -> None:
    if positions.ndim != 1 or not np.issubdtype(positions.dtype, np.integer):
        raise LeakageError(
            f"fold {fold}: {name} must be a 1-D integer array of sample positions, got "
            f"dtype {positions.dtype} shape {positions.shape}"
        )
    if positions.size and int(positions.min()) < 0:
        raise LeakageError(f"fold {fold}: {name} holds negative positions {_show(positions[positions < 0])}")
    steps = np.diff(positions)
    if (steps <= 0).any():
        at = int(np.argmax(steps <= 0))
        raise LeakageError(
            f"fold {fold}: {name} positions go backwards in time or repeat at index {at} "
            f"({int(positions[at])} then {int(positions[at + 1])}); positions must be strictly "
            "increasing"
        )


def _check_gap(
    fold: int, earlier: str, a: np.ndarray, later: str, b: np.ndarray, need: int, why: str
) -> None:
    start = int(b[0])
    reaching = a[(a < start) & (a + need >= start)]
    if reaching.size:
        found = start - int(reaching.max()) - 1
        raise LeakageError(
            f"fold {fold}: {earlier} positions {_show(reaching)} are within {need} positions of "
            f"{later}, which starts at {start} ({why}; gap found {found}, needed {need}). "
            f"Fix: leave at least {need} positions between {earlier} and {later}: {_FIX}"
        )


def check_splits(splits: Sequence[Split], horizon: int) -> None:
    """Refuse splits that could let future information into training.

    Rules, per split (``need = max(split.purge, horizon)``):

    - each segment is strictly increasing, non-negative sample positions; train and test
      are not empty;
    - segments do not share positions;
    - validation and test come after the training that precedes them, test after
      validation (nothing runs backwards in time);
    - no label period ``(i, i+horizon]`` of a segment reaches the next one: at least
      ``need`` positions lie between train → val, val → test and train → test;
    - training positions after the test segment (training that resumes) start at least
      ``need + split.embargo`` positions after it.

    Across splits: test segments move forward in time and do not overlap.

    Raises
    ------
    LeakageError
        Naming the fold, the segments, the offending positions and the fix.
    """
    if horizon < 1:
        raise LeakageError(f"check_splits: horizon must be >= 1, got {horizon}")
    previous_test: np.ndarray | None = None
    previous_fold: int | None = None
    for split in splits:
        fold = split.fold
        train, val, test = (np.asarray(x) for x in (split.train, split.val, split.test))
        for name, seg in (("train", train), ("val", val), ("test", test)):
            _check_segment(fold, name, seg)
        if train.size == 0 or test.size == 0:
            raise LeakageError(
                f"fold {fold}: train ({train.size}) and test ({test.size}) must not be empty"
            )
        for (na, a), (nb, b) in (
            (("train", train), ("val", val)),
            (("train", train), ("test", test)),
            (("val", val), ("test", test)),
        ):
            shared = np.intersect1d(a, b)
            if shared.size:
                raise LeakageError(
                    f"fold {fold}: {na} and {nb} share positions {_show(shared)}; a sample may "
                    f"belong to one segment only. Fix: {_FIX}"
                )
        need = max(int(split.purge), int(horizon))
        why = f"label periods (i, i+{horizon}], purge {split.purge}"
        before = train[train < test[0]]
        after = train[train > test[-1]]
        if before.size + after.size != train.size:
            inside = train[(train > test[0]) & (train < test[-1])]
            raise LeakageError(
                f"fold {fold}: train positions {_show(inside)} lie inside the test segment "
                f"[{int(test[0])}, {int(test[-1])}]. Fix: {_FIX}"
            )
        if val.size:
            if before.size == 0 or val[0] < before[-1] or val[-1] > test[0]:
                raise LeakageError(
                    f"fold {fold}: segments go backwards in time: val spans "
                    f"[{int(val[0])}, {int(val[-1])}], test starts at {int(test[0])}, training "
                    f"before the test ends at {int(before[-1]) if before.size else None}; "
                    f"validation must follow training and precede the test. Fix: {_FIX}"
                )
            _check_gap(fold, "train", before, "val", val, need, why)
            _check_gap(fold, "val", val, "test", test, need, why)
        elif before.size:
            _check_gap(fold, "train", before, "test", test, need, why)
        if after.size:
            resume = int(test[-1]) + need + int(split.embargo)
            early = after[after <= resume]
            if early.size:
                raise LeakageError(
                    f"fold {fold}: training resumes at {_show(early)}, within "
                    f"{need} (purge) + {split.embargo} (embargo) positions after the test "
                    f"segment ending at {int(test[-1])}. Fix: start training after position "
                    f"{resume}, or use walk_forward(), which never trains after its test"
                )
        if previous_test is not None and test[0] <= previous_test[-1]:
            raise LeakageError(
                f"fold {fold}: its test segment starts at {int(test[0])}, not after fold "
                f"{previous_fold}'s test segment ending at {int(previous_test[-1])}; test "
                f"segments must move forward in time without overlapping. Fix: {_FIX}"
            )
        previous_test, previous_fold = test, fold
