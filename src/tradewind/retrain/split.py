"""Cut the candles into the challenger's training window and the newest holdout rows.

::

    ... | window (trains the challenger) | purge (horizon bars) | holdout (newest rows) |

The holdout is the newest ``retrain.holdout`` bars (a count, or every bar that opens within
a duration of the newest one). The ``horizon`` bars before it are purged: a label there
would look into the holdout. The training window is the rest, or only its newest
``retrain.window`` when that is a duration. Times are bar open times, UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from tradewind.config import RetrainSpec, duration_seconds
from tradewind.exceptions import DataError

__all__ = ["RetrainSplit", "split_candles"]


@dataclass(frozen=True)
class RetrainSplit:
    """Row positions in the candles: ``[train_begin, train_stop)``, ``[holdout_begin, n)``."""

    index: pd.DatetimeIndex
    train_begin: int
    train_stop: int
    holdout_begin: int
    purge: int

    @property
    def train_start(self) -> pd.Timestamp:
        return self.index[self.train_begin]

    @property
    def train_end(self) -> pd.Timestamp:
        return self.index[self.train_stop - 1]

    @property
    def holdout_start(self) -> pd.Timestamp:
        return self.index[self.holdout_begin]

    @property
    def holdout_end(self) -> pd.Timestamp:
        return self.index[-1]

    @property
    def train_bars(self) -> int:
        return self.train_stop - self.train_begin

    @property
    def holdout_bars(self) -> int:
        return len(self.index) - self.holdout_begin

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready spans (ISO times) and bar counts."""
        return {
            "train_start": self.train_start.isoformat(), "train_end": self.train_end.isoformat(),
            "train_bars": self.train_bars, "purge_bars": self.purge,
            "holdout_start": self.holdout_start.isoformat(),
            "holdout_end": self.holdout_end.isoformat(), "holdout_bars": self.holdout_bars,
        }


def split_candles(candles: pd.DataFrame, spec: RetrainSpec, horizon: int) -> RetrainSplit:
    """Where the holdout, the purge and the training window lie in ``candles``.

    Raises
    ------
    DataError
        The holdout leaves no bars to train on, or the window holds none.
    """
    index = pd.DatetimeIndex(candles.index)
    n = len(index)
    if n == 0:
        raise DataError("retrain: the data holds no candles")
    if isinstance(spec.holdout, int):
        holdout_begin = n - spec.holdout
    else:
        cutoff = index[-1] - pd.Timedelta(seconds=duration_seconds(spec.holdout, "retrain.holdout"))
        holdout_begin = int(index.searchsorted(cutoff, side="right"))
    purge = int(horizon)
    train_stop = holdout_begin - purge
    if holdout_begin < 0 or train_stop < 1:
        raise DataError(
            f"retrain: a holdout of {spec.holdout} (from {index[max(holdout_begin, 0)]}) and a "
            f"purge of {purge} bars leave nothing to train on in {n} candles "
            f"({index[0]} to {index[-1]}). Fix: a smaller retrain.holdout, or more data"
        )
    if holdout_begin >= n - 1:
        raise DataError(
            f"retrain: retrain.holdout={spec.holdout!r} holds {n - holdout_begin} bar(s) of "
            f"candles ending {index[-1]}; the head-to-head needs more. Fix: a longer holdout"
        )
    train_begin = 0
    if spec.window != "all":
        start = index[train_stop - 1] - pd.Timedelta(
            seconds=duration_seconds(spec.window, "retrain.window"))
        train_begin = int(index[:train_stop].searchsorted(start, side="right"))
    return RetrainSplit(index=index, train_begin=train_begin, train_stop=train_stop,
                        holdout_begin=holdout_begin, purge=purge)
