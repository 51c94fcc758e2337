"""``compute``: candles in, a causal, finite, scale-free feature matrix out.

Row ``t`` of every output describes the bar that opens at ``index[t]`` and uses only
that bar and earlier ones (property-tested: changing or appending bars after ``t``
never changes row ``t``). The first ``warmup_rows`` bars are dropped because some
feature is not yet defined or its smoothing has not settled there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tradewind.data.canonical import COLUMNS, check_canonical
from tradewind.data.validate import absurd_magnitude_rows
from tradewind.exceptions import ConfigError, DataError
from tradewind.features.bars import Bars
from tradewind.features.cross import cross_columns, load_references, reference_warmup
from tradewind.features.indicators import compute_indicator, indicator_warmup
from tradewind.features.multi_timeframe import align_to_base, base_bars_per_bar, resample_ohlcv
from tradewind.features.registry import FEATURE_SETS
from tradewind.features.spec import FeatureSpec, HigherTimeframeSpec
from tradewind.timeframes import infer_timeframe, timeframe_seconds

__all__ = ["Features", "compute", "warmup_bars"]



@dataclass(frozen=True)
class Features:
    """What :func:`compute` returns.

    Attributes
    ----------
    frame:
        float64 [T', F] main features; index = candle open times from row ``warmup_rows``
        on; columns = ``names`` (order: ``spec.sets``, ``spec.indicators``,
        ``spec.higher_timeframes``).
    side:
        float64 [T', S] side-set features on the same index, or None without side sets.
    warmup_rows:
        Leading candles dropped (no full, settled value for some feature there).
    names, side_names:
        Column names of ``frame`` and ``side``.
    missing_rows:
        Rows after the warm-up dropped because a reference of ``spec.cross`` had missing
        bars there (its ``missing`` rule); 0 without cross features.
    """

    frame: pd.DataFrame
    side: pd.DataFrame | None
    warmup_rows: int
    names: list[str]
    side_names: list[str]
    missing_rows: int = 0


def _validated(candles: pd.DataFrame) -> tuple[pd.DatetimeIndex, dict[str, np.ndarray]]:
    check_canonical(candles, "features", frame_only=True)
    index = candles.index
    if len(index) > 1:
        steps = np.diff(index.as_unit("ns").asi8)
        bad = np.flatnonzero(steps <= 0)
        if len(bad):
            raise DataError(
                f"candle timestamps must be strictly ascending: {index[bad[0] + 1]} follows "
                f"{index[bad[0]]} (row {bad[0] + 1}); sort and de-duplicate the candles"
            )
    arrays: dict[str, np.ndarray] = {}
    for column in COLUMNS:
        try:
            values = candles[column].to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise DataError(f"candles column {column!r} is not numeric: {exc}") from exc
        invalid = ~np.isfinite(values) | (values < 0 if column == "volume" else values <= 0)
        if invalid.any():
            row = int(np.argmax(invalid))
            rule = "finite and >= 0" if column == "volume" else "finite and > 0"
            raise DataError(
                f"candles column {column!r} must be {rule}: {values[row]!r} at {index[row]} "
                f"(row {row}); repair or drop that bar"
            )
        arrays[column] = values
    return index, arrays


def _base_warmup(spec: FeatureSpec) -> int:
    warm = [FEATURE_SETS[name].warmup(spec.params) for name in (*spec.sets, *spec.side_sets)]
    warm += [indicator_warmup(ind, spec.params) for ind in spec.indicators]
    return max(warm, default=0)


def _higher_warmup(spec: FeatureSpec, higher: HigherTimeframeSpec) -> int:
    return max(FEATURE_SETS[name].warmup(spec.params) for name in higher.sets)


def _base_seconds(index: pd.DatetimeIndex, timeframe: str | None) -> int:
    if timeframe is None:
        timeframe = infer_timeframe(index)
    if timeframe is None:
        raise DataError("cannot infer the candles' timeframe from fewer than two bars; pass it")
    return timeframe_seconds(timeframe)


def warmup_bars(spec: FeatureSpec, timeframe: str | None = None) -> int:
    """Bars of history needed before the first full feature row.

    ``compute`` on ``warmup_bars(spec) + n`` gapless bars gives ``n`` rows. Without
    higher timeframes this equals ``Features.warmup_rows``. With them it is the worst
    case over where the data starts inside a higher bar (``warmup_rows`` may be up to
    one higher bar smaller), and the base ``timeframe`` (e.g. ``"5m"``) is required.
    With ``cross`` references it counts their warm-up in instrument bars (a reference
    without a ``timeframe``, or any reference when ``timeframe`` is omitted, is counted
    as having the instrument's bar length) and the correlation windows; the reference
    candles must reach back as far.
    """
    warm = _base_warmup(spec)
    for ref in spec.cross:
        per_bar = 1.0
        if ref.timeframe is not None and timeframe is not None:
            per_bar = timeframe_seconds(ref.timeframe) / timeframe_seconds(timeframe)
        ref_warm = int(np.ceil((reference_warmup(ref, spec.params) + 1) * per_bar)) - 1
        warm = max(warm, ref_warm, *ref.correlation, *ref.beta)
    if spec.higher_timeframes:
        if timeframe is None:
            raise ConfigError(
                "warmup_bars: this feature spec has higher_timeframes; pass the candles' "
                "base timeframe, e.g. warmup_bars(spec, timeframe='5m')"
            )
        base = timeframe_seconds(timeframe)
        for higher in spec.higher_timeframes:
            per_bar = base_bars_per_bar(timeframe_seconds(higher.timeframe), base)
            warm = max(warm, (_higher_warmup(spec, higher) + 2) * per_bar - 2)
    return warm


def _higher_columns(
    spec: FeatureSpec,
    higher: HigherTimeframeSpec,
    index: pd.DatetimeIndex,
    arrays: dict[str, np.ndarray],
    base_seconds: int,
) -> tuple[list[str], list[np.ndarray], int]:
    seconds = timeframe_seconds(higher.timeframe)
    times = index.as_unit("ns").asi8
    bars = resample_ohlcv(times, *(arrays[c] for c in COLUMNS), seconds)
    rows = align_to_base(times, bars.open_ns, seconds, base_seconds)
    warm = _higher_warmup(spec, higher)
    first = int(np.searchsorted(rows, warm, side="left"))
    if first >= len(times):
        raise DataError(
            f"features.higher_timeframes {higher.timeframe!r}: its sets need {warm + 1} closed "
            f"{higher.timeframe} bars but the candles hold {len(bars.open_ns)} "
            f"({len(times)} base bars); supply more history or drop this timeframe"
        )
    higher_bars = Bars(bars.open, bars.high, bars.low, bars.close, bars.volume, spec.params)
    names: list[str] = []
    columns: list[np.ndarray] = []
    visible = rows >= 0
    for name in higher.sets:
        feature_set = FEATURE_SETS[name]
        for feature, values in zip(
            feature_set.names, feature_set.compute(higher_bars), strict=True
        ):
            aligned = np.full(len(times), np.nan)
            aligned[visible] = values[rows[visible]]
            names.append(higher.prefix + feature)
            columns.append(aligned)
    return names, columns, first


def _assemble(
    names: list[str], columns: list[np.ndarray], index: pd.DatetimeIndex, warm: int,
    arrays: dict[str, np.ndarray], keep: np.ndarray | None = None,
) -> pd.DataFrame:
    if keep is not None:  # rows without cross features: drop them, keep the checks below
        rows = np.flatnonzero(keep)
        columns = [column[rows] for column in columns]
        index = index[rows]
        warm = 0
    matrix = np.empty((len(index) - warm, len(columns)), dtype=np.float64, order="F")
    for j, column in enumerate(columns):
        matrix[:, j] = column[warm:]
    with np.errstate(over="ignore", invalid="ignore"):
        finite = np.isfinite(matrix.sum(axis=0)).all()  # cheap; exact scan only on failure
    if not finite:
        _raise_first_non_finite(names, matrix, index, warm, arrays)
    return pd.DataFrame(matrix, index=index[warm:], columns=names, copy=False)


def _raise_first_non_finite(
    names: list[str], matrix: np.ndarray, index: pd.DatetimeIndex, warm: int,
    arrays: dict[str, np.ndarray],
) -> None:
    bad = ~np.isfinite(matrix)
    if not bad.any():
        return
    row = int(np.argmax(bad.any(axis=1)))
    col = int(np.argmax(bad[row]))
    upto = warm + row + 1
    absurd = absurd_magnitude_rows(arrays["high"][:upto], arrays["low"][:upto],
                                   arrays["close"][:upto])
    if absurd.any():
        at = int(np.argmax(absurd))
        cause = (
            f"the candles hold a price far beyond their own distribution at {index[at]} (row "
            f"{at}: high {arrays['high'][at]:g}, close {arrays['close'][at]:g}), too large to "
            "compute features with. Fix: correct or drop that bar (`tradewind data validate` "
            "lists every such bar under absurd_magnitude)"
        )
    else:
        cause = (
            "the feature's formula has no finite value there. Fix: check the candles around "
            "that bar (flat or repeated prices, a gap) and correct or drop them"
        )
    raise DataError(
        f"feature {names[col]!r} is {float(matrix[row, col])} at {index[warm + row]} (row "
        f"{warm + row}) after the warm-up: {cause}"
    )


def compute(
    candles: pd.DataFrame,
    spec: FeatureSpec,
    *,
    timeframe: str | None = None,
    references: Mapping[str, pd.DataFrame] | None = None,
) -> Features:
    """Compute the features ``spec`` asks for on ``candles``.

    Parameters
    ----------
    candles:
        Canonical candles: DatetimeIndex of bar open times (UTC, ascending, unique),
        float columns open, high, low, close (> 0) and volume (>= 0).
    spec:
        What to compute (see :class:`FeatureSpec`).
    timeframe:
        The candles' bar length, e.g. ``"5m"``; only used with higher timeframes and
        cross references, and inferred from the index when omitted.
    references:
        Candles of each ``spec.cross`` reference by name (timezone-aware index). When
        omitted they are loaded from their sources (:func:`load_references`); pass them
        when computing several series, or at serve time, where no source is read.

    Returns
    -------
    Features
        Finite float64 features from row ``warmup_rows`` on; DataError names the
        feature and timestamp of any non-finite value (and the bar when the candles
        hold absurd magnitudes). numpy's floating-point warnings are silenced here:
        every non-finite value past the warm-up is refused by name instead.
    """
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        return _compute(candles, spec, timeframe, references)


def _validated_reference(
    candles: pd.DataFrame, what: str
) -> tuple[pd.DatetimeIndex, dict[str, np.ndarray]]:
    """``_validated`` for a reference's candles; errors name the reference."""
    try:
        return _validated(candles)
    except DataError as err:
        raise DataError(f"{what}: {err}") from err


def _cross_keep(
    columns: list[np.ndarray], n_rows: int, warm: int
) -> tuple[int, np.ndarray | None, int]:
    """Warm-up grown past leading rows without cross values, the rows kept after it."""
    if not columns:
        return warm, None, 0
    valid = np.isfinite(np.column_stack(columns)).all(axis=1)
    valid[:warm] = False
    if not valid.any():
        return n_rows, None, 0
    warm = int(np.argmax(valid))
    keep = valid[warm:]
    missing = int((~keep).sum())
    return warm, (None if missing == 0 else np.concatenate([np.zeros(warm, bool), keep])), missing


def _compute(
    candles: pd.DataFrame, spec: FeatureSpec, timeframe: str | None,
    references: Mapping[str, pd.DataFrame] | None,
) -> Features:
    index, arrays = _validated(candles)
    bars = Bars(*(arrays[c] for c in COLUMNS), spec.params)
    names: list[str] = []
    columns: list[np.ndarray] = []
    for name in spec.sets:
        names += FEATURE_SETS[name].names
        columns += FEATURE_SETS[name].compute(bars)
    for indicator in spec.indicators:
        names.append(indicator.column)
        columns.append(compute_indicator(indicator, bars))
    warm = _base_warmup(spec)
    if spec.higher_timeframes:
        base_seconds = _base_seconds(index, timeframe)
        for higher in spec.higher_timeframes:
            more_names, more_columns, first = _higher_columns(
                spec, higher, index, arrays, base_seconds
            )
            names += more_names
            columns += more_columns
            warm = max(warm, first)
    missing = 0
    keep = None
    if spec.cross:
        refs = load_references(spec.cross) if references is None else references
        cross_names, cross_cols = cross_columns(
            spec.cross, index, arrays["close"], _base_seconds(index, timeframe), refs,
            spec.params, _validated_reference,
        )
        warm, keep, missing = _cross_keep(cross_cols, len(index), warm)
        names += cross_names
        columns += cross_cols
    side_names: list[str] = []
    side_columns: list[np.ndarray] = []
    for name in spec.side_sets:
        side_names += FEATURE_SETS[name].names
        side_columns += FEATURE_SETS[name].compute(bars)
    if warm >= len(index):
        refs_note = (" (or the features.cross references lack bars and history there: "
                     "check their missing rule)" if spec.cross else "")
        raise DataError(
            f"{len(index)} candles are too few: this feature spec drops the first {warm} "
            f"bars as warm-up, so at least {warm + 1} are needed; supply more history or "
            f"shorten the periods in features.params{refs_note}"
        )
    frame = _assemble(names, columns, index, warm, arrays, keep)
    side = (_assemble(side_names, side_columns, index, warm, arrays, keep)
            if side_names else None)
    return Features(frame=frame, side=side, warmup_rows=warm, names=names,
                    side_names=side_names, missing_rows=missing)
