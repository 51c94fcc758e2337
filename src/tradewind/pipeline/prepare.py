"""From candles to the arrays every later stage shares: features, labels, sample rows.

Row ``t`` of every array is the bar that opens at ``index[t]``; its features use bars
up to and including ``t``, its label looks at bars ``t+1 .. t+horizon`` only. A
*sample* is a row that has a full window of ``lookback`` rows behind it and a known label.

Several series (``data.sources``) are prepared each on its own candles and stacked:
``series[t]`` names the series of row ``t``, and a sample's window lies inside its series
(see "Many series" in docs/ARCHITECTURE.md). One series is the case ``n_series == 1``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from tradewind.artifacts.bundle import data_fingerprint
from tradewind.config import Experiment, SeriesSource
from tradewind.data import load, resample
from tradewind.exceptions import ConfigError, DataError
from tradewind.features import Features, compute, load_references
from tradewind.labels import class_names, make_labels
from tradewind.timeframes import infer_timeframe, timeframe_seconds

__all__ = [
    "Prepared", "load_candles", "load_universe", "prepare", "prepare_universe", "stack_series",
]


@dataclass
class Prepared:
    """Aligned arrays over the feature rows (warm-up dropped)."""

    candles: pd.DataFrame  # the series' candles; no rows when stacked (see parts[s].candles)
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
    symbols: tuple[str, ...] = ("",)  # name of each series
    parts: tuple[Prepared, ...] = ()  # each series on its own; empty when there is one
    series: np.ndarray = field(default=None)  # type: ignore[assignment]  # [T] int64 series id
    offsets: np.ndarray = field(default=None)  # type: ignore[assignment]  # [S + 1] first rows
    # features.cross reference name → {source, fingerprint, first, last} of its candles
    references: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.series is None:
            self.series = np.zeros(len(self.y), dtype=np.int64)
        if self.offsets is None:
            self.offsets = np.array([0, len(self.y)], dtype=np.int64)

    @property
    def n_series(self) -> int:
        return len(self.symbols)

    def view(self, s: int) -> Prepared:
        """Series ``s`` on its own (its rows are this object's rows minus ``offsets[s]``)."""
        if not 0 <= s < self.n_series:
            raise ConfigError(f"series {s} does not exist; there are {self.n_series}")
        return self if not self.parts else self.parts[s]

    def series_rows(self, rows: np.ndarray, s: int) -> np.ndarray:
        """The rows of ``rows`` that belong to series ``s``, as rows of :meth:`view`."""
        rows = np.asarray(rows, dtype=np.int64)
        lo, hi = int(self.offsets[s]), int(self.offsets[s + 1])
        return rows[(rows >= lo) & (rows < hi)] - lo

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def side_dim(self) -> int:
        return 0 if self.side is None else int(self.side.shape[1])


def load_candles(exp: Experiment, data: str | None = None) -> pd.DataFrame:
    """The validated candles of the experiment's one series; ``data`` overrides its source.

    ``data.sources`` with one entry is that series; with several, a command that reads one
    series is refused unless ``data`` names the one to read (never the default source).
    """
    spec = exp.data
    if data is None:
        series = spec.series()
        if len(series) > 1:
            raise ConfigError(
                f"this command reads one series and the experiment lists {len(series)} in "
                f"data.sources ({', '.join(item.name for item in series)}); give the one to "
                "read with --data")
        data = series[0].source
    return load(data, timeframe=spec.timeframe, tz=spec.tz, policy=spec.policy,
                start=spec.start, end=spec.end)


def load_universe(exp: Experiment) -> list[tuple[SeriesSource, pd.DataFrame]]:
    """Every series' validated candles, all of one bar length.

    Series of different bar lengths are refused, naming them, unless ``data.timeframe`` is
    given: then every series whose bars are finer is resampled to it.
    """
    spec = exp.data
    if len(spec.series()) == 1:
        item = spec.series()[0]
        return [(item, load_candles(exp, item.source))]
    out = []
    for item in spec.series():
        candles = load(item.source, timeframe=None, tz=spec.tz, policy=spec.policy,
                       start=spec.start, end=spec.end)
        native = candles.attrs.get("timeframe") or infer_timeframe(candles.index)
        if spec.timeframe is not None and native is not None and (
                timeframe_seconds(native) != timeframe_seconds(spec.timeframe)):
            if timeframe_seconds(native) > timeframe_seconds(spec.timeframe):
                raise ConfigError(
                    f"data.sources: symbol {item.name!r} ({item.source}) has {native} bars, "
                    f"longer than data.timeframe {spec.timeframe}; bars can only be resampled "
                    "to a longer timeframe: raise data.timeframe or drop the symbol"
                )
            candles = resample(candles, spec.timeframe)
            candles.attrs["timeframe"] = spec.timeframe
        out.append((item, candles))
    found = {item.name: c.attrs.get("timeframe") or infer_timeframe(c.index) for item, c in out}
    if len(set(found.values())) > 1:
        listed = ", ".join(f"{name!r}: {tf}" for name, tf in found.items())
        raise ConfigError(
            f"data.sources: the series have different timeframes ({listed}); set "
            "data.timeframe to the longest to resample them all, or list series of one timeframe"
        )
    return out


def prepare_universe(
    exp: Experiment, universe: list[tuple[SeriesSource, pd.DataFrame]]
) -> Prepared:
    """Prepare each series on its own candles and stack them (one series: :func:`prepare`)."""
    parts = []
    references = load_references(exp.features.cross) if exp.features.cross else None
    for item, candles in universe:
        try:
            part = prepare(exp, candles, references)
        except DataError as err:
            if len(universe) == 1:
                raise
            raise DataError(f"data.sources: symbol {item.name!r} ({item.source}): {err}") from err
        part.symbols = (item.symbol or exp.data.symbol or "",) if len(universe) == 1 else (
            item.name,)
        parts.append(part)
    if len(parts) == 1:
        return parts[0]
    return stack_series(parts, tuple(item.name for item, _ in universe))


def stack_series(parts: list[Prepared], symbols: tuple[str, ...]) -> Prepared:
    """One :class:`Prepared` over the rows of ``parts`` stacked in order (series ``s`` =
    ``parts[s]``); each part's samples keep their windows inside the part. The parts'
    arrays become views of the stacked ones and the candles stay in the parts only, so
    the universe holds each matrix and each series' candles once."""
    if len(parts) != len(symbols) or not parts:
        raise ConfigError(f"stack_series: {len(parts)} parts for symbols {symbols}")
    first = parts[0]
    for part, name in zip(parts, symbols, strict=True):
        if part.timeframe != first.timeframe:
            raise ConfigError(
                f"data.sources: symbol {name!r} has {part.timeframe} bars, {symbols[0]!r} "
                f"{first.timeframe}; set data.timeframe to resample them to one"
            )
        if list(part.features.names) != list(first.features.names):
            raise DataError(f"data.sources: symbol {name!r} has other feature columns than "
                            f"{symbols[0]!r} (internal feature mismatch)")
    lengths = np.array([len(p.y) for p in parts], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    digest = hashlib.sha256("|".join(f"{n}={p.fingerprint}" for n, p in
                                     zip(symbols, parts, strict=True)).encode()).hexdigest()
    stacked = Prepared(
        candles=first.candles.iloc[:0],  # each part holds its own: the candles once
        features=_names_only(first.features),
        index=pd.DatetimeIndex(np.concatenate([p.index.as_unit("ns").asi8 for p in parts]),
                               tz="UTC"),
        X=np.vstack([p.X for p in parts]),
        side=None if first.side is None else np.vstack([p.side for p in parts]),
        y=np.concatenate([p.y for p in parts]),
        forward_return=np.concatenate([p.forward_return for p in parts]),
        last_return=np.concatenate([p.last_return for p in parts]),
        samples=np.concatenate([p.samples + off for p, off in zip(parts, offsets, strict=False)]),
        classes=first.classes,
        timeframe=first.timeframe,
        fingerprint=digest,
        symbols=tuple(symbols),
        parts=tuple(parts),
        series=np.repeat(np.arange(len(parts), dtype=np.int64), lengths),
        offsets=offsets,
        references=first.references,
    )
    stacked.parts = tuple(_sharing(p, stacked, int(a), int(b))
                          for p, a, b in zip(parts, offsets[:-1], offsets[1:], strict=True))
    return stacked


def _names_only(features: Features) -> Features:
    """``features`` without its frames (their values are ``Prepared.X`` / ``side``), so a
    prepared series holds its feature matrix once."""
    def empty(frame: pd.DataFrame) -> pd.DataFrame:  # a deep copy: a slice keeps the values
        return frame.iloc[:0].copy(deep=True)

    return replace(features, frame=empty(features.frame),
                   side=None if features.side is None else empty(features.side))


def _sharing(part: Prepared, stacked: Prepared, a: int, b: int) -> Prepared:
    """``part`` over rows ``a:b`` of the stacked arrays (views, not copies): the universe
    holds every feature matrix once, stacked (memory ≈ the stacked matrices)."""
    return replace(
        part, features=_names_only(part.features), X=stacked.X[a:b],
        side=None if stacked.side is None else stacked.side[a:b], y=stacked.y[a:b],
        forward_return=stacked.forward_return[a:b], last_return=stacked.last_return[a:b],
    )


def prepare(
    exp: Experiment, candles: pd.DataFrame,
    references: Mapping[str, pd.DataFrame] | None = None,
) -> Prepared:
    """Compute features and labels and align them on the feature rows.

    ``references``: the ``features.cross`` reference candles by name, loaded once
    (``features.load_references``) when several series are prepared; loaded here if None.
    """
    if exp.features.cross and references is None:
        references = load_references(exp.features.cross)
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
        symbols=(exp.data.symbol or "",),
        references=reference_provenance(exp, references),
    )


def reference_provenance(exp: Experiment, references: Mapping[str, pd.DataFrame] | None
                         ) -> dict[str, dict[str, str]]:
    """What each ``features.cross`` reference was trained on: its source, the fingerprint
    of its candles and their first and last open times (kept in the bundle's manifest, so
    a bundle says which reference data its cross features came from)."""
    if not exp.features.cross or references is None:
        return {}
    out = {}
    for spec in exp.features.cross:
        candles = references[spec.name]
        out[spec.name] = {"source": spec.source, "fingerprint": data_fingerprint(candles),
                          "first": str(candles.index[0]), "last": str(candles.index[-1])}
    return out

