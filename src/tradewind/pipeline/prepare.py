"""From candles to the arrays every later stage shares: features, labels, sample rows.

Row ``t`` of every array is the bar that opens at ``index[t]``; its features use bars
up to and including ``t``, its label looks at bars ``t+1 .. t+horizon`` only. A
*sample* is a row that has a full window of ``lookback`` rows behind it and a known label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tradewind.artifacts.bundle import data_fingerprint
from tradewind.config import Experiment
from tradewind.data import load
from tradewind.exceptions import DataError
from tradewind.features import Features, compute
from tradewind.labels import class_names, make_labels
from tradewind.timeframes import infer_timeframe

__all__ = ["Prepared", "load_candles", "prepare"]


@dataclass
class Prepared:
    """Aligned arrays over the feature rows (warm-up dropped)."""

    candles: pd.DataFrame
    features: Features
    index: pd.DatetimeIndex
    X: np.ndarray  # [T, F] float64, raw (un-normalised) features
    side: np.ndarray | None  # [T, S] float64 side features or None
    y: np.ndarray  # [T] int64, -1 = no label
    forward_return: np.ndarray  # [T] float64, NaN where unknown
    last_return: np.ndarray  # [T] float64, close[t] / close[t-1] - 1
    samples: np.ndarray  # int64 rows with a full window and a label, ascending
    classes: tuple[str, ...]
    timeframe: str
    fingerprint: str

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def side_dim(self) -> int:
        return 0 if self.side is None else int(self.side.shape[1])


def load_candles(exp: Experiment, data: str | None = None) -> pd.DataFrame:
    """The experiment's validated candles; ``data`` overrides ``data.source``."""
    spec = exp.data
    return load(data or spec.source, timeframe=spec.timeframe, tz=spec.tz, policy=spec.policy,
                start=spec.start, end=spec.end)


def prepare(
    exp: Experiment, candles: pd.DataFrame,
    references: Mapping[str, pd.DataFrame] | None = None,
) -> Prepared:
    """Compute features and labels and align them on the feature rows.

    ``references``: the ``features.cross`` reference candles by name, loaded once
    (``features.load_references``) when several series are prepared; loaded here if None.
    """
    feats = compute(candles, exp.features, references=references)
    labels = make_labels(candles, exp.labels)
    rows = candles.index.get_indexer(feats.frame.index)
    if (rows < 0).any():
        raise DataError("feature rows do not line up with the candles (internal index mismatch)")
    y = np.asarray(labels.y, dtype=np.int64)[rows]
    fwd = np.asarray(labels.forward_return, dtype=np.float64)[rows]
    close = candles["close"].to_numpy(dtype=np.float64)
    prev = np.concatenate([[np.nan], close[:-1]])
    last_return = (close / prev - 1.0)[rows]
    lookback = exp.lookback
    ends = np.arange(lookback - 1, len(rows), dtype=np.int64)
    samples = ends[y[ends] >= 0]
    if len(samples) == 0:
        raise DataError(
            f"no labelled windows: {len(candles)} candles, {feats.warmup_rows} warm-up rows, "
            f"lookback {lookback}, horizon {exp.labels.horizon}; supply more data"
        )
    timeframe = exp.data.timeframe or infer_timeframe(candles.index) or "1h"
    side = None if feats.side is None else feats.side.to_numpy(dtype=np.float64)
    return Prepared(
        candles=candles,
        features=feats,
        index=pd.DatetimeIndex(feats.frame.index),
        X=feats.frame.to_numpy(dtype=np.float64),
        side=side,
        y=y,
        forward_return=fwd,
        last_return=last_return,
        samples=samples,
        classes=tuple(class_names(exp.labels)),
        timeframe=timeframe,
        fingerprint=data_fingerprint(candles),
    )
