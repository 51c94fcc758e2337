"""One walk-forward calendar for several series: fold boundaries are timestamps.

The purged walk-forward layout of :func:`~tradewind.dataset.make_splits` is laid over the
sorted distinct timestamps of every sample of every series. Each segment (train, val,
test) of a fold is then a time range shared by all series, and a sample belongs to the
segment whose range holds its timestamp. Purge is applied again per series, in that
series' own sample positions (labels look ``horizon`` bars of *their* series ahead), and
every series' folds pass :func:`~tradewind.dataset.check_splits` on their own positions.
Each fold's test range starts after its training range ends, so no test bar of any
series precedes a training bar of the fold.

With one series the calendar is its sample sequence and the folds are exactly
:func:`~tradewind.dataset.make_splits`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tradewind.dataset.leakage import check_splits
from tradewind.dataset.split import Split
from tradewind.dataset.splits import SplitSpec, make_splits
from tradewind.exceptions import ConfigError, LeakageError

__all__ = ["series_split", "shared_walk_forward"]

_SEGMENTS = ("train", "val", "test")


def _stamp(ns: int) -> str:
    return str(pd.Timestamp(int(ns), tz="UTC"))


def _purged(split: Split, gap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop the positions of each segment that lie within ``gap`` positions of the next."""
    train, val, test = split.train, split.val, split.test
    if test.size:
        val = val[val < test[0] - gap]
        train = train[train < test[0] - gap]
    if val.size:
        train = train[train < val[0] - gap]
    return train, val, test


def shared_walk_forward(
    times: np.ndarray,
    series: np.ndarray,
    spec: SplitSpec,
    horizon: int,
    symbols: Sequence[str] = (),
) -> list[Split]:
    """Walk-forward folds over samples of several series on one calendar of timestamps.

    Parameters
    ----------
    times:
        int64 [N] bar-open time (ns) of each sample, ascending within each series.
    series:
        int [N] series id of each sample; the samples of a series are contiguous and the
        series follow each other in id order (the stacked layout of ``Prepared``).
    spec, horizon:
        As for :func:`~tradewind.dataset.make_splits`; sizes count calendar timestamps.
    symbols:
        Series names for error messages.

    Returns
    -------
    list of Split
        Sample positions (into the N samples) of each fold, ascending. ``series_split``
        restricts one to a series' own positions.

    Raises
    ------
    ConfigError
        A series without a training, validation (when ``val_fraction > 0``) or test sample
        in some fold: it is too short for the calendar, named with its dates.
    """
    times = np.asarray(times, dtype=np.int64)
    series = np.asarray(series, dtype=np.int64)
    if times.shape != series.shape:
        raise ConfigError(f"calendar: {times.shape} times for {series.shape} series ids")
    calendar = np.unique(times)
    base = make_splits(len(calendar), spec, horizon)
    n_series = int(series.max()) + 1 if series.size else 0
    names = list(symbols) or [f"series {s}" for s in range(n_series)]
    starts = np.searchsorted(series, np.arange(n_series + 1), side="left")
    per_series: list[list[Split]] = [[] for _ in range(n_series)]
    for split in base:
        ranges = {
            name: (calendar[seg[0]], calendar[seg[-1]]) if (seg := getattr(split, name)).size
            else None for name in _SEGMENTS
        }
        for s in range(n_series):
            own = times[starts[s]:starts[s + 1]]
            local = {}
            for name, bounds in ranges.items():
                local[name] = (np.empty(0, dtype=np.int64) if bounds is None else
                               np.flatnonzero((own >= bounds[0]) & (own <= bounds[1])))
            raw = Split(split.fold, local["train"], local["val"], local["test"],
                        purge=split.purge, embargo=split.embargo)
            train, val, test = _purged(raw, split.purge)
            missing = [name for name, seg in (("training", train), ("test", test),
                                              ("validation", val))
                       if seg.size == 0 and (name != "validation" or split.val.size)]
            if missing:
                first, last = (_stamp(own[0]), _stamp(own[-1])) if own.size else ("-", "-")
                test_range = ranges["test"]
                raise ConfigError(
                    f"data.sources: symbol {names[s]!r} has no {' or '.join(missing)} sample in "
                    f"fold {split.fold} of the shared walk-forward calendar (that fold tests "
                    f"{_stamp(test_range[0])} → {_stamp(test_range[1])}); its labelled samples "
                    f"run {first} → {last}. Supply more bars for it, drop it, or lower "
                    "split.n_folds / split.min_train"
                )
            per_series[s].append(Split(split.fold, train, val, test, purge=split.purge,
                                       embargo=split.embargo))
    for s, splits in enumerate(per_series):
        try:
            check_splits(splits, horizon)
        except LeakageError as err:
            raise LeakageError(f"symbol {names[s]!r}: {err}") from err
    if n_series == 1:
        return per_series[0]
    return [
        Split(fold.fold,
              *(np.concatenate([getattr(per_series[s][i], name) + starts[s]
                                for s in range(n_series)]) for name in _SEGMENTS),
              purge=fold.purge, embargo=fold.embargo)
        for i, fold in enumerate(base)
    ]


def series_split(split: Split, starts: np.ndarray, s: int) -> Split:
    """``split`` restricted to series ``s``, as positions among that series' own samples
    (``starts[s]`` is the position of its first sample)."""
    lo, hi = int(starts[s]), int(starts[s + 1])
    parts = [(seg := getattr(split, name))[(seg >= lo) & (seg < hi)] - lo for name in _SEGMENTS]
    return Split(split.fold, *parts, purge=split.purge, embargo=split.embargo)
