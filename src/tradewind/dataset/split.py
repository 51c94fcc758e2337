"""One fold of a split: the sorted sample positions of its train, val and test segments.

Its own module so that both the layouts (:mod:`tradewind.dataset.splits`) and the
leakage check (:mod:`tradewind.dataset.leakage`) import it, and neither imports the other
back: ``splits`` → ``leakage`` → ``split``. Positions are explained in ``splits``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Split"]


@dataclass(frozen=True)
class Split:
    """One fold: sorted int64 sample positions of each segment (see :mod:`~tradewind.dataset.splits`).

    ``purge`` is the gap actually left between segments (``max(spec.purge, horizon)``),
    ``embargo`` the positions withheld after the test segment before training resumes.
    """

    fold: int
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    purge: int
    embargo: int

    def __post_init__(self) -> None:
        for name in ("train", "val", "test"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.int64))
