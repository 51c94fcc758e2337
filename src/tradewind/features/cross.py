"""Cross-asset features: reference instruments joined as-of on bar close time.

Timestamps are bar **open** times (UTC). The instrument's row ``t`` (open ``index[t]``,
close ``index[t] + base``) may use a reference bar only once that bar has closed:
reference open + reference length <= ``index[t] + base``. With equal timeframes that is
the reference bar opening at ``index[t]`` or earlier; a daily reference is visible on an
hourly instrument from the hour its day closes; a 1-minute reference up to the minute
that closes with the instrument's bar. Everything taken from a reference (its returns,
its features, its part of a correlation) is computed on the reference's own bars up to
that visible bar, so nothing from a later reference bar leaks in.

*Missing* reference bars are counted as ``floor(age / reference length)``, where ``age``
is the time from the newest visible reference bar's close to the instrument bar's close:
0 when the reference bar that should have closed by then is there. ``missing: nan``
leaves a row with any missing reference bar without cross features (the row is dropped,
as warm-up rows are); ``missing: ffill`` keeps the newest visible bar for at most
``max_gap`` missing bars. A reference that starts after the instrument, or ends before
it, is refused (``DataError`` naming the reference and the uncovered bars).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tradewind.data import load
from tradewind.data.canonical import COLUMNS
from tradewind.exceptions import ConfigError, DataError, SchemaMismatchError
from tradewind.features.bars import Bars
from tradewind.features.cross_spec import CrossSpec, cross_feature_set
from tradewind.features.registry import FEATURE_SETS
from tradewind.timeframes import infer_timeframe, timeframe_seconds

if TYPE_CHECKING:
    from tradewind.features.spec import CoreParams

Validated = Callable[[pd.DataFrame, str], tuple[pd.DatetimeIndex, dict[str, np.ndarray]]]
"""``(candles, what) -> (index, arrays)``: the checks ``compute`` applies to candles."""

__all__ = [
    "asof_rows",
    "check_references",
    "cross_columns",
    "load_references",
    "reference_pairs",
    "reference_warmup",
    "references_from_pairs",
]

_NS = 1_000_000_000
_SHOW = 5  # uncovered timestamps named in an error


def load_references(cross: Sequence[CrossSpec]) -> dict[str, pd.DataFrame]:
    """Each reference's validated candles by name, loaded once (``tradewind.data.load``).

    A run computing features of several series loads them here once and passes them to
    every ``compute(..., references=...)`` call.
    """
    return {spec.name: load(spec.source, timeframe=spec.timeframe) for spec in cross}


def reference_pairs(
    cross: Sequence[CrossSpec], pairs: Sequence[str] | None, option: str = "--reference"
) -> dict[str, str] | None:
    """The source of each reference a command line names as ``NAME=SOURCE`` pairs.

    None when the spec has no references and no pair is given. Each reference of ``cross``
    must be named exactly once (a bundle never falls back to its training sources).
    """
    pairs = list(pairs or [])
    if not cross and not pairs:
        return None
    sources: dict[str, str] = {}
    for pair in pairs:
        name, sep, source = pair.partition("=")
        if not sep or not name.strip() or not source.strip():
            raise ConfigError(f"{option} {pair!r}: expected NAME=SOURCE, e.g. btc=btc_5m.parquet")
        if name.strip() in sources:
            raise ConfigError(f"{option}: reference {name.strip()!r} given twice; give it once")
        sources[name.strip()] = source.strip()
    known = {spec.name: spec for spec in cross}
    missing = [f"{option} {n}=SOURCE (trained on {s.source})" for n, s in known.items()
               if n not in sources]
    extra = sorted(n for n in sources if n not in known)
    if missing or extra:
        names = sorted(known) or "none"
        raise ConfigError(
            f"{option}: the model's features.cross references are {names}; "
            + (f"missing {'; '.join(missing)}" if missing else "")
            + ("; " if missing and extra else "")
            + (f"unexpected {extra}" if extra else "")
        )
    return {name: sources[name] for name in known}


def references_from_pairs(
    cross: Sequence[CrossSpec], pairs: Sequence[str] | None, option: str = "--reference"
) -> dict[str, pd.DataFrame] | None:
    """Load the reference candles a command line names as ``NAME=SOURCE`` pairs
    (checked by :func:`reference_pairs`)."""
    sources = reference_pairs(cross, pairs, option)
    if sources is None:
        return None
    return {spec.name: load(sources[spec.name], timeframe=spec.timeframe) for spec in cross}


def check_references(
    cross: Sequence[CrossSpec], references: Mapping[str, pd.DataFrame]
) -> None:
    """Refuse a ``references`` mapping that lacks a reference of the spec or adds one."""
    want = [spec.name for spec in cross]
    missing = [name for name in want if name not in references]
    extra = sorted(name for name in references if name not in want)
    if missing or extra:
        sources = {spec.name: spec.source for spec in cross}
        raise SchemaMismatchError(
            f"features.cross: reference candles given for {sorted(references)}, the feature "
            f"spec needs {want}: missing {[f'{n} ({sources[n]})' for n in missing]}, "
            f"unexpected {extra}. Pass references={{name: candles}} for exactly the "
            "references of features.cross"
        )


def reference_warmup(spec: CrossSpec, params: CoreParams) -> int:
    """Leading reference bars without a value for some column this reference takes."""
    warm = max(spec.returns, default=0)
    for set_name in {cross_feature_set(f) for f in spec.features}:
        warm = max(warm, FEATURE_SETS[set_name].warmup(params))
    return warm


def asof_rows(
    base_open_ns: np.ndarray, base_seconds: int, ref_open_ns: np.ndarray, ref_seconds: int
) -> tuple[np.ndarray, np.ndarray]:
    """Newest reference row closed by each base bar's close (-1: none), and missing bars.

    Returns ``(rows, missing)``: ``missing[t]`` is how many whole reference bars fit
    between that row's close and bar ``t``'s close (0 when nothing is missing; -1 where
    ``rows`` is -1).
    """
    base_close = base_open_ns + base_seconds * _NS
    ref_close = ref_open_ns + ref_seconds * _NS
    rows = np.searchsorted(ref_close, base_close, side="right").astype(np.int64) - 1
    missing = np.full(len(rows), -1, dtype=np.int64)
    seen = rows >= 0
    missing[seen] = (base_close[seen] - ref_close[rows[seen]]) // (ref_seconds * _NS)
    return rows, missing


def _utc_ns(index: pd.DatetimeIndex, what: str) -> np.ndarray:
    if index.tz is None:
        raise DataError(
            f"{what}: the timestamps are timezone-naive; cross-asset features join bars by "
            "time and need timezone-aware (UTC) timestamps. Fix: load the candles with "
            "tradewind.data.load, or df.index = df.index.tz_localize('UTC')"
        )
    return pd.DatetimeIndex(index).tz_convert("UTC").as_unit("ns").asi8


def _reference_seconds(spec: CrossSpec, candles: pd.DataFrame) -> int:
    """The reference's bar length: declared, else inferred; both must agree.

    A declared length shorter than the bars' would let a bar count as closed before it
    has, so a mismatch is refused rather than trusted.
    """
    what = f"features.cross {spec.name!r} ({spec.source})"
    inferred = infer_timeframe(pd.DatetimeIndex(candles.index))
    if spec.timeframe is not None and inferred is not None and (
        timeframe_seconds(spec.timeframe) != timeframe_seconds(inferred)
    ):
        raise DataError(
            f"{what}: timeframe is {spec.timeframe} but the reference's candles are {inferred} "
            f"bars. Fix: set timeframe: {inferred}, or supply {spec.timeframe} candles "
            f"(`tradewind data resample --timeframe {spec.timeframe}`)"
        )
    timeframe = spec.timeframe or inferred
    if timeframe is None:
        raise DataError(
            f"{what}: cannot infer the reference's timeframe from fewer than two bars; "
            "give features.cross timeframe or more bars"
        )
    return timeframe_seconds(timeframe)


def _stamps(ns: np.ndarray) -> str:
    shown = [str(pd.Timestamp(int(v), tz="UTC")) for v in ns[:_SHOW]]
    more = f" and {len(ns) - _SHOW} more" if len(ns) > _SHOW else ""
    return ", ".join(shown) + more


def _check_coverage(
    spec: CrossSpec, base_ns: np.ndarray, ref_ns: np.ndarray, ref_seconds: int,
    rows: np.ndarray, missing: np.ndarray,
) -> None:
    before = (rows < 0) & (base_ns < ref_ns[0])
    after = (rows == len(ref_ns) - 1) & (missing > spec.allowed_gap)
    bad = before | after
    if not bad.any():
        return
    last_close = pd.Timestamp(int(ref_ns[-1] + ref_seconds * _NS), tz="UTC")
    raise DataError(
        f"features.cross {spec.name!r} ({spec.source}) does not cover the instrument: the "
        f"reference opens at {pd.Timestamp(int(ref_ns[0]), tz='UTC')} and its last bar closes "
        f"at {last_close}, but {int(bad.sum())} instrument bar(s) lie outside (bar open "
        f"times {_stamps(base_ns[bad])}). Fix: supply reference candles that span the "
        "instrument's bars, or cut the instrument's data (data.start / data.end) to the "
        "reference's span"
    )


def _reference_columns(
    spec: CrossSpec, ref: Bars, ref_ns: np.ndarray, ref_seconds: int
) -> list[np.ndarray]:
    """This reference's per-reference-row values for ``returns`` then ``features``.

    A return over ``k`` bars is taken by time: from the bar that opened ``k`` bar lengths
    earlier, or, when that bar is missing, the newest one before it under the same
    ``missing`` rule as the join (NaN past it).
    """
    log_close = np.log(ref.close)
    out: list[np.ndarray] = []
    for k in spec.returns:
        target = ref_ns - k * ref_seconds * _NS
        start = np.searchsorted(ref_ns, target, side="right") - 1
        values = np.full(len(ref), np.nan)
        found = start >= 0
        gap = np.full(len(ref), -1, dtype=np.int64)
        gap[found] = (target[found] - ref_ns[start[found]]) // (ref_seconds * _NS)
        ok = found & (gap <= spec.allowed_gap)
        values[ok] = log_close[ok] - log_close[start[ok]]
        out.append(values)
    computed: dict[str, dict[str, np.ndarray]] = {}
    for feature in spec.features:
        set_name = cross_feature_set(feature)
        if set_name not in computed:
            feature_set = FEATURE_SETS[set_name]
            warm = feature_set.warmup(ref.params)
            columns = {}
            for name, values in zip(feature_set.names, feature_set.compute(ref), strict=True):
                values = np.array(values, dtype=np.float64)  # a copy: never the Bars memo
                values[: min(warm, len(values))] = np.nan
                columns[name] = values
            computed[set_name] = columns
        out.append(computed[set_name][feature])
    return out


def _rolling_corr_beta(x: np.ndarray, y: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Rolling correlation and beta (cov / var x) of ``y`` on ``x``; NaN if any input is."""
    frame = pd.DataFrame({"x": x, "y": y, "xy": x * y, "xx": x * x, "yy": y * y})
    mean = frame.rolling(window, min_periods=window).mean().to_numpy()
    mx, my, mxy, mxx, myy = (mean[:, i] for i in range(5))
    cov = mxy - mx * my
    var_x = np.maximum(mxx - mx * mx, 0.0)
    var_y = np.maximum(myy - my * my, 0.0)
    flat = (var_x <= 1e-18) | (var_y <= 1e-18)
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where(flat, 0.0, cov / np.sqrt(var_x * var_y))
        beta = np.where(var_x <= 1e-18, 0.0, cov / var_x)
    unknown = np.isnan(mx) | np.isnan(my)
    corr[unknown] = np.nan
    beta[unknown] = np.nan
    return np.clip(corr, -1.0, 1.0), np.clip(beta, -50.0, 50.0)


def cross_columns(
    cross: Sequence[CrossSpec],
    index: pd.DatetimeIndex,
    close: np.ndarray,
    base_seconds: int,
    references: Mapping[str, pd.DataFrame],
    params: CoreParams,
    validated: Validated,
) -> tuple[list[str], list[np.ndarray]]:
    """The cross-asset columns [T] on the instrument's bars, NaN where not available.

    ``validated`` checks each reference's candles as ``compute`` checks the
    instrument's. A value is NaN where the reference is still in its warm-up or where
    more reference bars are missing than the reference's ``missing`` rule allows.
    """
    check_references(cross, references)
    base_ns = _utc_ns(index, "features.cross: the instrument's candles")
    log_close = np.log(close)
    base_returns = np.full(len(close), np.nan)
    base_returns[1:] = log_close[1:] - log_close[:-1]
    names: list[str] = []
    columns: list[np.ndarray] = []
    for spec in cross:
        candles = references[spec.name]
        what = f"features.cross {spec.name!r} ({spec.source})"
        if len(candles) == 0:
            raise DataError(f"{what}: the reference has no candles; supply its candles")
        ref_index, arrays = validated(candles, what)
        ref_ns = _utc_ns(ref_index, what)
        ref_seconds = _reference_seconds(spec, candles)
        rows, missing = asof_rows(base_ns, base_seconds, ref_ns, ref_seconds)
        _check_coverage(spec, base_ns, ref_ns, ref_seconds, rows, missing)
        usable = (rows >= 0) & (missing <= spec.allowed_gap)
        if not usable.any():  # no reference bar has closed yet: all warm-up
            columns += [np.full(len(base_ns), np.nan) for _ in spec.names]
            names += spec.names
            continue
        # bars after the newest one visible to the instrument can never matter: drop them
        end = int(rows.max()) + 1 if len(rows) else 0
        ref = Bars(*(arrays[c][:end] for c in COLUMNS), params)
        taken = rows[usable]
        for values in _reference_columns(spec, ref, ref_ns[:end], ref_seconds):
            column = np.full(len(base_ns), np.nan)
            column[usable] = values[taken]
            columns.append(column)
        if spec.correlation or spec.beta:
            ref_close = np.full(len(base_ns), np.nan)
            ref_close[usable] = np.log(ref.close[taken])
            ref_returns = np.full(len(base_ns), np.nan)
            ref_returns[1:] = ref_close[1:] - ref_close[:-1]
            stats = {n: _rolling_corr_beta(ref_returns, base_returns, n)
                     for n in sorted({*spec.correlation, *spec.beta})}
            columns += [stats[n][0] for n in spec.correlation]
            columns += [stats[n][1] for n in spec.beta]
        names += spec.names
    return names, columns
